"""The reviewer's home and the clinical QA queue in pages: a page of rows at a time, most urgent
first with a stable tie-breaker, the same number of queries for 1 row and for several pages.

Bad inputs tried: a page past the end (last page), a garbage page (`?page=abc`, first page),
page 0 (last page per Paginator.get_page) — never a 500.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseStatus
from determinations import review_views
from determinations.models import Determination, DeterminationStatus
from tests.determinations.review_support import case_for_review, qa_user
from tests.factories import make_seed_reviewer

pytestmark = pytest.mark.django_db

PAGE = 3


@pytest.fixture
def reviewer():
    return make_seed_reviewer()


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(review_views, "REVIEWER_HOME_PAGE_SIZE", PAGE)
    monkeypatch.setattr(review_views, "QA_QUEUE_PAGE_SIZE", PAGE)


def shown(response, cases) -> list[str]:
    """The case numbers of `cases` on the page, in the order shown."""
    body = response.content.decode()
    found = [(body.index(f">{c.case_number}<"), c.case_number) for c in cases if f">{c.case_number}<" in body]
    return [number for _, number in sorted(found)]


def _qa_case(reviewer, *, due_in_days: int):
    case, _ = case_for_review(reviewer=reviewer, status=CaseStatus.QA_REVIEW, due_in_days=due_in_days)
    Determination.objects.create(case=case, reviewer=reviewer, status=DeterminationStatus.SUBMITTED)
    return case


def _assert_pages(client, url, in_order):
    numbers = [c.case_number for c in in_order]
    page1 = client.get(url)
    assert page1.status_code == 200
    assert shown(page1, in_order) == numbers[:PAGE]
    assert f"Page 1 of {-(-len(numbers) // PAGE)}" in page1.content.decode()
    assert shown(client.get(url, {"page": 2}), in_order) == numbers[PAGE : 2 * PAGE]
    last = numbers[(len(numbers) - 1) // PAGE * PAGE :]
    for bad, expected in (("99", last), ("abc", numbers[:PAGE]), ("0", last)):
        response = client.get(url, {"page": bad})
        assert response.status_code == 200, bad
        assert shown(response, in_order) == expected, bad


def test_qa_queue_pages_most_urgent_first(client, reviewer):
    # Same deadline for two cases: the tie is broken by received date, then by id, on every page.
    cases = [_qa_case(reviewer, due_in_days=days) for days in (9, 3, 3, 7, 1)]
    client.force_login(qa_user())
    in_order = sorted(cases, key=lambda c: (c.determination_due, c.received_on, c.pk))
    _assert_pages(client, reverse("review:qa_queue"), in_order)


def test_reviewer_home_pages_work_to_do_first_then_with_qa(client, reviewer):
    with_qa = [_qa_case(reviewer, due_in_days=1)]  # most urgent, yet after the work to do
    to_do = [case_for_review(reviewer=reviewer, due_in_days=days)[0] for days in (8, 2, 5, 2)]
    client.force_login(reviewer.user)
    in_order = sorted(to_do, key=lambda c: (c.determination_due, c.received_on, c.pk)) + with_qa
    _assert_pages(client, reverse("review:reviewer_home"), in_order)
    # Page 2 holds the last case to do and the one with QA, under their own headings.
    body = client.get(reverse("review:reviewer_home"), {"page": 2}).content.decode()
    assert "Submitted, with clinical QA" in body and "No cases are waiting for you." not in body


@pytest.mark.parametrize("view", ["review:reviewer_home", "review:qa_queue"])
def test_queue_pages_cost_the_same_queries_for_1_and_many_rows(client, reviewer, view):
    status = CaseStatus.IN_REVIEW if view == "review:reviewer_home" else CaseStatus.QA_REVIEW

    def add_case():
        if status == CaseStatus.QA_REVIEW:
            return _qa_case(reviewer, due_in_days=5)
        return case_for_review(reviewer=reviewer, status=status)[0]

    add_case()
    client.force_login(reviewer.user if view == "review:reviewer_home" else qa_user())
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(view)).status_code == 200
    for _ in range(PAGE * 2 + 1):
        add_case()
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse(view), {"page": 2})
    assert response.content.decode().count("data-case=") == PAGE
    assert len(many.captured_queries) == len(one.captured_queries)
