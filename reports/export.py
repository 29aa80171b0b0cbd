"""A report as CSV or JSON: the same columns and rows as the page."""

from __future__ import annotations

import csv
import json
from datetime import date
from itertools import repeat
from typing import Any, Protocol

from reports.selectors import Column, ReportResult


class _TextSink(Protocol):
    def write(self, text: str, /) -> object: ...


# A text starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(column: Column, value: Any) -> Any:
    """A value as the CSV and JSON write it: ISO dates, YYYY-MM months, "" for none."""
    if value is None:
        return ""
    if column.kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        # A spreadsheet never runs a cell as a formula (names are typed by people).
        return f"'{value}"
    return value


NUMBERS = (int, float)
NUMBER_KINDS = ("int", "days", "percent", "usd")


def _column_cells(column: Column, values: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    """`cell` of each value of one column, without a Python call per value: a year's listing is
    45,000 cells, and a call each cost 20 ms."""
    distinct = set(values)
    types = set(map(type, distinct))
    if column.kind in NUMBER_KINDS and types <= set(NUMBERS):
        return values
    if column.kind in ("date", "month", "text") and len(distinct) * 2 <= len(values):
        # Few distinct values (a year of dates, a handful of priorities): each made into text
        # once, then looked up. (Not for numbers, where 1, 1.0 and True are one key.)
        text = {value: cell(column, value) for value in distinct}
        return list(map(text.__getitem__, values))
    plain = column.kind == "text" and types == {str}
    if plain and not any(map(str.startswith, values, repeat(FORMULA_STARTS))):
        # Plain texts (case numbers), none a formula's start, are written as they are.
        return values
    if column.kind == "date":
        return [v.isoformat() if type(v) is date else cell(column, v) for v in values]
    return [cell(column, v) for v in values]


def write_csv(result: ReportResult, stream: _TextSink) -> int:
    writer = csv.writer(stream)
    writer.writerow([column.key for column in result.columns])
    width = len(result.columns)
    if set(map(len, result.rows)) - {width}:
        raise ValueError(f"a row that is not {width} cells wide in report {result.kind}")
    if result.rows:
        by_column = zip(*result.rows)  # noqa: B905 (every row checked above)
        cells = [_column_cells(c, values) for c, values in zip(result.columns, by_column, strict=True)]
        writer.writerows(zip(*cells))  # noqa: B905
    return len(result.rows)


def as_json(result: ReportResult) -> str:
    return json.dumps(
        {
            "report": result.kind,
            "title": result.title,
            "from": result.period.start.isoformat(),
            "to": result.period.end.isoformat(),
            "columns": [{"key": c.key, "label": c.label} for c in result.columns],
            "rows": [
                {c.key: (None if v is None else cell(c, v)) for c, v in zip(result.columns, row, strict=True)}
                for row in result.rows
            ],
            "notes": result.notes,
        },
        indent=2,
    )


def filename(result: ReportResult, extension: str) -> str:
    return f"{result.kind}_{result.period.start.isoformat()}_{result.period.end.isoformat()}.{extension}"
