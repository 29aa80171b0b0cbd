"""Pagination of the reviewer list and the candidates page: a page of rows at a time,
in a stable order, constant queries.

Bad inputs tried: a page past the end (last page), a garbage page (`?page=abc`, first page),
a negative page (last page per Paginator.get_page) — never a 500.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imr_site import roles
from reviewers import views
from tests.factories import ReviewerFactory, UserFactory
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db

PAGE = 5


@pytest.fixture
def staff_client(client, monkeypatch):
    monkeypatch.setattr(views, "REVIEWER_LIST_PAGE_SIZE", PAGE)
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    return client


def numbers(response) -> list[str]:
    return re.findall(r"<td>(R\d{5})</td>", response.content.decode())


def test_reviewer_list_pages_in_reviewer_number_order(staff_client):
    reviewers = sorted(ReviewerFactory.create_batch(PAGE + 3), key=lambda r: r.reviewer_number)
    url = reverse("reviewers:reviewer_list")
    first = staff_client.get(url)
    assert numbers(first) == [r.reviewer_number for r in reviewers[:PAGE]]
    assert "Page 1 of 2" in first.content.decode()
    second = staff_client.get(url, {"page": 2})
    assert numbers(second) == [r.reviewer_number for r in reviewers[PAGE:]]
    for bad, expected in (("99", reviewers[PAGE:]), ("abc", reviewers[:PAGE]), ("-1", reviewers[PAGE:])):
        response = staff_client.get(url, {"page": bad})
        assert response.status_code == 200, bad
        assert numbers(response) == [r.reviewer_number for r in expected], bad


def test_reviewer_list_queries_do_not_grow_with_rows(staff_client):
    url = reverse("reviewers:reviewer_list")
    ReviewerFactory()
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url).status_code == 200
    ReviewerFactory.create_batch(PAGE * 3)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(url, {"page": 2})
    assert len(numbers(response)) == PAGE
    assert len(many.captured_queries) == len(one.captured_queries)


# ---- the candidates page: every reviewer evaluated, qualified ones first, a page at a time ----


@pytest.fixture
def candidates_client(staff_client, monkeypatch):
    monkeypatch.setattr(views, "CANDIDATES_PAGE_SIZE", PAGE)
    return staff_client


def test_candidates_pages_qualified_reviewers_first(candidates_client):
    case = ready_case()
    qualified = [qualified_reviewer() for _ in range(2)]
    unlicensed = ReviewerFactory.create_batch(PAGE + 1)  # no license: excluded, with the reason
    url = reverse("reviewers:case_candidates", args=[case.pk])
    first = candidates_client.get(url)
    body = first.content.decode()
    assert first.status_code == 200
    assert f"(2 of {len(qualified) + len(unlicensed)} could take it)" in body
    page1 = numbers(first)
    assert sorted(page1[:2]) == sorted(r.reviewer_number for r in qualified)
    assert len(page1) == PAGE and body.count("qualifies") == 2
    page2 = numbers(candidates_client.get(url, {"page": 2}))
    assert len(page2) == len(qualified) + len(unlicensed) - PAGE
    assert sorted(page1 + page2) == sorted(r.reviewer_number for r in [*qualified, *unlicensed])
    # The others follow in reviewer-number order, across the page break.
    assert page1[2:] + page2 == sorted(r.reviewer_number for r in unlicensed)
    for bad, expected in (("99", page2), ("abc", page1)):
        response = candidates_client.get(url, {"page": bad})
        assert response.status_code == 200, bad
        assert numbers(response) == expected, bad


def test_candidates_queries_do_not_grow_with_reviewers(candidates_client):
    case = ready_case()
    qualified_reviewer()
    ReviewerFactory()  # a page that shows others than the qualified reads their ids: one query
    url = reverse("reviewers:case_candidates", args=[case.pk])
    with CaptureQueriesContext(connection) as one:
        assert candidates_client.get(url).status_code == 200
    for _ in range(PAGE):
        qualified_reviewer()
    ReviewerFactory.create_batch(PAGE * 2)
    with CaptureQueriesContext(connection) as many:
        response = candidates_client.get(url, {"page": 2})
    assert len(numbers(response)) == PAGE
    assert len(many.captured_queries) == len(one.captured_queries)
    with CaptureQueriesContext(connection) as qualified_only:
        response = candidates_client.get(url)
    assert "qualifies" in response.content.decode() and len(numbers(response)) == PAGE
    assert len(qualified_only.captured_queries) == len(one.captured_queries) - 1
