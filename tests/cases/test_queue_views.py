"""The staff work queues people work from (issue 16, item 3): the columns (employee, claim number,
requesting provider, reviewer, days in state, next deadline) for a known set of cases, every
offered sort in its order (both ways, across keyset pages), every filter alone and with a sort,
the tabs' counts under the filters, the sort and filters kept per user and restored when they
come back (and a reset), consolidated cases listed only under their lead case, and constant
queries at two sizes.

Bad inputs tried (each shows the queue with a message, never a 500): an unknown sort
(`?sort=employee`, `?sort=1;drop`), an unknown priority, an unknown category, `?overdue=yes`,
a reviewer number nobody has, a reviewer number of 300 characters, an unknown state, a
malformed cursor together with a sort, and a cursor of one sort used with another sort.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import CaseStatus, ItemCategory, PartyRole, Priority, QueueView
from core.keyset import encode_cursor
from imr_site import roles
from reviewers.models import Assignment, AssignmentStatus
from tests.factories import CaseFactory, DisputedItemFactory, PartyFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("cases:queues")
ROW = re.compile(r'<td><a href="/cases/\d+/">(CM\d\d-\d{7})</a></td>')
TODAY = date(2026, 6, 10)


def numbers(response) -> list[str]:
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def cell(body: str, case_number: str, column: str) -> str:
    row = body[body.index(f">{case_number}</a>") :]
    found = re.search(rf'<td data-col="{column}">([^<]*)</td>', row)
    assert found is not None
    return found.group(1).strip()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def known(frozen_today):
    """Four open cases with known parties, items, reviewers and dates, one closed, and one
    consolidated into the first."""
    frozen_today(TODAY)
    reviewer = ReviewerFactory(reviewer_number="R20001")
    other_reviewer = ReviewerFactory(reviewer_number="R20002")

    def case(
        number, status, *, deadline, received, since, priority=Priority.STANDARD, overdue=False, **parties
    ):
        made = CaseFactory(
            case_number=number,
            status=status,
            next_deadline=deadline,
            received_on=received,
            status_since=since,
            priority=priority,
            overdue=overdue,
        )
        for role, name in parties.items():
            fields = {"claim_number": name} if role == PartyRole.CLAIMS_ADMINISTRATOR else {"name": name}
            PartyFactory(case=made, role=role, **({"name": "Claims Co."} | fields))
        return made

    a = case(
        "CM26-0000001",
        CaseStatus.IN_REVIEW,
        deadline=date(2026, 6, 20),
        received=date(2026, 5, 1),
        since=date(2026, 6, 1),
        employee="Maria Example",
        claims_administrator="GSC-07-118204",
        requesting_provider="Dr. Alan Treating",
    )
    b = case(
        "CM26-0000002",
        CaseStatus.ASSIGNED,
        deadline=date(2026, 6, 5),
        received=date(2026, 4, 20),
        since=date(2026, 6, 8),
        priority=Priority.EXPEDITED,
        overdue=True,
        employee="Ben Sample",
        claims_administrator="ZX-1",
        requesting_provider="Valley Spine Group",
    )
    c = case(
        "CM26-0000003",
        CaseStatus.RECEIVED,
        deadline=None,
        received=date(2026, 6, 9),
        since=None,  # never moved: in its state since it was received
        employee="Carla Person",
    )
    d = case(
        "CM26-0000004",
        CaseStatus.IN_REVIEW,
        deadline=date(2026, 7, 1),
        received=date(2026, 3, 1),
        since=date(2026, 5, 1),
        employee="Dan Other",
    )
    case("CM26-0000005", CaseStatus.CLOSED, deadline=None, received=date(2026, 1, 1), since=date(2026, 2, 1))
    consolidated = case(
        "CM26-0000006",
        CaseStatus.IN_REVIEW,
        deadline=date(2026, 6, 1),
        received=date(2026, 5, 2),
        since=date(2026, 6, 1),
        employee="Maria Example",
    )
    consolidated.consolidated_into = a
    consolidated.save(update_fields=["consolidated_into"])
    DisputedItemFactory(case=a, position=1, category=ItemCategory.PHYSICAL_MEDICINE)
    DisputedItemFactory(case=b, position=1, category=ItemCategory.SURGERY)
    DisputedItemFactory(case=d, position=1, category=ItemCategory.SURGERY)
    Assignment.objects.create(case=a, reviewer=reviewer, status=AssignmentStatus.ACCEPTED)
    Assignment.objects.create(case=b, reviewer=other_reviewer, status=AssignmentStatus.OFFERED)
    # An ended assignment is not the case's reviewer.
    Assignment.objects.create(case=d, reviewer=reviewer, status=AssignmentStatus.DECLINED, active=False)
    return {"a": a, "b": b, "c": c, "d": d, "consolidated": consolidated}


def test_the_columns_show_employee_claim_provider_reviewer_days_in_state_and_deadline(staff_client, known):
    response = staff_client.get(URL, {"sort": "deadline"})
    body = response.content.decode()
    assert numbers(response) == ["CM26-0000002", "CM26-0000001", "CM26-0000004", "CM26-0000003"]
    assert cell(body, "CM26-0000001", "employee") == "Maria Example"
    assert cell(body, "CM26-0000001", "claim") == "GSC-07-118204"
    assert cell(body, "CM26-0000001", "provider") == "Dr. Alan Treating"
    assert cell(body, "CM26-0000001", "reviewer") == "R20001"
    assert cell(body, "CM26-0000001", "days-in-state") == "9"
    assert cell(body, "CM26-0000002", "reviewer") == "R20002"  # offered: assigned, not yet accepted
    assert cell(body, "CM26-0000002", "days-in-state") == "2"
    assert cell(body, "CM26-0000003", "days-in-state") == "1"  # since received
    assert cell(body, "CM26-0000003", "claim") == "—"
    assert cell(body, "CM26-0000003", "provider") == "—"
    assert cell(body, "CM26-0000004", "reviewer") == "—"  # the declined assignment is over
    assert "06/20/2026" in body and "(10 days left)" in body
    assert "overdue by 5 days" in body


def test_a_consolidated_case_is_listed_only_under_its_lead(staff_client, known):
    for query in ({}, {"status": CaseStatus.IN_REVIEW}):
        listed = numbers(staff_client.get(URL, {"sort": "deadline", **query}))
        assert "CM26-0000006" not in listed and "CM26-0000001" in listed
    body = staff_client.get(URL, {"sort": "deadline"}).content.decode()
    assert re.search(r'data-count="in_review">2<', body)  # not 3


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("deadline", ["2", "1", "4", "3"]),  # no deadline last
        ("-deadline", ["3", "4", "1", "2"]),
        ("in_state", ["4", "1", "2", "3"]),  # longest in its state first (3: since received)
        ("-in_state", ["3", "2", "1", "4"]),
        ("received", ["4", "2", "1", "3"]),
        ("-received", ["3", "1", "2", "4"]),
    ],
)
def test_each_sort_orders_the_queue_and_pages_keep_it(staff_client, known, monkeypatch, sort, expected):
    expected = [f"CM26-000000{n}" for n in expected]
    assert numbers(staff_client.get(URL, {"sort": sort})) == expected
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 3)
    first = staff_client.get(URL, {"sort": sort}).content.decode()
    assert ROW.findall(first) == expected[:3]
    after = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert f"sort={sort}" in after
    assert numbers(staff_client.get(URL + after)) == expected[3:]
    last = numbers(staff_client.get(URL, {"sort": sort, "last": "1"}))
    assert last == expected[1:]


def test_a_column_heading_sorts_by_it_and_again_the_other_way(staff_client, known):
    body = staff_client.get(URL, {"sort": "deadline"}).content.decode()
    assert re.search(r'href="\?sort=-deadline" data-sort="deadline"', body)
    assert re.search(r'href="\?sort=in_state" data-sort="in_state"', body)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"priority": Priority.EXPEDITED}, ["2"]),
        ({"priority": Priority.STANDARD}, ["1", "4", "3"]),
        ({"category": ItemCategory.SURGERY}, ["2", "4"]),
        ({"overdue": "1"}, ["2"]),
        ({"reviewer": "R20001"}, ["1"]),  # not 4: that assignment ended
        ({"reviewer": "r20002"}, ["2"]),  # typed in lower case
        ({"category": ItemCategory.SURGERY, "sort": "-received"}, ["2", "4"]),
        ({"category": ItemCategory.SURGERY, "priority": Priority.STANDARD, "sort": "in_state"}, ["4"]),
        ({"category": ItemCategory.ACUPUNCTURE}, []),
    ],
)
def test_each_filter_alone_and_with_a_sort(staff_client, known, filters, expected):
    response = staff_client.get(URL, filters)
    assert numbers(response) == [f"CM26-000000{n}" for n in expected]
    assert messages_of(response) == []
    if not expected:
        assert "match the filters" in response.content.decode()


def test_the_tab_counts_follow_the_filters(staff_client, known):
    body = staff_client.get(URL, {"category": ItemCategory.SURGERY}).content.decode()
    assert re.search(r'data-count="in_review">1<', body)
    assert re.search(r'data-count="assigned">1<', body)
    assert re.search(r'data-count="received">0<', body)
    body = staff_client.get(URL, {"reviewer": "R20001", "status": CaseStatus.IN_REVIEW}).content.decode()
    assert re.search(r'data-count="in_review">1<', body)
    body = staff_client.get(URL, {"overdue": "1"}).content.decode()
    assert re.search(
        r'data-count="assigned">1</span> <span class="badge text-bg-danger" title="overdue">1 overdue', body
    )
    assert re.search(r'data-count="in_review">0<', body)


def test_the_counts_under_a_filter_stop_at_the_cap(staff_client, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 2)
    CaseFactory.create_batch(3, status=CaseStatus.RECEIVED, priority=Priority.EXPEDITED)
    CaseFactory.create_batch(3, status=CaseStatus.RECEIVED)
    body = staff_client.get(URL, {"priority": Priority.EXPEDITED}).content.decode()
    assert re.search(r'data-count="received" title="at least 2">2\+<', body)


def test_the_sort_and_filters_are_kept_and_restored_per_user(client, staff, known):
    client.force_login(staff)
    chosen = {"sort": "-received", "category": ItemCategory.SURGERY, "status": CaseStatus.IN_REVIEW}
    assert numbers(client.get(URL, chosen)) == ["CM26-0000004"]
    saved = QueueView.objects.get(user=staff)
    assert (saved.sort, saved.category, saved.priority, saved.overdue) == ("-received", "surgery", "", False)

    back = client.get(URL)  # coming back, from the navigation
    assert back.status_code == 302
    assert back["Location"] == f"{URL}?sort=-received&category=surgery"
    response = client.get(back["Location"])
    assert numbers(response) == ["CM26-0000002", "CM26-0000004"]
    assert 'option value="surgery" selected' in response.content.decode()
    # The tabs keep them too, and the state chosen from a tab.
    assert client.get(URL, {"status": CaseStatus.ASSIGNED})["Location"] == (
        f"{URL}?status=assigned&sort=-received&category=surgery"
    )

    # Someone else's queue is their own.
    other = UserFactory(username="intake2", role=roles.INTAKE_STAFF)
    client.force_login(other)
    assert numbers(client.get(URL)) == ["CM26-0000002", "CM26-0000001", "CM26-0000004", "CM26-0000003"]

    client.force_login(staff)
    reset = client.get(URL, {"reset": "1"})
    assert reset.status_code == 302 and reset["Location"] == URL
    assert not QueueView.objects.filter(user=staff).exists()
    response = client.get(URL)
    assert numbers(response) == ["CM26-0000002", "CM26-0000001", "CM26-0000004", "CM26-0000003"]
    assert any("reset" in m for m in messages_of(response))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"sort": "employee"}, "Sort: Select a valid choice"),
        ({"sort": "1;drop table cases_case"}, "Sort: Select a valid choice"),
        ({"priority": "urgent"}, "Priority: Select a valid choice"),
        ({"category": "massage"}, "Treatment category: Select a valid choice"),
        ({"overdue": "yes"}, "Overdue: Select a valid choice"),
        ({"reviewer": "R99999"}, "No reviewer has the number R99999"),
        ({"reviewer": "R" * 300}, "Assigned reviewer: Ensure this value has at most 20 characters"),
        ({"status": "lost", "sort": "deadline"}, "There is no such queue"),
        ({"sort": "received", "after": "not-a-cursor!"}, "That page link is not valid any more"),
        # A cursor of the deadline sort (three keys) given to the received sort (two).
        ({"sort": "received", "after": encode_cursor(["2026-06-01", "2026-05-01", 1])}, "not valid any more"),
    ],
)
def test_bad_input_shows_the_queue_with_a_message(staff_client, known, query, message):
    response = staff_client.get(URL, query)
    assert response.status_code == 200
    assert any(message in m for m in messages_of(response)), messages_of(response)
    # The bad value is left out: the queue shows as without it, and nothing bad is saved.
    assert len(numbers(response)) >= 1
    saved = QueueView.objects.get(user=response.wsgi_request.user)
    assert saved.sort in selectors.QUEUE_SORTS
    assert saved.reviewer_number in ("", "R20001", "R20002")


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "deadline"},
        {"sort": "-in_state", "status": CaseStatus.IN_REVIEW},
        {"sort": "received", "category": ItemCategory.SURGERY, "overdue": "1"},
        {"sort": "-deadline", "reviewer": "R30001", "priority": Priority.STANDARD},
    ],
)
def test_a_filtered_sorted_page_costs_the_same_queries_for_3_or_30_cases(
    staff_client, django_assert_max_num_queries, monkeypatch, query
):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 25)
    reviewer = ReviewerFactory(reviewer_number="R30001")

    def add_cases(n: int) -> None:
        for status in (CaseStatus.IN_REVIEW, CaseStatus.RECEIVED):
            for case in CaseFactory.create_batch(n, status=status, overdue=True, priority=Priority.STANDARD):
                DisputedItemFactory(case=case, category=ItemCategory.SURGERY)
                for role in (
                    PartyRole.EMPLOYEE,
                    PartyRole.CLAIMS_ADMINISTRATOR,
                    PartyRole.REQUESTING_PROVIDER,
                ):
                    PartyFactory(case=case, role=role)
                Assignment.objects.create(case=case, reviewer=reviewer)

    staff_client.get(URL, query)  # warm the session and permission caches; saves the view
    add_cases(3)
    # Session, user, device, permissions (2), saved view, counts, page, reviewer lookup (with
    # that filter), the navigation's reviewer read, the access-log INSERT.
    with django_assert_max_num_queries(11 + 1):
        assert len(numbers(staff_client.get(URL, query))) >= 3
    add_cases(27)
    with django_assert_max_num_queries(11 + 1):
        assert len(numbers(staff_client.get(URL, query))) == 25
