"""Reads of the outbox for the jobs page (`/jobs/`) and the health check."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from core import clock, outbox
from core.models import OutboxJob, OutboxState

# The page's views of the table, in the order staff should look at them.
VIEWS = {
    "stuck": "Stuck",
    "failing": "Failing",
    "waiting": "Waiting",
    "failed": "Gave up",
    "done": "Done",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class Summary:
    by_state_kind: list[tuple[str, dict[str, int]]]  # kind -> {state: count}
    views: dict[str, int]


def _overdue_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.OUTBOX_OVERDUE_SECONDS)


def _stuck_ids(now: datetime) -> list[int]:
    """Running rows whose worker is gone, and waiting rows overdue (nothing picked them up)."""
    locked = outbox._locked_job_ids()
    running = OutboxJob.objects.filter(state=OutboxState.RUNNING).only("pk", "state", "claimed_at")
    dead = [job.pk for job in running if outbox.abandoned(job, locked=locked, now=now)]
    overdue = OutboxJob.objects.filter(
        state=OutboxState.PENDING, next_attempt_at__lt=_overdue_before(now)
    ).values_list("pk", flat=True)
    return dead + list(overdue)


def jobs_in_view(view: str, *, now: datetime | None = None) -> QuerySet[OutboxJob]:
    """The rows of one view of the page, oldest first."""
    now = now or clock.now()
    rows = OutboxJob.objects.select_related("caused_by")
    if view == "stuck":
        return rows.filter(pk__in=_stuck_ids(now)).order_by("next_attempt_at", "pk")
    stuck = Q(pk__in=_stuck_ids(now))
    if view == "failing":
        return (
            rows.filter(state=OutboxState.PENDING)
            .exclude(last_error="")
            .exclude(stuck)
            .order_by("failing_since", "pk")
        )
    if view == "waiting":
        return (
            rows.filter(state__in=outbox.OPEN_STATES, last_error="")
            .exclude(stuck)
            .order_by("next_attempt_at", "pk")
        )
    if view == "failed":
        return rows.filter(state=OutboxState.FAILED).order_by("failing_since", "pk")
    if view in ("done", "cancelled"):
        return rows.filter(state=view).order_by("-finished_at", "-pk")
    raise ValueError(view)


def summary(*, now: datetime | None = None) -> Summary:
    now = now or clock.now()
    counts = OutboxJob.objects.values("kind", "state").annotate(n=Count("pk")).order_by("kind", "state")
    table: dict[str, dict[str, int]] = {}
    for row in counts:
        table.setdefault(row["kind"], {})[row["state"]] = row["n"]
    stuck = _stuck_ids(now)
    views: Counter[str] = Counter()
    views["stuck"] = len(stuck)
    open_rows = OutboxJob.objects.filter(state__in=outbox.OPEN_STATES).exclude(pk__in=stuck)
    views["failing"] = open_rows.filter(state=OutboxState.PENDING).exclude(last_error="").count()
    views["waiting"] = open_rows.filter(last_error="").count()
    for state in ("failed", "done", "cancelled"):
        views[state] = sum(by_state.get(state, 0) for by_state in table.values())
    return Summary(by_state_kind=sorted(table.items()), views={key: views[key] for key in VIEWS})
