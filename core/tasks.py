"""Celery doors into the outbox (`core.outbox`): work one row, sweep, the daily digest.

Side effects are not enqueued as Celery tasks any more: a service writes an outbox row in its
transaction (`core.outbox.enqueue`) and the row's id travels through `run_outbox_job`. That
task acknowledges on receipt (acks_late off): the row, not the broker message, is the durable
record, and the sweeper hands over again whatever a lost message or a dead worker left.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from core import outbox


# A handler hung on anything (a broker or server that never answers) would hold its row's lock
# and keep it `running` for good. The pool kills a child still working after the claim timeout:
# its database session ends, the lock with it, and the sweeper hands the row over again.
@shared_task(
    name="core.run_outbox_job",
    acks_late=False,
    ignore_result=True,
    time_limit=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS,
)
def run_outbox_job(job_id: int) -> str | None:
    return outbox.run_job(job_id)


@shared_task(name="core.sweep_outbox", acks_late=False, ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    return outbox.sweep()


@shared_task(name="core.outbox_digest", ignore_result=True)
def outbox_digest() -> int:
    from core.outbox_digest import send_failing_jobs_digest

    return send_failing_jobs_digest()
