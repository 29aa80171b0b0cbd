"""How a date is written for people: one format, the US one the Division's letters use (03/24/2015)."""

from __future__ import annotations

from datetime import date, datetime

US_DATE_FORMAT = "m/d/Y"


def us_date(value: date | None) -> str:
    """`value` as MM/DD/YYYY; "" when there is none (a datetime is formatted as given: localize first)."""
    if not value:
        return ""
    # What dateformat.format(value, US_DATE_FORMAT) writes, a tenth of its cost (lists show
    # a hundred dates a page).
    return f"{value.month:02d}/{value.day:02d}/{value.year:04d}"


US_DATETIME_FORMAT = f"{US_DATE_FORMAT} H:i"


def us_datetime(value: datetime | None) -> str:
    """`value` as MM/DD/YYYY HH:MM (24-hour), as given (localize first); "" when there is none."""
    if not value:
        return ""
    return f"{us_date(value)} {value.hour:02d}:{value.minute:02d}"
