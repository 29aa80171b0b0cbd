"""Celery doors into the workflow services: each takes ids (or nothing) and calls one service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

# Periodic tasks only (every side effect of a change is an outbox job, core.outbox). A retry
# waits in the broker, so it must stay well inside the visibility timeout.
RETRY_BACKOFF_MAX = settings.CELERY_VISIBILITY_TIMEOUT_SECONDS // 3


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=RETRY_BACKOFF_MAX, max_retries=5
)
def mark_overdue_cases() -> dict[str, int]:
    from cases.services.notices import mark_overdue_cases as mark

    update = mark()
    return {"marked": update.marked, "cleared": update.cleared}


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    max_retries=8,
)
def send_deadline_digest() -> int:
    from cases.services.notices import send_deadline_digest as send

    return send()
