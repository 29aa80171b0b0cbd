"""The few SQL pieces Django does not ship: days between two dates, and percentiles.

Both run in the database on PostgreSQL. SQLite (the embedded default) has no percentile
aggregate: `summaries` then reads the day counts and computes the same figures in Python
(`statistics`, linear interpolation as `percentile_cont`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import Aggregate, Avg, Count, Func


class DaysBetween(Func):
    """`end - start` in whole days, for two date expressions (NULL when either is NULL)."""

    output_field = models.IntegerField()
    arity = 2

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        # PostgreSQL: date - date is an integer number of days.
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"({end} - {start})", [*end_params, *start_params]

    def as_sqlite(self, compiler, connection, **extra_context):  # type: ignore[override]
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)", [*end_params, *start_params]


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`."""

    function = "percentile_cont"
    output_field = models.FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY {sql})", params


@dataclass(frozen=True)
class Summary:
    count: int
    average: float | None
    median: float | None
    p90: float | None


EMPTY = Summary(0, None, None, None)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(values: Iterable[float]) -> Summary:
    found = [float(v) for v in values if v is not None]
    if not found:
        return EMPTY
    return Summary(len(found), statistics.fmean(found), percentile(found, 0.5), percentile(found, 0.9))


def summaries(queryset: models.QuerySet, *, group: str | None, value: Any) -> dict[Any, Summary]:
    """{group value: count, average, median and 90th percentile of `value`} over `queryset`'s rows
    where `value` is not NULL; one query. `group=None` gives one summary under the key None."""
    rows = queryset.annotate(_value=value).filter(_value__isnull=False)
    if connection.vendor == "postgresql":
        grouped = rows.values(group) if group else rows.values()
        aggregated = grouped.annotate if group else None
        figures = {
            "_count": Count("pk"),
            "_average": Avg("_value"),
            "_median": PercentileCont("_value", fraction=0.5),
            "_p90": PercentileCont("_value", fraction=0.9),
        }
        if aggregated is not None:
            return {
                row[group]: Summary(row["_count"], row["_average"], row["_median"], row["_p90"])
                for row in aggregated(**figures).order_by()
            }
        row = rows.aggregate(**figures)
        return {None: Summary(row["_count"], row["_average"], row["_median"], row["_p90"])}
    collected: dict[Any, list[float]] = defaultdict(list)
    if group:
        for key, day_count in rows.values_list(group, "_value"):
            collected[key].append(day_count)
    else:
        collected[None] = list(rows.values_list("_value", flat=True))
    return {key: summarize(values) for key, values in collected.items()}
