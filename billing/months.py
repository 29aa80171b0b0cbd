"""The month an invoice bills: parsed from what a person types, refused while it is not over."""

from __future__ import annotations

import re
from datetime import date

from billing.errors import BillingError
from core import clock

# IMR began on 2013-01-01 (LC 4610.5): no case was received, so none billed, before.
FIRST_MONTH = date(2013, 1, 1)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """'2026-05' -> date(2026, 5, 1); anything else is refused with a message saying the format."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BillingError(
            f"{text.strip()[:20]!r} is not a month: write it as YYYY-MM, e.g. 2026-05.", field="month"
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


def next_month(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def previous_month(day: date) -> date:
    first = day.replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def month_label(period: date) -> str:
    return period.strftime("%B %Y")


def ensure_invoiceable(period: date) -> None:
    """A month is invoiced once it is over, and never before IMR began."""
    if period.day != 1:
        raise BillingError("An invoice bills a whole month: give its first day.", field="month")
    if period < FIRST_MONTH:
        raise BillingError(
            "IMR fees begin in January 2013; there is nothing to invoice before.", field="month"
        )
    this_month = clock.today().replace(day=1)
    if period >= this_month:
        when = "is in the future" if period > this_month else "has not ended yet"
        raise BillingError(
            f"{month_label(period)} {when}: a month is invoiced from the first day of the next "
            f"({next_month(period):%Y-%m-%d}).",
            field="month",
        )
