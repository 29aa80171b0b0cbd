"""Celery doors into the letters services: ids in, one service call, retries owned here."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings

from core.tasks import RobustOnCommitTask
from determinations.services.delivery import send_delivery
from determinations.services.letters import issue_letter

SEND_MAX_RETRIES = 6
# Exponential backoff from 60 s (with jitter): 60, 120, 240, 480, 960, then capped.
SEND_RETRY_BACKOFF = 60
# Every delay stays below the broker's visibility timeout, or Redis would hand a task that
# is only waiting for its retry to a second worker.
SEND_RETRY_BACKOFF_MAX = min(1800, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2)


# Enqueued from QA approval: a broker that is down must not fail the approval (robust on commit).
@shared_task(base=RobustOnCommitTask, acks_late=True)
def issue_letter_task(determination_id: int) -> int:
    """Issue the letter of a QA-approved determination; a repeat returns the stored letter."""
    return issue_letter(determination_id=determination_id).pk


@shared_task(
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=SEND_RETRY_BACKOFF,
    retry_backoff_max=SEND_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=SEND_MAX_RETRIES,
)
def send_delivery_task(delivery_id: int) -> str:
    """Email one Delivery; a delivery already sent is never sent again."""
    return send_delivery(delivery_id=delivery_id).status
