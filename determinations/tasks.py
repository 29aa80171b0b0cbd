"""Celery doors into the determinations services (periodic work only: side effects of a step are
outbox jobs, `determinations.jobs`)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

RETRY_BACKOFF_MAX = settings.CELERY_VISIBILITY_TIMEOUT_SECONDS // 3


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=RETRY_BACKOFF_MAX, max_retries=5
)
def send_late_records_notices() -> int:
    """Daily: the late-records notice of every case past its records due date (once per case)."""
    from determinations.services.notices import send_late_records_notices as send

    return send()
