"""Pagination of the reviewer list: a page of rows at a time, in a stable order, constant queries.

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
