"""The CSV's cells: a text a spreadsheet would run as a formula is written with a leading quote,
dates as ISO, months as YYYY-MM, nothing as "". The column-at-a-time fast paths of `write_csv`
give what `cell` gives for every value.

Tried: texts starting with =, +, -, @, a tab and a carriage return; an empty text; None; a plain
text; a text with a formula character later on; numbers; dates and months.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from reports.export import cell, write_csv
from reports.periods import Period
from reports.selectors import Column, ReportResult

TEXTS = ["=cmd()", "+1", "-2", "@SUM(A1)", "\tX", "\rX", "", None, "Ana Ruiz", "a=b", "CM26-0000001"]


def _csv(columns: list[Column], rows: list[list]) -> list[list[str]]:
    result = ReportResult(
        kind="test", title="t", period=Period(date(2026, 1, 1), date(2026, 1, 31)), columns=columns, rows=rows
    )
    out = io.StringIO()
    write_csv(result, out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_texts_that_look_like_formulas_are_quoted():
    written = _csv([Column("name", "Name", "text")], [[value] for value in TEXTS])
    assert [row[0] for row in written[1:]] == [
        "'=cmd()",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tX",
        "'\rX",
        "",
        "",
        "Ana Ruiz",
        "a=b",
        "CM26-0000001",
    ]


def test_every_column_kind_writes_what_cell_writes():
    columns = [
        Column("t", "T", "text"),
        Column("n", "N", "int"),
        Column("d", "D", "date"),
        Column("m", "M", "month"),
        Column("u", "U", "usd"),
    ]
    numbers = [0, 5, -3, 2.5, None, 7, 1, 2, 3, 4, 5]
    days = [date(2026, 3, 4), None] * 5 + [date(1999, 12, 31)]
    rows = [[text, number, day, day, number] for text, number, day in zip(TEXTS, numbers, days, strict=True)]
    expected = [[str(cell(c, v)) for c, v in zip(columns, row, strict=True)] for row in rows]
    assert _csv(columns, rows)[1:] == expected
