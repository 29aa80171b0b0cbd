"""How a date is written for people: one format, the US one the Division's letters use (03/24/2015)."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateformat

US_DATE_FORMAT = "m/d/Y"


def us_date(value: date | None) -> str:
    """`value` as MM/DD/YYYY; "" when there is none (a datetime is formatted as given: localize first)."""
    if not value:
        return ""
    return dateformat.format(value, US_DATE_FORMAT)


US_DATETIME_FORMAT = f"{US_DATE_FORMAT} H:i"


def us_datetime(value: datetime | None) -> str:
    """`value` as MM/DD/YYYY HH:MM (24-hour), as given (localize first); "" when there is none."""
    if not value:
        return ""
    return dateformat.format(value, US_DATETIME_FORMAT)
