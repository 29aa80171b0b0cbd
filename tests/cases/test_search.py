"""Staff search (`/cases/search/`): case number, claim number, employee and requesting provider.

Bad inputs tried: an empty and an all-spaces query, 101 characters, `%` and `_` (literal, not
wildcards), a NUL byte, odd unicode, a page number past the end, a reviewer (403), anonymous
(sent to login).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse

from cases import selectors
from cases.models import AccessAction, AccessLogEntry, Case, Party, PartyRole
from tests.factories import CaseFactory, PartyFactory, ReviewerFactory
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db
URL = reverse("cases:search")


def make_case(
    *,
    number: str | None = None,
    first: str = "Maria",
    last: str = "Lopez",
    claim: str = "CL-1001",
    provider: str = "Dr. Peter Ortho",
    received_on: date = date(2015, 2, 27),
) -> Case:
    case = CaseFactory(**({"case_number": number} if number else {}), received_on=received_on)
    PartyFactory(case=case, role=PartyRole.EMPLOYEE, name=f"{first} {last}", first_name=first, last_name=last)
    PartyFactory(case=case, role=PartyRole.CLAIMS_ADMINISTRATOR, name="Acme Claims", claim_number=claim)
    PartyFactory(case=case, role=PartyRole.REQUESTING_PROVIDER, name=provider)
    return case


def found(response) -> list[str]:
    return [case.case_number for case in response.context["page_obj"]]


# ---- Who may search -----------------------------------------------------------------------


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(URL, {"q": "Lopez"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_reviewer_is_refused(client):
    reviewer = ReviewerFactory()
    client.force_login(reviewer.user)
    assert client.get(URL, {"q": "Lopez"}).status_code == 403
    # No search ran: the only row is the refusal itself (issue 13: refused attempts are logged).
    assert list(AccessLogEntry.objects.values_list("action", "status_code", "user")) == [
        ("refused", 403, reviewer.user.pk)
    ]


def test_search_box_in_navigation_only_for_staff(client, staff_client):
    assert 'id="nav-search"' in staff_client.get(reverse("cases:queues")).content.decode()
    reviewer = ReviewerFactory()
    client.force_login(reviewer.user)
    assert 'id="nav-search"' not in client.get(reverse("home"), follow=True).content.decode()


# ---- What matches -------------------------------------------------------------------------


def test_exact_case_number_goes_straight_to_the_case_and_is_logged(staff_client, staff):
    case = make_case(number="CM15-0041877")
    make_case(number="CM15-0041878")
    response = staff_client.get(URL, {"q": " cm15-0041877 "})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case", args=[case.pk])
    entry = AccessLogEntry.objects.get(action=AccessAction.SEARCH)
    assert entry.user == staff and entry.case == case and "cm15-0041877" in entry.object_repr


def test_case_number_prefix_lists_the_cases(staff_client):
    make_case(number="CM15-0041877")
    make_case(number="CM15-0041878")
    make_case(number="CM16-0000001")
    response = staff_client.get(URL, {"q": "cm15-00418"})
    assert response.status_code == 200
    assert sorted(found(response)) == ["CM15-0041877", "CM15-0041878"]


@pytest.mark.parametrize(
    "query", ["lopez", "MARIA", "maria lop", "ria Lo", "cl-10", "CL-1001", "peter ortho"]
)
def test_name_claim_and_provider_match_partially_and_ignore_letter_case(staff_client, query):
    case = make_case(number="CM15-0041877")
    make_case(number="CM15-0041878", first="John", last="Smith", claim="ZZ-9", provider="Dr. Ann Heart")
    response = staff_client.get(URL, {"q": query})
    assert found(response) == [case.case_number]


def test_claim_number_of_other_parties_and_employer_name_do_not_match(staff_client):
    case = make_case(claim="CL-1")
    Party.objects.filter(case=case, role=PartyRole.CLAIMS_ADMINISTRATOR).update(name="Zebra Claims")
    PartyFactory(case=case, role=PartyRole.EMPLOYER, name="Walrus Ltd", claim_number="WAL-77")
    assert found(staff_client.get(URL, {"q": "Walrus"})) == []
    assert found(staff_client.get(URL, {"q": "WAL-77"})) == []
    assert found(staff_client.get(URL, {"q": "Zebra"})) == []


def test_rows_show_labels_names_claim_number_and_us_dates_newest_first(staff_client):
    older = make_case(number="CM15-0000001", received_on=date(2015, 3, 2))
    newer = make_case(number="CM15-0000002", received_on=date(2015, 4, 9))
    response = staff_client.get(URL, {"q": "Lopez"})
    assert found(response) == [newer.case_number, older.case_number]
    html = response.content.decode()
    assert "Received" in html and "04/09/2015" in html and "03/02/2015" in html
    assert "Maria Lopez" in html and "CL-1001" in html
    assert older.get_status_display() in html and f">{older.status}<" not in html


def test_each_search_and_each_listed_case_is_logged_with_its_text(staff_client, staff):
    cases = [make_case(), make_case()]
    staff_client.get(URL, {"q": "Lopez"})
    search = AccessLogEntry.objects.get(action=AccessAction.SEARCH)
    assert search.user == staff and search.case is None and search.object_repr == "search: Lopez"
    listed = AccessLogEntry.objects.filter(action=AccessAction.VIEW_CASE)
    assert sorted(listed.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)


# ---- Bad inputs ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", None])
def test_empty_or_blank_query_shows_the_hint_and_runs_no_case_query(
    staff_client, query, django_assert_max_num_queries
):
    make_case()
    with django_assert_max_num_queries(6) as captured:
        response = staff_client.get(URL, {} if query is None else {"q": query})
    assert response.status_code == 200
    assert 'id="search-hint"' in response.content.decode()
    assert not any('"cases_case"' in q["sql"] for q in captured.captured_queries)
    assert not AccessLogEntry.objects.exists()


def test_query_over_100_characters_is_refused_with_a_message(staff_client):
    make_case()
    response = staff_client.get(URL, {"q": "a" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert not AccessLogEntry.objects.exists()


def test_query_of_exactly_100_characters_is_accepted(staff_client):
    assert staff_client.get(URL, {"q": "a" * 100}).status_code == 200


def test_nul_byte_is_refused_with_a_message(staff_client):
    response = staff_client.get(URL, {"q": "Lo\x00pez"})
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_percent_and_underscore_match_literally_not_as_wildcards(staff_client, wildcard):
    plain = make_case(first="Maria", last="Lopez", claim="CL1001")
    literal = make_case(first="Ann", last="Smith", claim=f"CL{wildcard}1001")
    assert found(staff_client.get(URL, {"q": wildcard})) == [literal.case_number]
    assert found(staff_client.get(URL, {"q": f"CL{wildcard}1"})) == [literal.case_number]
    assert plain.case_number not in found(staff_client.get(URL, {"q": f"CL{wildcard}1"}))


@pytest.mark.parametrize("query", ["Łukasz", "日本", "😀", "\u202e", "Lo\u0301pez", "'; DROP TABLE x;--"])
def test_odd_unicode_and_sql_text_are_searched_safely(staff_client, query):
    case = make_case(first="Łukasz", last="Nowak")
    response = staff_client.get(URL, {"q": query})
    assert response.status_code == 200
    assert found(response) == ([case.case_number] if query == "Łukasz" else [])


def test_page_past_the_end_shows_the_last_page(staff_client):
    make_case()
    response = staff_client.get(URL, {"q": "Lopez", "page": "999"})
    assert response.status_code == 200 and len(found(response)) == 1


# ---- Constant queries and pages -----------------------------------------------------------


@pytest.mark.parametrize("count", [1, 60])
def test_query_count_is_constant(staff_client, django_assert_max_num_queries, count):
    for n in range(count):
        make_case(received_on=date(2015, 3, 1) + timedelta(days=n))
    with django_assert_max_num_queries(10 + SECOND_FACTOR_QUERIES):
        response = staff_client.get(URL, {"q": "lopez"})
    assert response.status_code == 200
    assert len(found(response)) == min(count, 50)
    assert response.context["page_obj"].paginator.count == count


def test_results_come_fifty_a_page_in_a_stable_order(staff_client):
    cases = [make_case(received_on=date(2015, 3, 1)) for _ in range(55)]
    expected = [c.case_number for c in sorted(cases, key=lambda c: c.pk, reverse=True)]
    first = staff_client.get(URL, {"q": "lopez"})
    second = staff_client.get(URL, {"q": "lopez", "page": "2"})
    assert found(first) + found(second) == expected
    assert "page=2" in first.content.decode()


def test_more_matches_than_the_cap_list_the_newest_and_say_so(staff_client, monkeypatch):
    """A common surname at 200,000 cases: the newest SEARCH_MATCH_CAP cases, and a caption that
    says there are more (never a wrong total). A page number past the capped list (bad input)
    shows its last page."""
    monkeypatch.setattr(selectors, "SEARCH_MATCH_CAP", 3)
    monkeypatch.setattr(selectors, "SEARCH_PAGE_SIZE", 2)
    cases = [make_case(received_on=date(2015, 3, 1) + timedelta(days=n)) for n in range(5)]
    newest = [c.case_number for c in reversed(cases)]
    first = staff_client.get(URL, {"q": "lopez"})
    assert found(first) == newest[:2]
    assert "More than 3 cases match" in first.content.decode()
    last = staff_client.get(URL, {"q": "lopez", "page": "99"})
    assert found(last) == newest[2:3]
    monkeypatch.setattr(selectors, "SEARCH_MATCH_CAP", 5)
    exact = staff_client.get(URL, {"q": "lopez"})
    assert "5 cases matching" in exact.content.decode()


# ---- PostgreSQL: the trigram indexes ------------------------------------------------------


def test_trigram_indexes_exist_on_postgresql(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm"])
        indexes = dict(cursor.fetchall())
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None
    for name in [
        "cases_party_name_trgm",
        "cases_party_first_name_trgm",
        "cases_party_last_name_trgm",
        "cases_party_claim_number_trgm",
        "cases_case_case_number_trgm",
    ]:
        assert "gin_trgm_ops" in indexes[name]


@pytest.mark.parametrize("field", ["name", "first_name", "last_name", "claim_number"])
def test_django_icontains_sql_can_use_the_trigram_index_on_postgresql(postgres, field):
    """Django writes icontains as UPPER(col::text) LIKE UPPER(...): the index must be on that expression."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Party.objects.order_by().filter(**{f"{field}__icontains": "lop"}).values("case_id").explain()
    assert f"cases_party_{field}_trgm" in plan
