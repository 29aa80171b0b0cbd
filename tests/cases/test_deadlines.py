from datetime import date

import pytest

from cases import deadlines


@pytest.mark.parametrize(
    ("served_on", "method", "expected"),
    [
        # 2015-02-09 + 35 days = 2015-03-16 (Monday)
        (date(2015, 2, 9), "mail", date(2015, 3, 16)),
        (date(2015, 2, 9), "electronic", date(2015, 3, 11)),
        # 2015-10-22 + 35 = Thanksgiving 2015-11-26 -> the day after (holiday) -> weekend -> Monday 11-30
        (date(2015, 10, 22), "mail", date(2015, 11, 30)),
        # a Saturday due date rolls to Monday
        (date(2015, 1, 1), "electronic", date(2015, 2, 2)),
    ],
)
def test_application_due_rolls_past_weekends_and_holidays(served_on, method, expected):
    assert deadlines.compute_application_due(served_on=served_on, service_method=method) == expected


# ---- Every rule at its boundaries (domain.md, "Timeline") ---------------------------------
# Thanksgiving 2015 is Thursday 11-26 and the day after (11-27) is a California state holiday,
# so a deadline landing on either rolls past the weekend to Monday 11-30.
THANKSGIVING = date(2015, 11, 26)
MONDAY_AFTER = date(2015, 11, 30)


@pytest.mark.parametrize(
    ("served_on", "method", "expected"),
    [
        # 30 days, no extension for electronic or personal service
        (date(2015, 2, 9), "personal", date(2015, 3, 11)),
        # lands on the day after Thanksgiving
        (date(2015, 10, 28), "electronic", MONDAY_AFTER),
        # lands on Cesar Chavez Day (Thursday 2016-03-31) -> Friday
        (date(2016, 3, 1), "electronic", date(2016, 4, 1)),
        # Christmas 2022 is a Sunday; Monday 12-26 is observed -> Tuesday
        (date(2022, 11, 25), "electronic", date(2022, 12, 27)),
        # Susan B. Anthony Day (Tuesday 2022-02-15) is observed, not a closure: no roll
        (date(2022, 1, 16), "electronic", date(2022, 2, 15)),
        # a Sunday due date rolls to Monday
        (date(2015, 1, 2), "electronic", date(2015, 2, 2)),
    ],
)
def test_application_due_boundaries(served_on, method, expected):
    assert deadlines.compute_application_due(served_on=served_on, service_method=method) == expected


@pytest.mark.parametrize(
    ("requested_on", "expected"),
    [
        (date(2015, 11, 16), date(2015, 11, 23)),  # Monday -> next Monday
        (date(2015, 11, 23), date(2015, 12, 2)),  # skips Thanksgiving, the day after and the weekend
        (date(2015, 11, 21), date(2015, 12, 1)),  # from a Saturday: 23, 24, 25, 30, 1
    ],
)
def test_eligibility_information_due_in_five_business_days(requested_on, expected):
    assert deadlines.compute_eligibility_info_due(requested_on=requested_on) == expected


@pytest.mark.parametrize(
    ("eligible_on", "expected"),
    [
        (date(2015, 11, 24), date(2015, 11, 25)),
        (date(2015, 11, 25), MONDAY_AFTER),
        (date(2015, 11, 20), date(2015, 11, 23)),  # Friday -> Monday
    ],
)
def test_notice_due_one_business_day_after_eligible(eligible_on, expected):
    assert deadlines.compute_notice_due(eligible_on=eligible_on) == expected


@pytest.mark.parametrize(
    ("notice_on", "method", "expedited", "expected"),
    [
        (date(2015, 11, 11), "mail", False, MONDAY_AFTER),  # 15 days -> Thanksgiving -> Monday
        (date(2015, 11, 10), "mail", False, date(2015, 11, 25)),  # the day before: no roll
        (date(2015, 11, 14), "electronic", False, MONDAY_AFTER),  # 12 days -> Thanksgiving
        (date(2015, 11, 2), "electronic", False, date(2015, 11, 16)),  # 12 days -> Saturday -> Monday
        (date(2015, 11, 13), "electronic", False, date(2015, 11, 25)),
        # 24 hours are counted in hours: the next day even when it is a holiday
        (date(2015, 11, 25), "mail", True, THANKSGIVING),
        (date(2015, 11, 25), "electronic", True, THANKSGIVING),
    ],
)
def test_records_due(notice_on, method, expedited, expected):
    assert (
        deadlines.compute_records_due(notice_on=notice_on, notice_method=method, expedited=expedited)
        == expected
    )


@pytest.mark.parametrize(
    ("complete_on", "expedited", "formulary", "expected"),
    [
        (date(2015, 2, 2), False, False, date(2015, 3, 4)),  # 30 calendar days
        (date(2015, 10, 27), False, False, MONDAY_AFTER),  # 30 days -> Thanksgiving
        (date(2015, 10, 28), False, False, MONDAY_AFTER),  # 30 days -> the day after
        (date(2015, 11, 23), True, False, MONDAY_AFTER),  # 3 days -> Thanksgiving
        (date(2015, 11, 24), True, False, MONDAY_AFTER),  # 3 days -> the day after
        (date(2015, 11, 19), True, False, date(2015, 11, 23)),  # 3 days -> Sunday -> Monday
        (date(2015, 11, 18), True, False, date(2015, 11, 23)),  # 3 days -> Saturday -> Monday
        (date(2015, 11, 17), True, False, date(2015, 11, 20)),
        (date(2015, 11, 23), False, True, date(2015, 12, 2)),  # 5 working days past the holidays
        (date(2015, 11, 16), False, True, date(2015, 11, 23)),
        (date(2015, 11, 23), True, True, MONDAY_AFTER),  # expedited wins over formulary
    ],
)
def test_determination_due(complete_on, expedited, formulary, expected):
    assert (
        deadlines.compute_determination_due(
            records_complete_on=complete_on, expedited=expedited, formulary_only=formulary
        )
        == expected
    )


@pytest.mark.parametrize(
    ("mailed_on", "expected"),
    [
        (date(2015, 3, 9), date(2015, 4, 13)),  # 35 days -> Monday
        (date(2015, 10, 22), MONDAY_AFTER),  # 35 days -> Thanksgiving
    ],
)
def test_appeal_due_thirty_days_plus_five_for_mail(mailed_on, expected):
    assert deadlines.compute_appeal_due(mailed_on=mailed_on) == expected


@pytest.mark.parametrize(
    ("complete_on", "today", "days"),
    [
        (date(2015, 3, 16), None, 0),  # on the due day
        (date(2015, 3, 15), None, 0),  # early
        (date(2015, 3, 17), None, 1),
        (date(2015, 3, 26), None, 10),
        (None, date(2015, 3, 16), 0),  # still missing, not late yet
        (None, date(2015, 4, 16), 31),  # still missing: counts to today
    ],
)
def test_records_days_late(complete_on, today, days):
    assert (
        deadlines.compute_records_days_late(
            records_due=date(2015, 3, 16), records_complete_on=complete_on, today=today or date(2015, 5, 1)
        )
        == days
    )


def test_records_days_late_without_a_due_date_is_zero():
    assert (
        deadlines.compute_records_days_late(
            records_due=None, records_complete_on=None, today=date(2015, 5, 1)
        )
        == 0
    )


@pytest.mark.parametrize(
    ("days", "penalty"), [(-3, 0), (0, 0), (1, 500), (9, 4500), (10, 5000), (11, 5000), (365, 5000)]
)
def test_records_late_penalty_is_capped(days, penalty):
    assert deadlines.compute_records_late_penalty_usd(days_late=days) == penalty


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], False),
        ([("pharmaceuticals", True)], True),
        ([("pharmaceuticals", True), ("pharmaceuticals", True)], True),
        ([("pharmaceuticals", True), ("pharmaceuticals", False)], False),
        ([("pharmaceuticals", True), ("physical_medicine", False)], False),
    ],
)
def test_formulary_only(items, expected):
    assert deadlines.is_formulary_only(items) is expected


@pytest.mark.parametrize(
    ("received_on", "expedited", "pharmacy", "ended", "fee"),
    [
        (date(2012, 12, 31), False, False, False, None),
        (date(2013, 1, 1), False, False, False, 560),
        (date(2014, 3, 31), True, False, False, 685),
        (date(2014, 4, 1), False, False, False, 420),
        (date(2014, 4, 1), False, True, False, 390),
        (date(2014, 4, 1), True, False, False, 515),
        (date(2019, 12, 31), False, False, True, 160),
        (date(2020, 1, 1), False, False, False, 345),
        (date(2020, 1, 1), True, False, False, 345),
        (date(2020, 1, 1), False, False, True, 115),
    ],
)
def test_fee_eras(received_on, expedited, pharmacy, ended, fee):
    assert (
        deadlines.compute_fee_usd(
            received_on=received_on, expedited=expedited, pharmacy_only=pharmacy, ended_before_reviewer=ended
        )
        == fee
    )


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (THANKSGIVING, False),
        (date(2015, 11, 27), False),
        (date(2015, 11, 25), True),
        (date(2015, 3, 31), False),  # Cesar Chavez Day
        (date(2022, 2, 15), True),  # Susan B. Anthony Day is not a closure
        (date(2021, 2, 15), False),  # ... unless it is also Presidents' Day
        (date(2015, 11, 28), False),  # Saturday
    ],
)
def test_business_days(day, business):
    assert deadlines.is_business_day(day) is business
