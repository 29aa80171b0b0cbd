"""The fee of each case, from the schedule in domain.md, computed by hand, on cases imported with
their history (what billing reads: the outcome, its date, whether a reviewer ever had the case).

Checked: each era boundary (2014-03-31 / 2014-04-01, 2019-12-31 / 2020-01-01), expedited,
pharmacy-only, ended (withdrawn, terminated, dismissed as ineligible) before reaching a
reviewer, and ended after a reviewer had it (full fee). MD vs non-MD in the first era: the data
records no reviewer degree (every reviewer is a physician), so the MD/DO rates apply.
"""

from __future__ import annotations

from datetime import date

import pytest

from billing.selectors import billable_cases
from tests.billing.support import billed_case
from tests.factories import make_seed_reviewer

pytestmark = pytest.mark.django_db

MAY_2021 = date(2021, 5, 1)


@pytest.fixture
def reviewer_number():
    return make_seed_reviewer().reviewer_number


@pytest.mark.parametrize(
    ("received_on", "priority", "pharmacy", "outcome", "through_reviewer", "fee", "basis"),
    [
        # 2013 era: MD/DO rates; the schedule has no reduced fee for a case ended early.
        (
            date(2014, 3, 31),
            "standard",
            False,
            "determination_issued",
            True,
            560,
            "2013 schedule: standard review",
        ),
        (
            date(2014, 3, 31),
            "expedited",
            False,
            "determination_issued",
            True,
            685,
            "2013 schedule: expedited review",
        ),
        (
            date(2014, 3, 31),
            "standard",
            True,
            "determination_issued",
            True,
            560,
            "2013 schedule: standard review",
        ),
        # 2014 era
        (
            date(2014, 4, 1),
            "standard",
            False,
            "determination_issued",
            True,
            420,
            "2014 schedule: standard review",
        ),
        (
            date(2014, 4, 1),
            "standard",
            True,
            "determination_issued",
            True,
            390,
            "2014 schedule: pharmacy only review",
        ),
        (
            date(2014, 4, 1),
            "expedited",
            True,
            "determination_issued",
            True,
            515,
            "2014 schedule: expedited review",
        ),
        (
            date(2019, 12, 31),
            "standard",
            False,
            "withdrawn",
            False,
            160,
            "2014 schedule: ended before a reviewer",
        ),
        (date(2019, 12, 31), "standard", False, "terminated", True, 420, "2014 schedule: standard review"),
        (
            date(2019, 12, 31),
            "expedited",
            False,
            "ineligible",
            False,
            160,
            "2014 schedule: ended before a reviewer",
        ),
        # 2020 era
        (
            date(2020, 1, 1),
            "standard",
            False,
            "determination_issued",
            True,
            345,
            "2020 schedule: standard review",
        ),
        (
            date(2020, 1, 1),
            "expedited",
            True,
            "determination_issued",
            True,
            345,
            "2020 schedule: expedited review",
        ),
        (
            date(2020, 1, 1),
            "standard",
            False,
            "terminated",
            False,
            115,
            "2020 schedule: ended before a reviewer",
        ),
        (
            date(2020, 1, 1),
            "expedited",
            False,
            "ineligible",
            False,
            115,
            "2020 schedule: ended before a reviewer",
        ),
        (date(2020, 1, 1), "standard", False, "withdrawn", True, 345, "2020 schedule: standard review"),
    ],
)
def test_fee_by_hand(received_on, priority, pharmacy, outcome, through_reviewer, fee, basis, reviewer_number):
    case = billed_case(
        received_on=received_on,
        priority=priority,
        pharmacy=pharmacy,
        outcome=outcome,
        outcome_on=date(2021, 5, 14),
        reviewer_number=reviewer_number if through_reviewer else None,
    )
    [billable] = billable_cases(period=MAY_2021)
    assert billable.case_number == case.case_number
    assert billable.outcome == outcome
    assert billable.fee_usd == fee
    assert billable.fee_basis == basis
    assert billable.ended_before_reviewer is (outcome != "determination_issued" and not through_reviewer)


def test_a_case_bills_in_the_month_of_its_first_outcome_only(reviewer_number):
    """Outcome on the last day of April bills in April; on May 1 in May; a case still open never bills."""
    april = billed_case(received_on=date(2021, 3, 1), outcome="withdrawn", outcome_on=date(2021, 4, 30))
    may = billed_case(received_on=date(2021, 3, 1), outcome="terminated", outcome_on=date(2021, 5, 1))
    billed_case(
        received_on=date(2021, 3, 1),
        outcome="in_review",
        outcome_on=date(2021, 5, 3),
        reviewer_number=reviewer_number,
    )
    assert [c.case_number for c in billable_cases(period=date(2021, 4, 1))] == [april.case_number]
    assert [c.case_number for c in billable_cases(period=MAY_2021)] == [may.case_number]


def test_billable_cases_reads_a_fixed_number_of_queries(django_assert_max_num_queries, reviewer_number):
    for day in range(1, 11):
        billed_case(received_on=date(2021, 3, 1), outcome="withdrawn", outcome_on=date(2021, 5, day))
    with django_assert_max_num_queries(2):
        assert len(billable_cases(period=MAY_2021)) == 10
