"""The reports' periodic task: a door into reports.rollups."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def refresh_report_rollups(full: bool = False) -> dict[str, int]:
    """The days changed since the last run (every period); `full`: everything (nightly), which also
    catches what no `updated_at` shows (a case whose received date staff corrected)."""
    from reports.rollups import refresh_changed
    from reports.snapshots import refresh_snapshots

    counted = refresh_changed(full=full)
    counted["snapshots"] = refresh_snapshots()
    return counted
