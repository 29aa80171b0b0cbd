"""Celery doors into the outbox (`core.outbox`): work one row, sweep, the daily digest.

Side effects are not enqueued as Celery tasks any more: a service writes an outbox row in its
transaction (`core.outbox.enqueue`) and the row's id travels through `run_outbox_job`. That
task acknowledges on receipt (acks_late off): the row, not the broker message, is the durable
record, and the sweeper hands over again whatever a lost message or a dead worker left.
"""

from __future__ import annotations

from celery import shared_task

from core import outbox


@shared_task(name="core.run_outbox_job", acks_late=False, ignore_result=True)
def run_outbox_job(job_id: int) -> str | None:
    return outbox.run_job(job_id)


@shared_task(name="core.sweep_outbox", acks_late=False, ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    return outbox.sweep()


@shared_task(name="core.outbox_digest", ignore_result=True)
def outbox_digest() -> int:
    from core.outbox_digest import send_failing_jobs_digest

    return send_failing_jobs_digest()
