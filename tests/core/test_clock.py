"""The one clock (`core.clock`): the date in the project's time zone, frozen in tests by time-machine.

Bad inputs tried: an instant whose UTC date is already the next day (late evening in California).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from cases.models import CaseStatus
from cases.services.notices import mark_overdue_cases
from core import clock
from tests.factories import CaseFactory


def test_today_is_the_californian_date_when_utc_is_already_tomorrow(time_machine):
    # 05:00 UTC on 26 March 2015 is 22:00 on 25 March in Los Angeles.
    time_machine.move_to(datetime(2015, 3, 26, 5, 0, tzinfo=UTC), tick=False)
    assert clock.today() == date(2015, 3, 25)
    assert clock.now() == datetime(2015, 3, 26, 5, 0, tzinfo=UTC)
    assert clock.now().tzinfo is not None


def test_frozen_today_holds_both_the_date_and_the_time(frozen_today):
    assert frozen_today(date(2015, 3, 25)) == date(2015, 3, 25)
    assert clock.today() == date(2015, 3, 25)
    assert timezone.localtime(clock.now()).replace(tzinfo=None) == datetime(2015, 3, 25, 12, 0)
    first = clock.now()
    assert clock.now() == first  # time stands still until the test moves it
    frozen_today(date(2015, 4, 1))
    assert clock.today() == date(2015, 4, 1)


@pytest.mark.django_db
def test_a_service_reads_the_frozen_clock_without_any_patching(frozen_today):
    """A case due yesterday is overdue; the same case on its due date is not."""
    case = CaseFactory(status=CaseStatus.AWAITING_RECORDS, next_deadline=date(2015, 3, 24))
    frozen_today(date(2015, 3, 24))
    assert mark_overdue_cases().marked == 0
    frozen_today(date(2015, 3, 25))
    assert mark_overdue_cases().marked == 1
    case.refresh_from_db()
    assert case.overdue is True
    assert case.updated_at == clock.now()
