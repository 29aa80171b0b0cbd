"""The reports' periodic task: a door into reports.rollups."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_report_rollups() -> dict[str, int]:
    from reports.rollups import refresh_changed

    return refresh_changed()
