"""How a report's cell reads on the page (the CSV writes plain values: reports.export)."""

from __future__ import annotations

from datetime import date

from django import template

from core.dates import us_date

register = template.Library()


@register.filter
def report_cell(value: object, kind: str) -> str:
    if value is None:
        return "\u2013"  # an en dash: no figure
    if kind == "month" and isinstance(value, date):
        return value.strftime("%b %Y")
    if kind == "date" and isinstance(value, date):
        return us_date(value)
    if kind == "usd" and isinstance(value, int | float):
        return f"${value:,.0f}"
    if kind in ("days", "percent") and isinstance(value, int | float):
        return f"{value:.1f}"
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def chart_value(value: object) -> str:
    """The plain number a chart reads from a table cell's data-value ("" for none)."""
    return "" if value is None else str(value)
