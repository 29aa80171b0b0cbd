"""The reports over their default period, counted once per periodic refresh (ReportSnapshot).

At 200,000 cases a year the clocks' percentiles (a year of letters), the late records' penalties
(every late case of the year, with its claims administrator) and the reviewers' medians (a year
of submissions, 3,000 reviewers) cost 50 to 250 ms counted live, on every view. Their default
period (the last twelve months, what the pages open on) is counted here, by the task that
brings the rollups up to date (`reports.tasks.refresh_report_rollups`, every
REPORT_ROLLUP_SECONDS) right after it, so the page reads one row. The figures are as fresh as
the rollups they read (clocks, productivity); late records and QA returns, live before, lag by
at most one period, and the page says when they were counted. Any other period is counted live.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from core import clock
from reports.models import ReportSnapshot
from reports.periods import Period, default_period
from reports.selectors import KINDS, Column, ReportResult

SNAPSHOT_KINDS = ("clocks", "late_records", "reviewer_productivity")


@transaction.atomic
def refresh_snapshots(*, today: date | None = None) -> int:
    """Count each SNAPSHOT_KINDS report over the default period of `today`; returns how many."""
    today = today or clock.today()
    period = default_period(today=today)
    for kind in SNAPSHOT_KINDS:
        result = KINDS[kind].build(period=period, today=today, limit=None)
        ReportSnapshot.objects.update_or_create(
            kind=kind,
            defaults={
                "start": period.start,
                "end": period.end,
                "computed_at": clock.now(),
                "result": {
                    "columns": [[c.key, c.label, c.kind] for c in result.columns],
                    "rows": result.rows,
                    "total_rows": result.total_rows,
                    "notes": result.notes,
                },
            },
        )
    return len(SNAPSHOT_KINDS)


def snapshot_result(
    *, kind: str, period: Period, today: date, limit: int | None, offset: int = 0
) -> ReportResult | None:
    """The counted report when `period` is `today`'s default period and a snapshot of it exists."""
    if kind not in SNAPSHOT_KINDS or period != default_period(today=today):
        return None
    found = ReportSnapshot.objects.filter(kind=kind, start=period.start, end=period.end).first()
    if found is None:
        return None
    stored = found.result
    when = timezone.localtime(found.computed_at).strftime("%m/%d/%Y %H:%M")
    rows = stored["rows"]
    # The rows a total row closes (late records) stay whole: only listings are cut at `limit`.
    if kind != "reviewer_productivity":
        listed = rows
    else:
        listed = rows[offset:] if limit is None else rows[offset : offset + limit]
    return ReportResult(
        kind=kind,
        title=KINDS[kind].title,
        period=period,
        columns=[Column(key, label, column_kind) for key, label, column_kind in stored["columns"]],
        rows=listed,
        total_rows=stored["total_rows"],
        notes=[*stored["notes"], f"This default period was counted at {when} by the periodic refresh."],
    )
