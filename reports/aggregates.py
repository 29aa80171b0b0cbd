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

    def as_sqlite(self, compiler, connection, **extra_context):
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


def summaries(
    queryset: models.QuerySet, *, group: str | None, values: dict[str, Any]
) -> dict[Any, dict[str, Summary]]:
    """{group value: {name: count, average, median and 90th percentile of values[name]}} over
    `queryset`'s rows (each figure over the rows where its value is not NULL), in one query.
    `group=None` gives one entry under the key None."""
    names = list(values)
    rows = queryset.annotate(**{f"_v_{name}": value for name, value in values.items()})
    if connection.vendor == "postgresql":
        figures: dict[str, Any] = {}
        for name in names:
            column = f"_v_{name}"
            figures[f"_count_{name}"] = Count(column)
            figures[f"_average_{name}"] = Avg(column)
            figures[f"_median_{name}"] = PercentileCont(column, fraction=0.5)
            figures[f"_p90_{name}"] = PercentileCont(column, fraction=0.9)
        found = (
            list(rows.values(group).annotate(**figures).order_by()) if group else [rows.aggregate(**figures)]
        )
        return {
            (row[group] if group else None): {
                name: Summary(
                    row[f"_count_{name}"],
                    row[f"_average_{name}"],
                    row[f"_median_{name}"],
                    row[f"_p90_{name}"],
                )
                for name in names
            }
            for row in found
        }
    collected: dict[Any, dict[str, list[float]]] = defaultdict(lambda: {name: [] for name in names})
    columns = [f"_v_{name}" for name in names]
    for row in rows.values_list(group, *columns) if group else rows.values_list(*columns):
        key, found_values = (row[0], row[1:]) if group else (None, row)
        for name, value in zip(names, found_values, strict=True):
            if value is not None:
                collected[key][name].append(value)
    return {key: {name: summarize(v) for name, v in by_name.items()} for key, by_name in collected.items()}
