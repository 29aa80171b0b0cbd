"""The reviewer's free text is capped, with a message saying the limit and the length.

Tried through the form as the browser posts it: a rationale of 20,001 characters, a
guideline of 501, a clinical case summary of 20,001 (each a 400 with the message on its
field, nothing saved), and text exactly at each limit (saved). The browser gets no
maxlength, which would cut a pasted text short without a word.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from determinations.models import Determination
from determinations.services.review import (
    GUIDELINE_MAX,
    RATIONALE_MAX,
    SUMMARY_MAX,
    ReviewError,
    item_field,
    save_draft,
)
from tests.determinations.review_support import case_for_review, seed_form_data, with_case_file_token
from tests.factories import make_seed_reviewer

pytestmark = pytest.mark.django_db


def test_the_limits():
    assert (SUMMARY_MAX, RATIONALE_MAX, GUIDELINE_MAX) == (20000, 20000, 500)


@pytest.fixture
def reviewer_case(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    client.force_login(reviewer.user)
    return case


def _field(case, name: str) -> str:
    first = case.disputed_items.order_by("position").first()
    return "clinical_case_summary" if name == "summary" else f"item-{first.pk}-{name}"


@pytest.mark.parametrize(
    ("name", "limit", "message"),
    [
        ("rationale", RATIONALE_MAX, "Keep the rationale to at most 20,000 characters; it has 20,001."),
        ("reviewer_guideline", GUIDELINE_MAX, "Keep the guideline to at most 500 characters; it has 501."),
        (
            "summary",
            SUMMARY_MAX,
            "Keep the clinical case summary to at most 20,000 characters; it has 20,001.",
        ),
    ],
)
def test_text_over_its_limit_is_refused_on_its_field(client, reviewer_case, name, limit, message):
    url = reverse("review:save_draft", args=[reviewer_case.pk])
    data = with_case_file_token(client, reviewer_case, seed_form_data(reviewer_case))
    data[_field(reviewer_case, name)] = "x" * (limit + 1)
    response = client.post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Determination.objects.filter(case=reviewer_case).exists()

    data = with_case_file_token(client, reviewer_case, seed_form_data(reviewer_case))
    data[_field(reviewer_case, name)] = "x" * limit
    assert client.post(url, data).status_code == 302


def test_the_form_sets_no_maxlength(client, reviewer_case):
    body = client.get(reverse("review:case_file", args=[reviewer_case.pk])).content.decode()
    assert 'name="clinical_case_summary"' in body
    assert "maxlength" not in body.split('id="determination"', 1)[1]
    assert "Up to 20,000 characters." in body


def test_the_service_refuses_with_the_same_words():
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    with pytest.raises(ReviewError) as caught:
        save_draft(case_id=case.pk, by=reviewer.user, summary="s" * (SUMMARY_MAX + 1), items=[])
    assert caught.value.errors == [
        ("summary", "Keep the clinical case summary to at most 20,000 characters; it has 20,001.")
    ]
    assert item_field(disputed_item_id=1, field="rationale") == "items[1].rationale"
