"""Celery doors into the billing services (periodic only; side effects are outbox jobs)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

RETRY_BACKOFF_MAX = settings.CELERY_VISIBILITY_TIMEOUT_SECONDS // 3


@shared_task(
    autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=RETRY_BACKOFF_MAX, max_retries=5
)
def invoice_previous_month() -> dict[str, int | str]:
    """On the first of the month: invoice the month that just ended (a repeat issues nothing new)."""
    from billing.months import previous_month
    from billing.services.invoicing import issue_month
    from core import clock

    period = previous_month(clock.today())
    result = issue_month(period=period)
    return {"month": f"{period:%Y-%m}", "invoices": len(result.invoices), "cases": result.cases_billed}
