"""The outbox's figure on /healthz: how long the oldest due row has waited (core.health)."""

from __future__ import annotations

from django.conf import settings

from core import health, outbox


@health.register("outbox")
def oldest_due_outbox_row(context: health.HealthContext) -> health.CheckResult:
    """Failing when a row has been due longer than OUTBOX_HEALTH_MAX_AGE_SECONDS: nothing works
    the outbox (no worker, no beat, or the broker lost the hand-offs and no sweep ran)."""
    age = outbox.oldest_due_age()
    limit = settings.OUTBOX_HEALTH_MAX_AGE_SECONDS
    return health.CheckResult(
        ok=age <= limit, detail=f"oldest due row waited {age:.0f} s (limit {limit:.0f} s)", value=age
    )
