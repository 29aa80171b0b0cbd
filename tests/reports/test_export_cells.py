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


def test_each_fast_path_writes_what_cell_writes():
    """Columns shaped to take each path of `_column_cells`: repeated values (made into text once),
    unique plain texts and numbers (written as they are), unique texts of which one is a formula,
    unique and repeated dates, and numbers mixed with None and a bool."""
    unique = [f"CM26-{n:07d}" for n in range(20)]
    cases = [
        (Column("t", "T", "text"), TEXTS * 3),
        (Column("t", "T", "text"), unique),
        (Column("t", "T", "text"), [*unique, "=HYPERLINK(1)"]),
        (Column("t", "T", "text"), [*unique, None]),
        (Column("n", "N", "int"), list(range(20))),
        (Column("p", "P", "percent"), [n / 3 for n in range(20)]),
        (Column("n", "N", "int"), [*range(20), None, True]),
        (Column("d", "D", "date"), [date(2026, 1, 1 + n) for n in range(20)]),
        (Column("d", "D", "date"), [date(2026, 1, 1 + n % 3) for n in range(20)] + [None]),
        (Column("m", "M", "month"), [date(2026, 1 + n % 2, 1) for n in range(20)]),
    ]
    for column, values in cases:
        written = [row[0] for row in _csv([column], [[value] for value in values])[1:]]
        assert written == [str(cell(column, value)) for value in values], (column, values)
