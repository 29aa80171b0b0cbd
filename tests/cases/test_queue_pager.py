"""The work queues in keyset pages (templates/_keyset_pagination.html): Next and Previous walk
the whole queue in queue order without a gap or a repeat, Last reaches the end in one step, every
link keeps the chosen queue, a bad cursor shows the first page (never a 500), the tabs' counts
stop at the cap, and a page costs the same number of queries for 3 cases or 30."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import selectors
from cases.models import NO_DEADLINE, CaseStatus, Priority
from core.keyset import encode_cursor
from tests.factories import CaseFactory, DisputedItemFactory
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

URL = reverse("cases:queues")
ROW = re.compile(r'<td><a href="/cases/\d+/">(CM\d\d-\d{7})</a></td>')


def link(body: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', body)
    return html.unescape(found.group(1)) if found else None


def named_link(body: str, text: str) -> str | None:
    found = re.search(rf'href="([^"]+)">{text}</a>', body)
    return html.unescape(found.group(1)) if found else None


def queue_cases_with_ties(status: str, count: int = 7) -> list[str]:
    """Cases with equal deadlines and received dates, and some without a deadline; returns
    their numbers in the expected queue order (deadline, no deadline last; received; id)."""
    cases = []
    for n in range(count):
        deadline = None if n % 3 == 0 else date(2026, 6, 1) + timedelta(days=n % 2)
        cases.append(
            CaseFactory(status=status, next_deadline=deadline, received_on=date(2015, 2, 20 + n % 2))
        )
    cases.sort(key=lambda c: (c.next_deadline or NO_DEADLINE, c.received_on, c.pk))
    return [c.case_number for c in cases]


def walk(client, start: str, rel: str) -> list[list[str]]:
    pages, url = [], start
    while url is not None:
        response = client.get(URL + url if url.startswith("?") else url)
        assert response.status_code == 200
        body = response.content.decode()
        pages.append(ROW.findall(body))
        url = link(body, rel)
        assert len(pages) < 20, "the pager loops"
    return pages


def test_next_walks_the_queue_in_order_and_previous_walks_it_back(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    expected = queue_cases_with_ties(CaseStatus.AWAITING_RECORDS)
    CaseFactory(status=CaseStatus.CLOSED)  # another queue: never listed here

    forward = walk(staff_client, f"?status={CaseStatus.AWAITING_RECORDS}", "next")
    assert [len(p) for p in forward] == [2, 2, 2, 1]
    assert [n for p in forward for n in p] == expected

    body = staff_client.get(URL, {"status": CaseStatus.AWAITING_RECORDS}).content.decode()
    last = named_link(body, "Last")
    assert last is not None and "status=awaiting_records" in last
    backward = walk(staff_client, last, "prev")
    assert backward[0] == expected[-2:]  # the last page is full, ending with the last case
    assert [n for p in reversed(backward) for n in p] == expected


def test_every_link_keeps_the_queue(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    queue_cases_with_ties(CaseStatus.RECEIVED, count=5)
    body = staff_client.get(URL, {"status": CaseStatus.RECEIVED}).content.decode()
    second = link(body, "next")
    assert second is not None and "status=received" in second and "after=" in second
    body = staff_client.get(URL + second).content.decode()
    for href in (link(body, "prev"), link(body, "next"), named_link(body, "First"), named_link(body, "Last")):
        assert href is not None and "status=received" in href
    assert "before=" in link(body, "prev") and "after=" not in link(body, "prev")


def test_all_open_lists_open_cases_only_nearest_deadline_first(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    late = CaseFactory(status=CaseStatus.IN_REVIEW, next_deadline=date(2026, 7, 1))
    soon = CaseFactory(status=CaseStatus.RECEIVED, next_deadline=date(2026, 6, 1))
    none = CaseFactory(status=CaseStatus.QA_REVIEW, next_deadline=None)
    CaseFactory(status=CaseStatus.CLOSED, next_deadline=date(2026, 5, 1))
    pages = walk(staff_client, "?", "next")
    assert pages == [[soon.case_number, late.case_number], [none.case_number]]


def test_ready_queue_lists_expedited_cases_first_on_every_page(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    ready = CaseStatus.READY_FOR_ASSIGNMENT
    standard = [CaseFactory(status=ready, next_deadline=date(2026, 6, d)) for d in (1, 2)]
    expedited = [
        CaseFactory(status=ready, priority=Priority.EXPEDITED, next_deadline=date(2026, 6, d)) for d in (9, 8)
    ]
    pages = walk(staff_client, f"?status={ready}", "next")
    assert [n for p in pages for n in p] == [
        expedited[1].case_number,
        expedited[0].case_number,
        standard[0].case_number,
        standard[1].case_number,
    ]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        "e30",  # {}
        encode_cursor(["2026-06-01", "2015-02-20"]),  # one value short
        encode_cursor(["2026-06-01", "2015-02-20", "seven"]),  # not an id
        encode_cursor(["2026-13-01", "2015-02-20", 7]),  # no such month
        encode_cursor(["2026-06-01", "2015-02-20", 2**70]),  # out of range
        encode_cursor([True, "2015-02-20", 7]),
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_bad_cursor_shows_the_first_page_with_a_note(staff_client, monkeypatch, cursor, direction):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 2)
    expected = queue_cases_with_ties(CaseStatus.RECEIVED, count=3)
    response = staff_client.get(URL, {"status": CaseStatus.RECEIVED, direction: cursor})
    assert response.status_code == 200
    body = response.content.decode()
    assert ROW.findall(body) == expected[:2]
    assert "That page link is not valid any more" in body


def test_tabs_count_up_to_the_cap(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 2)
    CaseFactory.create_batch(3, status=CaseStatus.CLOSED)
    CaseFactory.create_batch(2, status=CaseStatus.RECEIVED)
    CaseFactory.create_batch(3, status=CaseStatus.AWAITING_RECORDS, overdue=True)
    body = staff_client.get(URL).content.decode()
    assert re.search(r'data-count="closed" title="at least 2">2\+<', body)
    assert re.search(r'data-count="received">2<', body)
    assert re.search(r'data-count="withdrawn">0<', body)
    assert "2+ overdue" in body


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": CaseStatus.CLOSED},
        {"status": CaseStatus.READY_FOR_ASSIGNMENT},
        {"status": CaseStatus.CLOSED, "last": "1"},
    ],
)
def test_a_queue_page_costs_the_same_queries_for_3_or_30_cases(staff_client, monkeypatch, query):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 25)
    staff_client.get(URL, query)  # warm the session and permission caches

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(URL, query).status_code == 200
        return len(captured)

    def add_cases(n: int) -> None:
        for status in (CaseStatus.CLOSED, CaseStatus.READY_FOR_ASSIGNMENT, CaseStatus.IN_REVIEW):
            for case in CaseFactory.create_batch(n, status=status):
                DisputedItemFactory(case=case)

    add_cases(3)
    small = queries_for_page()
    add_cases(27)
    body = staff_client.get(URL, query).content.decode()
    assert len(ROW.findall(body)) == 25
    assert queries_for_page() == small
    # The page's reads, the one INSERT of the access-log rows and the session's device read.
    assert small <= 9 + SECOND_FACTOR_QUERIES  # 9: the saved sort and filters (cases.QueueView)


def test_the_next_page_after_a_cursor_costs_the_same(
    staff_client, django_assert_max_num_queries, monkeypatch
):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 5)
    queue_cases_with_ties(CaseStatus.CLOSED, count=30)
    second = link(staff_client.get(URL, {"status": CaseStatus.CLOSED}).content.decode(), "next")
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        body = staff_client.get(URL + second).content.decode()
    assert len(ROW.findall(body)) == 5
