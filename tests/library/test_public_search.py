"""The public search /decisions/: no login, only redacted issued decisions, every filter, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from cases.models import CaseStatus, ItemCategory
from determinations.models import Decision
from library.models import PublishedItem
from library.selectors import PUBLIC_MAX_PAGE
from library.services.publication import publish_determination
from tests.library.support import make_issued_case

pytestmark = pytest.mark.django_db
URL = "/decisions/"

TPI = "Trigger point injections x4 to the lumbar paraspinals"


def _publish(**kwargs):
    determination = make_issued_case(**kwargs)
    publish_determination(determination_id=determination.pk, make_letter=False)
    return determination


def _case_numbers(response) -> list[str]:
    return [item.case_number for item, _excerpt in response.context["rows"]]


@pytest.fixture
def library():
    """Three published cases that differ in every filter."""
    return {
        "tpi": _publish(
            case_number="CM26-0000001",
            items=[
                (
                    ItemCategory.INJECTIONS,
                    TPI,
                    Decision.UPHELD,
                    "Repeat trigger point injections need 50% relief for six weeks; trigger point "
                    "injections gave only two weeks of relief.",
                )
            ],
            certifications=["Pain Medicine"],
            issued_on=date(2026, 1, 15),
            injury_date=date(2019, 6, 1),
            received_on=date(2025, 12, 1),
        ),
        "pt": _publish(
            case_number="CM26-0000002",
            items=[
                (
                    ItemCategory.PHYSICAL_MEDICINE,
                    "Physical therapy 2x6 for the cervical spine",
                    Decision.OVERTURNED,
                    "Functional improvement after therapy is documented; a trigger point was noted.",
                )
            ],
            certifications=["Physical Medicine and Rehabilitation"],
            issued_on=date(2026, 2, 20),
            injury_date=date(2021, 3, 10),
            received_on=date(2026, 1, 20),
        ),
        "drug": _publish(
            case_number="CM25-0000003",
            items=[
                (
                    ItemCategory.PHARMACEUTICALS,
                    "Tramadol ER 100mg #30",
                    Decision.UPHELD,
                    "Opioid use without documented functional benefit is not supported.",
                )
            ],
            certifications=["Anesthesiology", "Pain Medicine"],
            issued_on=date(2025, 11, 5),
            injury_date=date(2015, 9, 9),
            received_on=date(2025, 10, 1),
        ),
    }


def test_no_login_needed_and_newest_decision_first(client, library):
    response = client.get(URL)
    assert response.status_code == 200
    assert _case_numbers(response) == ["CM26-0000002", "CM26-0000001", "CM25-0000003"]
    body = response.content.decode()
    assert "Log out" not in body and "csrfmiddlewaretoken" not in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"case_number": "cm26-0000001"}, ["CM26-0000001"]),
        ({"case_number": "CM25"}, ["CM25-0000003"]),
        ({"injury_from": "2019-01-01", "injury_to": "2020-12-31"}, ["CM26-0000001"]),
        ({"injury_from": "06/01/2019", "injury_to": "06/01/2019"}, ["CM26-0000001"]),
        ({"received_from": "2026-01-01"}, ["CM26-0000002"]),
        ({"received_to": "2025-10-31"}, ["CM25-0000003"]),
        ({"decided_from": "2026-01-01", "decided_to": "2026-01-31"}, ["CM26-0000001"]),
        ({"decided_to": "2025-12-31"}, ["CM25-0000003"]),
        ({"specialty": "pain medicine"}, ["CM26-0000001", "CM25-0000003"]),
        ({"specialty": "Rehabilitation"}, ["CM26-0000002"]),
        ({"category": "injections"}, ["CM26-0000001"]),
        ({"treatment": "tramadol"}, ["CM25-0000003"]),
        ({"decision": "overturned"}, ["CM26-0000002"]),
        ({"decision": "upheld", "category": "pharmaceuticals"}, ["CM25-0000003"]),
        ({"q": "opioid"}, ["CM25-0000003"]),
        ({"q": "zzzunknownword"}, []),
    ],
)
def test_each_filter(client, library, params, expected):
    response = client.get(URL, params)
    assert response.status_code == 200, response.context["form"].errors
    assert _case_numbers(response) == expected


def test_full_text_ranks_the_best_match_first_with_highlighted_excerpts(client, library, postgres):
    response = client.get(URL, {"q": "trigger point injections"})
    numbers = _case_numbers(response)
    # Both mention trigger points; the TPI decision says it three times, in its treatment too.
    assert numbers[0] == "CM26-0000001"
    assert set(numbers) <= {"CM26-0000001", "CM26-0000002"}
    excerpt = str(response.context["rows"][0][1])
    assert "<mark>" in excerpt.lower()


def test_the_sqlite_fallback_matches_words_plainly(client, library, monkeypatch):
    # The embedded default (SQLite) has no full-text search: the selectors fall back to a plain
    # match. The switch is `uses_postgres()`, so the same fallback is checked on either database.
    monkeypatch.setattr("library.selectors.uses_postgres", lambda: False)
    response = client.get(URL, {"q": "trigger point"})
    assert set(_case_numbers(response)) == {"CM26-0000001", "CM26-0000002"}


def test_excerpts_are_escaped(client):
    _publish(
        items=[(ItemCategory.OTHER, "Other care", Decision.UPHELD, "<script>alert(1)</script> relief noted")]
    )
    body = client.get(URL).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; relief noted" in body
    # With a text query the excerpt is PostgreSQL's highlight (which drops tags) or the same text.
    body = client.get(URL, {"q": "relief"}).content.decode()
    assert "<script>alert(1)" not in body
    assert "relief</mark> noted" in body or "&lt;script&gt;" in body


def test_shows_no_party_no_reviewer_and_no_unpublished_case(client, library):
    from reviewers.models import Reviewer

    body = client.get(URL).content.decode()
    for word in ("Wilhelmina", "Oyelaran", "PSC-19-774102", "Vonnegan", "Brightwater", "Farrowdale"):
        assert word.lower() not in body.lower()
    reviewer = Reviewer.objects.select_related("user").first()
    assert reviewer.reviewer_number not in body
    # Cases that never reached an issued letter, or were remanded, are not in the library.
    statuses = (CaseStatus.WITHDRAWN, CaseStatus.TERMINATED, CaseStatus.INELIGIBLE, CaseStatus.IN_REVIEW)
    for number, status in enumerate(statuses):
        determination = make_issued_case(status=status, case_number=f"CM24-{number:07d}")
        assert publish_determination(determination_id=determination.pk) == []
    assert not PublishedItem.objects.filter(case_number__startswith="CM24").exists()
    assert "CM24-" not in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"injury_from": "2020-02-30"}, "Enter a date"),
        ({"decided_from": "yesterday"}, "Enter a date"),
        ({"received_from": "0001-01-01"}, "from 1900"),
        ({"decided_from": "2026-02-01", "decided_to": "2026-01-01"}, "before its start"),
        ({"page": str(10**30)}, "Only the first"),
        ({"page": str(PUBLIC_MAX_PAGE + 1)}, "Only the first"),
        ({"page": "0"}, "numbered from 1"),
        ({"page": "two"}, "whole number"),
        ({"q": "x" * 201}, "at most 200"),
        ({"q": "a\x00b"}, "Null characters"),
        ({"case_number": "DROP TABLE"}, "case number reads"),
        ({"category": "spells"}, "Select a valid choice"),
        ({"decision": "maybe"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(client, library, params, message):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_page_past_the_last_shows_the_last(client, library):
    response = client.get(URL, {"page": "150"})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1


def test_only_get(client):
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("q", ["", "trigger point"])
def test_queries_do_not_grow_with_the_results(client, django_assert_max_num_queries, q):
    for number in range(2):
        _publish(
            case_number=f"CM26-100{number:04d}", items=[(ItemCategory.INJECTIONS, TPI, Decision.UPHELD, TPI)]
        )
    with django_assert_max_num_queries(2):  # count + page
        small = client.get(URL, {"q": q})
    for number in range(2, 30):
        _publish(
            case_number=f"CM26-100{number:04d}", items=[(ItemCategory.INJECTIONS, TPI, Decision.UPHELD, TPI)]
        )
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(2):
        large = client.get(URL, {"q": q})
    assert len(small.context["rows"]) == 2 and len(large.context["rows"]) == 25


def test_pages_are_cached(client, library, settings):
    first = client.get(URL)
    _publish(case_number="CM26-0000009", issued_on=date(2026, 6, 1))
    again = client.get(URL)
    assert "CM26-0000009" not in again.content.decode()
    assert first.content == again.content


def test_rate_limited_per_ip(client, library, settings):
    settings.LIBRARY_PUBLIC_RATE = "3/m"
    statuses = [client.get(URL, REMOTE_ADDR="203.0.113.5").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Too many requests" in client.get(URL, REMOTE_ADDR="203.0.113.5").content.decode()
    assert client.get(URL, REMOTE_ADDR="203.0.113.6").status_code == 200


def test_reverse_url():
    assert reverse("library:decisions") == URL


def test_a_broad_text_query_ranks_only_the_newest_matches_and_says_so(client, library, postgres, monkeypatch):
    # Three decisions mention trigger points; with room for two candidates the query counts as
    # broad: the candidates are the two newest by decision date (found by walking the date index),
    # ranked among themselves, and the page says only the newest were ranked.
    monkeypatch.setattr("library.selectors.TEXT_CANDIDATES", 2)
    _publish(
        case_number="CM24-0000004",
        items=[(ItemCategory.INJECTIONS, TPI, Decision.UPHELD, "Trigger point injections: no relief.")],
        issued_on=date(2024, 3, 1),
    )
    response = client.get(URL, {"q": "trigger point"})
    assert response.status_code == 200
    assert _case_numbers(response) == ["CM26-0000001", "CM26-0000002"]
    assert response.context["page_obj"].paginator.ranked_newest
    assert "these are the newest 2 of them" in response.content.decode()
    # With room for all of them, the full-text index finds all three; no such note.
    monkeypatch.setattr("library.selectors.TEXT_CANDIDATES", 2000)
    from django.core.cache import cache

    cache.clear()
    response = client.get(URL, {"q": "trigger point"})
    assert _case_numbers(response)[0] == "CM26-0000001"
    assert set(_case_numbers(response)) == {"CM26-0000001", "CM26-0000002", "CM24-0000004"}
    assert "these are the newest" not in response.content.decode()


def test_a_specialty_published_after_the_list_was_read_is_found(client, library):
    assert _case_numbers(client.get(URL, {"specialty": "pain"})) == ["CM26-0000001", "CM25-0000003"]
    _publish(case_number="CM26-0000005", certifications=["Neurology"], issued_on=date(2026, 3, 1))
    assert _case_numbers(client.get(URL, {"specialty": "NEUROLOGY"})) == ["CM26-0000005"]
    assert _case_numbers(client.get(URL, {"specialty": "no such specialty"})) == []
