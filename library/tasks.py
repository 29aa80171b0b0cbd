"""Celery doors into the library's services: an id in, one service call."""

from __future__ import annotations

from celery import shared_task

from core.tasks import RobustOnCommitTask
from library.services.publication import publish_determination


# Enqueued from the issuing transaction's commit: a broker that is down must not fail the
# issue (robust on commit); `publish_decisions` catches up on anything missed. Idempotent.
@shared_task(base=RobustOnCommitTask, acks_late=True)
def publish_determination_task(determination_id: int) -> int:
    """Publish an issued determination (rows and redacted letter); returns the rows written."""
    return len(publish_determination(determination_id=determination_id))
