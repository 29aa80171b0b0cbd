"""The period a report covers: two dates, both included, checked the same way for the web and the command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from reports.errors import ReportError

# A report covers at most a year (a leap year's 366 days): the Division's figures are monthly
# and annual, and the < 200 ms budget at 200,000 cases a year is for a year of data.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def aware_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, the day after end 00:00) in the project's time zone, for datetime columns."""
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), zone),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone),
        )


def parse_date(value: str | None, *, name: str) -> date:
    """A date written YYYY-MM-DD; ReportError naming the field otherwise."""
    text = (value or "").strip()
    if not text:
        raise ReportError(f"Give the {name} date (YYYY-MM-DD).", field=name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportError(
            f"The {name} date {text[:20]!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31.",
            field=name,
        ) from None


def make_period(*, start: date, end: date) -> Period:
    if start > end:
        raise ReportError(
            f"The from date ({start.isoformat()}) is after the to date ({end.isoformat()}).", field="from"
        )
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise ReportError(
            f"A report covers at most {MAX_DAYS} days; this period has {period.days}. "
            "Ask for one year at a time.",
            field="to",
        )
    return period


def parse_period(*, start: str | None, end: str | None) -> Period:
    return make_period(start=parse_date(start, name="from"), end=parse_date(end, name="to"))


def default_period(*, today: date) -> Period:
    """The last twelve months: from the first of the month eleven months back, to today."""
    month = today.month - 11
    year = today.year
    if month < 1:
        month += 12
        year -= 1
    return Period(date(year, month, 1), today)


def month_starts(period: Period) -> list[date]:
    """The first day of each month the period touches, in order."""
    months = []
    day = period.start.replace(day=1)
    while day <= period.end:
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months
