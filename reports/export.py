"""A report as CSV or JSON: the same columns and rows as the page."""

from __future__ import annotations

import csv
import json
from datetime import date
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


def _column_cells(column: Column, values: tuple[Any, ...]) -> list[Any]:
    """`cell` of each value of one column, the common values (numbers, dates) without its checks:
    a year's listing is 45,000 cells, a function call each cost 20 ms."""
    if column.kind == "date":
        return [v.isoformat() if type(v) is date else cell(column, v) for v in values]
    if column.kind in ("int", "days", "percent", "usd"):
        return [v if type(v) in NUMBERS else cell(column, v) for v in values]
    if column.kind == "text":
        # A plain text is written as it is; `cell` for the rest (a formula's start, None).
        return [v if type(v) is str and v and v[0] not in FORMULA_STARTS else cell(column, v) for v in values]
    return [cell(column, v) for v in values]


def write_csv(result: ReportResult, stream: _TextSink) -> int:
    writer = csv.writer(stream)
    writer.writerow([column.key for column in result.columns])
    width = len(result.columns)
    if any(len(row) != width for row in result.rows):
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
