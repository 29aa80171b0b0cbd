"""Two tabs on one draft: the second tab's save is refused, nothing is overwritten or lost.

Each save raises the draft's version; the form posts the version it was loaded with. Tried:
two GETs then two "Save draft" POSTs (the second 409, its text shown again, the first tab's
text kept); the same with "Submit to QA" from the stale tab (refused, the case stays in
review); "Preview letter" from a stale tab; a POST without the version, or with a garbled
one (400, nothing saved); the first save of a new draft from two tabs.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus
from determinations.models import Determination, DeterminationStatus
from determinations.services.review import StaleDraftError, save_draft
from tests.determinations.review_support import (
    case_for_review,
    seed_form_data,
    seed_item_inputs,
    with_case_file_token,
)
from tests.factories import make_seed_reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_seed_reviewer()


@pytest.fixture
def drafted(reviewer):
    """A case in review whose reviewer saved a draft once (version 1)."""
    case, _ = case_for_review(reviewer=reviewer)
    save_draft(case_id=case.pk, by=reviewer.user, summary="First words.", items=seed_item_inputs(case))
    return case


def _tab(client, case, summary: str) -> dict:
    """What one tab posts: its form as loaded (token, version), with `summary` typed in."""
    return with_case_file_token(client, case, {**seed_form_data(case), "clinical_case_summary": summary})


def _stale_message(body: str) -> bool:
    return bool(
        re.search(r"This draft was changed in another tab or window at \d\d:\d\d; your text is below", body)
    )


def test_the_second_tabs_save_is_refused_and_its_text_shown_again(client, reviewer, drafted):
    client.force_login(reviewer.user)
    url = reverse("review:save_draft", args=[drafted.pk])
    tab_one = _tab(client, drafted, "Tab one's summary.")
    tab_two = _tab(client, drafted, "Tab two's summary, typed in the other window.")
    assert tab_one["version"] == tab_two["version"] == "1"

    assert client.post(url, tab_one).status_code == 302
    response = client.post(url, tab_two)

    assert response.status_code == 409
    body = response.content.decode()
    assert _stale_message(body)
    changed_at = timezone.localtime(Determination.objects.get(case=drafted).updated_at).strftime("%H:%M")
    assert f"at {changed_at};" in body
    assert "Tab two&#x27;s summary, typed in the other window." in body  # nothing lost
    determination = Determination.objects.get(case=drafted)
    assert determination.clinical_case_summary == "Tab one's summary."  # nothing overwritten
    assert determination.version == 2
    # Reloaded, the second tab gets the current draft and version, and saves.
    fresh = _tab(client, drafted, "Tab two, after reloading.")
    assert fresh["version"] == "2"
    assert client.post(url, fresh).status_code == 302
    assert Determination.objects.get(case=drafted).clinical_case_summary == "Tab two, after reloading."


def test_a_stale_submit_is_refused_and_the_case_stays_in_review(client, reviewer, drafted):
    client.force_login(reviewer.user)
    tab_one = _tab(client, drafted, "Saved in tab one.")
    tab_two = _tab(client, drafted, "Submitted from tab two.")
    assert client.post(reverse("review:save_draft", args=[drafted.pk]), tab_one).status_code == 302

    response = client.post(reverse("review:submit", args=[drafted.pk]), tab_two)

    assert response.status_code == 409
    assert _stale_message(response.content.decode())
    assert "Submitted from tab two." in response.content.decode()
    drafted.refresh_from_db()
    determination = Determination.objects.get(case=drafted)
    assert drafted.status == CaseStatus.IN_REVIEW
    assert determination.status == DeterminationStatus.DRAFT
    assert determination.clinical_case_summary == "Saved in tab one."


def test_a_stale_preview_saves_nothing(client, reviewer, drafted):
    client.force_login(reviewer.user)
    tab_one = _tab(client, drafted, "Saved in tab one.")
    tab_two = _tab(client, drafted, "Previewed from tab two.")
    client.post(reverse("review:save_draft", args=[drafted.pk]), tab_one)
    response = client.post(reverse("review:preview", args=[drafted.pk]), tab_two)
    assert response.status_code == 409
    assert Determination.objects.get(case=drafted).clinical_case_summary == "Saved in tab one."


def test_two_tabs_writing_the_first_draft(client, reviewer):
    """No draft yet: both tabs load version 0; the first save creates it, the second is refused."""
    case, _ = case_for_review(reviewer=reviewer)
    client.force_login(reviewer.user)
    url = reverse("review:save_draft", args=[case.pk])
    tab_one, tab_two = _tab(client, case, "One."), _tab(client, case, "Two.")
    assert tab_one["version"] == tab_two["version"] == "0"
    assert client.post(url, tab_one).status_code == 302
    assert client.post(url, tab_two).status_code == 409
    assert Determination.objects.get(case=case).clinical_case_summary == "One."


@pytest.mark.parametrize("version", [None, "", "two", "-1"], ids=["missing", "empty", "garbled", "negative"])
def test_a_post_without_a_usable_version_is_400_and_saves_nothing(client, reviewer, drafted, version):
    client.force_login(reviewer.user)
    data = _tab(client, drafted, "From a page without a version.")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    response = client.post(reverse("review:save_draft", args=[drafted.pk]), data)
    assert response.status_code == 400
    assert "This form has no draft version" in response.content.decode()
    assert "From a page without a version." in response.content.decode()
    assert Determination.objects.get(case=drafted).clinical_case_summary == "First words."


def test_the_service_refuses_a_stale_version_and_counts_each_save(reviewer, drafted):
    determination = Determination.objects.get(case=drafted)
    assert determination.version == 1
    save_draft(case_id=drafted.pk, by=reviewer.user, summary="Second.", items=[], expected_version=1)
    with pytest.raises(StaleDraftError):
        save_draft(case_id=drafted.pk, by=reviewer.user, summary="Stale.", items=[], expected_version=1)
    determination.refresh_from_db()
    assert (determination.version, determination.clinical_case_summary) == (2, "Second.")
