from datetime import date, datetime

from django import template

from core import dates

register = template.Library()


@register.filter(expects_localtime=True)
def us_date(value: date | None) -> str:
    """`{{ case.received_on|us_date }}`: 03/24/2015 (a datetime in the current time zone); "" for none."""
    try:
        return dates.us_date(value)
    except (AttributeError, TypeError):  # not a date: blank, as Django's `date` filter does
        return ""


@register.filter(expects_localtime=True)
def us_datetime(value: datetime | None) -> str:
    """`{{ event.at|us_datetime }}`: 03/24/2015 14:05 in the current time zone; "" for none."""
    try:
        return dates.us_datetime(value)
    except (AttributeError, TypeError):
        return ""
