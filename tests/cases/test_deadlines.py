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
