"""The admin changelists at any size (core.admin.LargeListAdmin): the same number of queries
for 3 rows or 30, a count that stops at the cap and says so, pages read ids first (in order,
with their annotations), searches as a union of index lookups (each word must match), and
only the indexed columns sortable, even through a typed `?o=`.

Bad inputs tried: a page past the capped count, `?o=` naming a column that is not sortable,
`?o=garbage`, a search word with LIKE wildcards."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseEvent, CaseEventKind, PartyRole
from core import admin as core_admin
from imr_site import roles
from tests.factories import (
    CaseFactory,
    DisputedItemFactory,
    PartyFactory,
    ReviewerFactory,
    UserFactory,
    make_seed_like_case,
)

pytestmark = pytest.mark.django_db

ROW_LINK = re.compile(r'<th class="field-[\w_]+"><a href="/admin/[\w/]+/(\d+)/change/')


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin1", role=roles.ADMINISTRATOR, is_superuser=True))
    return client


def add_rows(n: int, actor) -> None:
    from reviewers.models import Assignment

    reviewer = ReviewerFactory()
    for index in range(n):
        case = make_seed_like_case(received_on=date(2015, 2, 10) + timedelta(days=index % 20))
        CaseEvent.objects.create(
            case=case, kind=CaseEventKind.EDITED_BY_STAFF, actor=actor, effective_on=case.received_on
        )
        AccessLogEntry.objects.create(user=actor, case=case, action=AccessAction.VIEW_CASE, object_repr="x")
        Assignment.objects.create(case=case, reviewer=reviewer, active=False, status="declined")


CHANGELISTS = [
    "admin:cases_case_changelist",
    "admin:cases_party_changelist",
    "admin:cases_disputeditem_changelist",
    "admin:cases_caseevent_changelist",
    "admin:cases_accesslogentry_changelist",
    "admin:reviewers_assignment_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_changelist_costs_the_same_queries_for_3_or_12_rows(admin_client, monkeypatch, name):
    from cases.admin import CaseAdmin

    monkeypatch.setattr(core_admin.LargeListAdmin, "list_per_page", 2)
    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    user = UserFactory(username="actor")
    url = reverse(name)
    variants = [{}, {"q": "Maria"}, {"q": "CM15"}, {"p": "2"}]

    def queries() -> list[int]:
        counts = []
        for query in variants:
            with CaptureQueriesContext(connection) as captured:
                response = admin_client.get(url, query)
            assert response.status_code == 200, (query, response.status_code)
            counts.append(len(captured))
        return counts

    add_rows(3, user)
    admin_client.get(url)  # warm the session
    small = queries()
    add_rows(9, user)
    assert queries() == small


def test_the_count_stops_at_the_cap_and_the_pages_with_it(admin_client, monkeypatch):
    monkeypatch.setattr(core_admin.CappedCountPaginator, "cap", 5)
    from cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    CaseFactory.create_batch(8)
    url = reverse("admin:cases_case_changelist")
    body = admin_client.get(url).content.decode()
    assert re.search(r"5\+\s+cases", body)
    assert "the pages stop here" in body
    assert len(ROW_LINK.findall(admin_client.get(url, {"p": 3}).content.decode())) == 1
    # Past the capped pages: Django's own answer for a page that does not exist, not a 500.
    response = admin_client.get(url, {"p": 9})
    assert response.status_code == 302 and "e=1" in response["Location"]


def test_a_page_lists_its_rows_in_order_with_their_annotations(admin_client, monkeypatch):
    from cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    cases = [
        make_seed_like_case(received_on=date(2015, 2, 10) + timedelta(days=n), case_number=f"CM15-00000{n}9")
        for n in range(5)
    ]
    newest_first = sorted(cases, key=lambda c: (c.received_on, c.pk), reverse=True)
    body = admin_client.get(reverse("admin:cases_case_changelist"), {"p": 2}).content.decode()
    assert [int(pk) for pk in ROW_LINK.findall(body)] == [c.pk for c in newest_first[2:4]]
    assert body.count('<td class="field-employee_name">Maria Example</td>') == 2
    assert body.count('<td class="field-disputed_item_count">2</td>') == 2


def test_case_search_each_word_must_match_one_field(admin_client):
    garcia = make_seed_like_case(case_number="CM26-0100001")
    garcia.parties.filter(role=PartyRole.EMPLOYEE).update(name="Rosa Garcia", last_name="Garcia")
    other = make_seed_like_case(case_number="CM26-0200002")
    other.parties.filter(role=PartyRole.CLAIMS_ADMINISTRATOR).update(claim_number="ZX-99-100%")
    url = reverse("admin:cases_case_changelist")

    def found(q: str) -> list[int]:
        return sorted(int(pk) for pk in ROW_LINK.findall(admin_client.get(url, {"q": q}).content.decode()))

    assert found("garc") == [garcia.pk]
    assert found("CM26-01") == [garcia.pk]
    assert found("cm26") == sorted([garcia.pk, other.pk])
    assert found("garcia CM26-02") == []  # both words must match the same case
    assert found("garcia CM26-01") == [garcia.pk]  # each in a field of its own
    assert found("CM26-01 rosa garc") == [garcia.pk]
    assert found("cm26 zx-99") == [other.pk]
    assert found("rosa garcia") == [garcia.pk]
    assert found("zx-99-100%") == [other.pk]
    assert found("100_") == []  # LIKE wildcards match themselves


def test_party_and_item_search_by_name_and_case_number(admin_client):
    case = make_seed_like_case(case_number="CM26-0300003")
    PartyFactory(case=CaseFactory(), role=PartyRole.EMPLOYEE, name="Someone Else")
    DisputedItemFactory(case=case, position=3, description="Lumbar MRI with contrast")

    def names(model: str, q: str) -> list[str]:
        body = admin_client.get(reverse(f"admin:cases_{model}_changelist"), {"q": q}).content.decode()
        return re.findall(r'<th class="field-\w+"><a href="[^"]+">([^<]+)</a>', body)

    assert names("party", "maria ex") == ["Maria Example"]
    assert len(names("party", "CM26-03")) == 4
    assert names("disputeditem", "mri with") == ["Lumbar MRI with contrast"]


@pytest.mark.parametrize("order", ["2", "-2", "5", "garbage", "2.5"])
def test_only_indexed_columns_sort_even_through_a_typed_url(admin_client, order):
    """`?o=2` is the employee (no index can sort 200,000 cases by it): the default order stays."""
    cases = [
        make_seed_like_case(received_on=date(2015, 2, 10) + timedelta(days=n), case_number=f"CM15-00001{n}9")
        for n in range(3)
    ]
    url = reverse("admin:cases_case_changelist")
    response = admin_client.get(url, {"o": order})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        rows = [int(pk) for pk in ROW_LINK.findall(response.content.decode())]
        assert rows == [c.pk for c in sorted(cases, key=lambda c: c.received_on, reverse=True)]
    body = admin_client.get(url, {"o": "1"}).content.decode()  # case number: sortable
    assert [int(pk) for pk in ROW_LINK.findall(body)] == [c.pk for c in cases]
    assert 'class="sortable column-case_number' in body
    assert 'class="sortable column-employee_name' not in body


def test_the_quick_selection_box_is_the_same_html_as_djangos(admin_client):
    # A name with every character HTML escapes: the label must come out escaped exactly once.
    case = CaseFactory()
    PartyFactory(case=case, role=PartyRole.EMPLOYEE, name='O\'Brien <Ann> & "Co"')
    from django.contrib import admin as django_admin

    from cases.models import Party

    party = Party.objects.get(case=case, role=PartyRole.EMPLOYEE)
    model_admin = django_admin.site._registry[Party]
    assert isinstance(model_admin, core_admin.QuickRowsAdmin)
    ours = model_admin.action_checkbox(party)
    djangos = django_admin.ModelAdmin.action_checkbox(model_admin, party)
    assert ours == djangos
    page = admin_client.get(reverse("admin:cases_party_changelist"))
    assert ours in page.content.decode()


def test_the_reviewer_list_pages_by_25(admin_client):
    for n in range(26):
        ReviewerFactory(reviewer_number=f"R-{n:04d}")
    first = admin_client.get(reverse("admin:reviewers_reviewer_changelist")).content.decode()
    second = admin_client.get(reverse("admin:reviewers_reviewer_changelist") + "?p=2").content.decode()
    assert first.count('class="action-select"') == 25
    assert second.count('class="action-select"') >= 1


def test_a_search_runs_its_lookups_once_for_the_count_and_the_page(admin_client, monkeypatch):
    from cases.admin import CaseAdmin

    monkeypatch.setattr(core_admin.CappedCountPaginator, "cap", 5)
    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    cases = [
        make_seed_like_case(received_on=date(2015, 3, 1) + timedelta(days=n), case_number=f"CM15-00002{n}9")
        for n in range(7)
    ]
    newest_first = sorted(cases, key=lambda c: (c.received_on, c.pk), reverse=True)
    url = reverse("admin:cases_case_changelist")
    with CaptureQueriesContext(connection) as captured:
        body = admin_client.get(url, {"q": "maria", "p": "2"}).content.decode()
    assert [int(pk) for pk in ROW_LINK.findall(body)] == [c.pk for c in newest_first[2:4]]
    assert re.search(r"5\+\s+cases", body)
    assert sum("UNION" in query["sql"] for query in captured.captured_queries) == 1
    # The last capped page, and a page past it (Django's "no such page" redirect, not a 500).
    body = admin_client.get(url, {"q": "maria", "p": "3"}).content.decode()
    assert [int(pk) for pk in ROW_LINK.findall(body)] == [newest_first[4].pk]
    response = admin_client.get(url, {"q": "maria", "p": "4"})
    assert response.status_code == 302 and "e=1" in response["Location"]
