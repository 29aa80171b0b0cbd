"""The operations dashboard: today's work, ageing, deadlines this week, reviewer workload and the
twelve-month trend, on cases whose figures are counted by hand below; its query budget."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from cases.models import CaseStatus, Priority
from determinations.models import Decision, DeterminationStatus
from imr_site import roles
from reports import dashboard as board
from reports.tasks import refresh_report_rollups
from reviewers.models import Reviewer, ReviewerStatus
from tests.factories import (
    DeterminationFactory,
    DisputedItemFactory,
    ItemDecisionFactory,
    ReviewerFactory,
    UserFactory,
)
from tests.reports.reports_support import TODAY, make_case
from tests.second_factor import SECOND_FACTOR_QUERIES

S = CaseStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def board_data(frozen_today):
    """Today is Tue 2026-03-10. Open cases (received N days ago, next deadline):
    O1 received today; O2 eligibility review, 10 days; O3 awaiting records, 20 days, overdue since
    yesterday; O4 ready for assignment, 50 days, due Thu 03-12; O5 in review, 3 days, due Mon 03-16
    (the 7th day); O6 in QA, 7 days, due 03-20 (after the week); O7 assigned, 8 days, due today.
    Closed C1 and ineligible C2 are not open."""
    frozen_today(TODAY)
    ago = lambda days: TODAY - timedelta(days=days)  # noqa: E731
    plan = [
        ("O1", S.RECEIVED, 0, None, False),
        ("O2", S.ELIGIBILITY_REVIEW, 10, None, False),
        ("O3", S.AWAITING_RECORDS, 20, ago(1), True),
        ("O4", S.READY_FOR_ASSIGNMENT, 50, date(2026, 3, 12), False),
        ("O5", S.IN_REVIEW, 3, date(2026, 3, 16), False),
        ("O6", S.QA_REVIEW, 7, date(2026, 3, 20), False),
        ("O7", S.ASSIGNED, 8, TODAY, False),
        ("C1", S.CLOSED, 30, None, False),
        ("C2", S.INELIGIBLE, 0, None, False),
    ]
    cases = {}
    for key, status, age, deadline, overdue in plan:
        cases[key] = make_case(
            received_on=ago(age),
            status=status,
            next_deadline=deadline,
            overdue=overdue,
            ur_served_on=ago(age),
        )
    # Reviewers: idle, under half (2 of 10), half (5 of 10), full (4 of 4); a suspended one is left out.
    for number, held, most, status in [
        ("R02001", 0, 10, ReviewerStatus.ACTIVE),
        ("R02002", 2, 10, ReviewerStatus.ACTIVE),
        ("R02003", 5, 10, ReviewerStatus.ACTIVE),
        ("R02004", 4, 4, ReviewerStatus.ACTIVE),
        ("R02005", 9, 10, ReviewerStatus.SUSPENDED),
    ]:
        reviewer = ReviewerFactory(reviewer_number=number, max_open_cases=most, status=status)
        Reviewer.objects.filter(pk=reviewer.pk).update(open_cases=held)
    # The trend: two determinations issued in February 2026 (3 items, 1 overturned), one in
    # April 2025 (the first month shown: 1 item, overturned), one in March 2025 (outside).
    for issued, decisions in [
        (date(2026, 2, 3), [Decision.UPHELD, Decision.OVERTURNED]),
        (date(2026, 2, 20), [Decision.UPHELD]),
        (date(2025, 4, 1), [Decision.OVERTURNED]),
        (date(2025, 3, 31), [Decision.OVERTURNED]),
    ]:
        case = make_case(received_on=issued - timedelta(days=40), status=S.CLOSED, priority=Priority.STANDARD)
        # The items first: an issued determination makes its case's items read-only.
        items = [DisputedItemFactory(case=case, position=10 + n) for n in range(len(decisions))]
        determination = DeterminationFactory(
            case=case, reviewer=None, status=DeterminationStatus.ISSUED, issued_on=issued
        )
        for item, decision in zip(items, decisions, strict=True):
            ItemDecisionFactory(determination=determination, disputed_item=item, decision=decision)
    refresh_report_rollups.delay()
    return cases


def test_todays_work(board_data):
    work = {item.label: (item.count, item.overdue) for item in board.todays_work(today=TODAY)}
    assert work == {
        "Received today": (2, None),  # O1, and C2 (ineligible at once, but it arrived today)
        "Awaiting eligibility": (2, 0),  # O1, O2
        "Awaiting records": (1, 1),  # O3, overdue
        "Ready, no reviewer yet": (1, 0),  # O4
        "With a reviewer": (2, 0),  # O5 in review, O7 assigned
        "In QA": (1, 0),  # O6
        "Letters to post": (0, None),
    }


def test_ageing_by_state(board_data):
    rows = {row.status: row.counts for row in board.ageing(today=TODAY)}
    # Buckets: 0-7, 8-14, 15-30, 31-45, over 45 days since received.
    assert rows[S.RECEIVED] == [1, 0, 0, 0, 0]  # O1, today
    assert rows[S.ELIGIBILITY_REVIEW] == [0, 1, 0, 0, 0]  # O2, 10 days
    assert rows[S.AWAITING_RECORDS] == [0, 0, 1, 0, 0]  # O3, 20 days
    assert rows[S.READY_FOR_ASSIGNMENT] == [0, 0, 0, 0, 1]  # O4, 50 days
    assert rows[S.IN_REVIEW] == [1, 0, 0, 0, 0]  # O5, 3 days
    assert rows[S.QA_REVIEW] == [1, 0, 0, 0, 0]  # O6, 7 days: the last day of the first bucket
    assert rows[S.ASSIGNED] == [0, 1, 0, 0, 0]  # O7, 8 days: the first of the second
    assert S.CLOSED not in rows and S.INELIGIBLE not in rows


def test_deadlines_due_this_week(board_data):
    due = [(row.day, row.count) for row in board.due_this_week(today=TODAY)]
    assert due == [
        (None, 1),  # O3, due yesterday
        (date(2026, 3, 10), 1),  # O7
        (date(2026, 3, 11), 0),
        (date(2026, 3, 12), 1),  # O4
        (date(2026, 3, 13), 0),
        (date(2026, 3, 14), 0),
        (date(2026, 3, 15), 0),
        (date(2026, 3, 16), 1),  # O5; O6 (03-20) is after the week
    ]


def test_reviewer_workload(board_data):
    workload = board.reviewer_workload()
    assert (workload.reviewers, workload.open_cases, workload.capacity) == (4, 11, 34)
    assert workload.use_percent == 32.4  # 11 / 34
    assert workload.buckets == [1, 1, 1, 1]  # idle, under half, half or more, at capacity
    assert workload.busiest == [("R02004", 4, 4), ("R02003", 5, 10), ("R02002", 2, 10)]


def test_twelve_month_trend(board_data):
    period, months = board.monthly_trend(today=TODAY)
    assert (period.start, period.end) == (date(2025, 4, 1), TODAY)
    assert [m.month for m in months][:2] == [date(2025, 4, 1), date(2025, 5, 1)] and len(months) == 12
    by_month = {m.month: m for m in months}
    february = by_month[date(2026, 2, 1)]
    assert (february.decided, february.items, february.overturned, february.overturn_rate) == (2, 3, 1, 33.3)
    april = by_month[date(2025, 4, 1)]
    assert (april.decided, april.overturn_rate) == (1, 100.0)
    assert by_month[date(2026, 1, 1)].overturn_rate is None  # nothing decided: no rate, not 0
    # Received (today minus each case's age): March 2026: O1 (03-10), O5 (03-07), O6 (03-03),
    # O7 (03-02), C2 (03-10). February: O2 (02-28), O3 (02-18), C1 (02-08). January: O4 (01-19)
    # and a trend case (40 days before its 02-20 issue: 01-11). December: the other (12-25).
    assert by_month[date(2026, 3, 1)].received == 5
    assert by_month[date(2026, 2, 1)].received == 3
    assert by_month[date(2025, 12, 1)].received == 1
    assert by_month[date(2026, 1, 1)].received == 2


def test_the_page_shows_every_section_as_a_table(board_data, client, django_assert_max_num_queries):
    client.force_login(UserFactory(username="intake1", role=roles.INTAKE_STAFF))
    # Session, user, permissions (2), the device; then the dashboard's nine queries.
    with django_assert_max_num_queries(5 + SECOND_FACTOR_QUERIES + 9):
        page = client.get(reverse("reports:dashboard"))
    assert page.status_code == 200
    body = page.content.decode()
    for table in ("ageing-table", "due-table", "workload-table", "busiest-table", "trend-table"):
        assert re.search(rf'<table[^>]+id="{table}"', body), table
    assert 'src="/static/vendor/chartjs/chart.umd.min.js"' in body
    assert "<script>" not in body  # no inline script under the Content-Security-Policy
    assert 'data-count="awaiting-records">' in body
    assert "1 overdue" in body
    assert "4 active reviewers hold 11 open cases of a capacity of 34 (32.4% used)" in body


def test_the_query_count_does_not_grow_with_the_cases(board_data, client, django_assert_max_num_queries):
    client.force_login(UserFactory(username="intake1", role=roles.INTAKE_STAFF))
    client.get(reverse("reports:dashboard"))
    for n in range(20):
        make_case(
            received_on=TODAY - timedelta(days=n),
            status=S.AWAITING_RECORDS,
            ur_served_on=TODAY - timedelta(days=n),
        )
    with django_assert_max_num_queries(5 + SECOND_FACTOR_QUERIES + 9):
        assert client.get(reverse("reports:dashboard")).status_code == 200
