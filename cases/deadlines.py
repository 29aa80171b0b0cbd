"""Deadlines and fees of domain.md, as pure functions of dates.

Calendar-day deadlines that land on a weekend or a California state holiday move to the
next business day. Holidays come from the maintained `holidays` library (US, subdivision CA),
never from a hand-typed list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

from cases.models import ItemCategory, NoticeMethod, ServiceMethod

APPLICATION_DAYS = 30
MAIL_EXTENSION_DAYS = 5
ELIGIBILITY_INFO_BUSINESS_DAYS = 5
NOTICE_BUSINESS_DAYS = 1
RECORDS_DAYS_AFTER_MAILED_NOTICE = 15
RECORDS_DAYS_AFTER_ELECTRONIC_NOTICE = 12
RECORDS_DAYS_EXPEDITED = 1  # 24 hours
DETERMINATION_DAYS_STANDARD = 30
DETERMINATION_DAYS_EXPEDITED = 3
DETERMINATION_BUSINESS_DAYS_FORMULARY = 5
APPEAL_DAYS = 30
RECORDS_LATE_PENALTY_PER_DAY_USD = 500
RECORDS_LATE_PENALTY_MAX_USD = 5000


# The library lists Susan B. Anthony Day (Feb 15) for California, but it is a day of
# observance: state offices stay open, so deadlines do not move past it.
NOT_CLOSED_DAYS = frozenset({"Susan B. Anthony Day"})


@lru_cache(maxsize=64)
def _california_holidays(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("US", subdiv="CA", years=year)
    closed = set()
    for day in calendar:
        # Two holidays on one day come back as one name joined with "; ".
        names = {name.strip() for name in calendar.get_list(day)}
        if names - NOT_CLOSED_DAYS:
            closed.add(day)
    return frozenset(closed)


def is_california_holiday(day: date) -> bool:
    return day in _california_holidays(day.year)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _california_holidays(day.year)


def roll_to_business_day(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_calendar_days(start: date, days: int) -> date:
    """`days` calendar days after `start`, moved past weekends and holidays."""
    return roll_to_business_day(start + timedelta(days=days))


def add_business_days(start: date, days: int) -> date:
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day):
            counted += 1
    return day


def business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -business_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_business_day(start + timedelta(days=n)))


def compute_application_due(*, served_on: date, service_method: str) -> date:
    days = APPLICATION_DAYS + (MAIL_EXTENSION_DAYS if service_method == ServiceMethod.MAIL else 0)
    return add_calendar_days(served_on, days)


def compute_eligibility_info_due(*, requested_on: date) -> date:
    return add_business_days(requested_on, ELIGIBILITY_INFO_BUSINESS_DAYS)


def compute_notice_due(*, eligible_on: date) -> date:
    return add_business_days(eligible_on, NOTICE_BUSINESS_DAYS)


def compute_records_due(*, notice_on: date, notice_method: str, expedited: bool) -> date:
    if expedited:
        # 24 hours is counted in hours, not calendar days, so it does not roll.
        return notice_on + timedelta(days=RECORDS_DAYS_EXPEDITED)
    days = (
        RECORDS_DAYS_AFTER_MAILED_NOTICE
        if notice_method == NoticeMethod.MAIL
        else RECORDS_DAYS_AFTER_ELECTRONIC_NOTICE
    )
    return add_calendar_days(notice_on, days)


def compute_determination_due(*, records_complete_on: date, expedited: bool, formulary_only: bool) -> date:
    if expedited:
        return add_calendar_days(records_complete_on, DETERMINATION_DAYS_EXPEDITED)
    if formulary_only:
        return add_business_days(records_complete_on, DETERMINATION_BUSINESS_DAYS_FORMULARY)
    return add_calendar_days(records_complete_on, DETERMINATION_DAYS_STANDARD)


def compute_appeal_due(*, mailed_on: date) -> date:
    return add_calendar_days(mailed_on, APPEAL_DAYS + MAIL_EXTENSION_DAYS)


def compute_records_days_late(
    *, records_due: date | None, records_complete_on: date | None, today: date
) -> int:
    """Days past `records_due` until the records were complete (or until today while missing)."""
    if records_due is None:
        return 0
    end = records_complete_on or today
    return max((end - records_due).days, 0)


def compute_records_late_penalty_usd(*, days_late: int) -> int:
    """$500 per day late, at most $5,000; nothing when the records were on time."""
    return min(max(days_late, 0) * RECORDS_LATE_PENALTY_PER_DAY_USD, RECORDS_LATE_PENALTY_MAX_USD)


def is_formulary_only(categories_and_flags: Iterable[tuple[str, bool]]) -> bool:
    pairs = list(categories_and_flags)
    return bool(pairs) and all(
        category == ItemCategory.PHARMACEUTICALS and formulary for category, formulary in pairs
    )


def compute_fee_usd(
    *,
    received_on: date,
    expedited: bool,
    pharmacy_only: bool,
    ended_before_reviewer: bool,
) -> int | None:
    """The IMR fee the claims administrator pays, by the fee era of the date received.

    Reviewers here are physicians (MD/DO), so the 2013 era's physician rates apply.
    Returns None for applications received before IMR began (2013-01-01).
    """
    if received_on < date(2013, 1, 1):
        return None
    if received_on <= date(2014, 3, 31):
        return 685 if expedited else 560
    if received_on <= date(2019, 12, 31):
        if ended_before_reviewer:
            return 160
        if expedited:
            return 515
        return 390 if pharmacy_only else 420
    return 115 if ended_before_reviewer else 345
