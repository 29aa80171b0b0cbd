"""The review workflow end to end in a real browser (Debian chromium through Playwright).

A reviewer logs in, accepts the seed case (attesting no conflict), tries to submit with a
rationale missing (bad input: the error must appear at that field and nothing be
written), previews the letter, submits the seed decisions (Upheld/Upheld); a QA user
approves; the letter is issued. A second reviewer then gets 404 on the case file.
Screenshots of the queue (1280 px and 390 px) and of the decision form go to tests/output.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseStatus
from determinations.models import Decision, Determination, DeterminationStatus, Letter
from reviewers.models import AssignmentStatus
from tests.determinations.review_support import case_for_review, qa_user, seed_determination
from tests.factories import make_seed_reviewer
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, user) -> None:
    browser_login(page, user)  # password, then the second factor


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_reviewer_decides_the_seed_case_qa_approves_and_a_second_reviewer_is_refused(page, output_dir):
    reviewer = make_seed_reviewer()
    case, _assignment = case_for_review(
        reviewer=reviewer, status=CaseStatus.ASSIGNED, assignment_status=AssignmentStatus.OFFERED
    )
    seed = seed_determination()
    items = list(case.disputed_items.order_by("position"))

    # The queue, at desktop and phone widths.
    _log_in(page, reviewer.user)
    assert page.url.endswith(reverse("review:reviewer_home"))
    row = page.locator(f'[data-case="{case.case_number}"]')
    assert "New: accept or decline" in row.inner_text()
    page.screenshot(path=str(output_dir / "review-queue-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(output_dir / "review-queue-390.png"), full_page=True)
    # Nothing overflows the narrow page sideways (the table scrolls inside its container).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    # Accept, attesting no conflict (keyboard-operable: a real checkbox and button).
    page.get_by_label("I attest that I have no conflict of interest").check()
    page.get_by_role("button", name=f"Accept case {case.case_number}").click()
    page.wait_for_load_state()
    assert page.url.endswith(reverse("review:case_file", args=[case.pk]))
    assert "You accepted case" in page.content()

    # Fill the form as the seed letter reads, but leave item 2's rationale empty.
    page.get_by_label("Clinical case summary").fill(seed["clinical_case_summary"])
    for item, decision in zip(items, seed["items"], strict=True):
        fieldset = page.locator(f"#item-{item.pk}")
        fieldset.get_by_label(Decision(decision["decision"]).label, exact=True).check()
        page.get_by_label(f"Guideline for item {item.position}").fill(decision["reviewer_guideline"])
        if item.position == 1:
            page.get_by_label(f"Decision rationale for item {item.position}").fill(decision["rationale"])
    page.screenshot(path=str(output_dir / "review-decision-form-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(output_dir / "review-decision-form-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Submit to QA").click()
    page.wait_for_load_state()
    error = page.locator(f"#item-{items[1].pk}").get_by_text("Write the rationale for item 2.")
    assert error.is_visible()
    assert not Determination.objects.filter(case=case).exists()

    # Complete it, preview the letter, then submit.
    page.get_by_label("Decision rationale for item 2").fill(seed["items"][1]["rationale"])
    page.get_by_role("button", name="Preview letter").click()
    page.wait_for_load_state()
    page.screenshot(path=str(output_dir / "review-letter-preview-1280.png"), full_page=True)
    letter = page.frame_locator("iframe[title='Letter preview']")
    assert "CLINICAL CASE SUMMARY" in letter.locator("body").inner_text()
    assert reviewer.user.last_name not in letter.locator("body").inner_text()
    page.goto(reverse("review:case_file", args=[case.pk]))
    page.get_by_role("button", name="Submit to QA").click()
    page.wait_for_load_state()
    assert "Determination submitted to clinical QA" in page.content()
    assert page.get_by_label("Clinical case summary").is_disabled()
    determination = Determination.objects.get(case=case)
    assert determination.status == DeterminationStatus.SUBMITTED
    assert [(d.decision, d.reviewer_guideline, d.rationale) for d in determination.items.all()] == [
        (d["decision"], d["reviewer_guideline"], d["rationale"]) for d in seed["items"]
    ]
    _log_out(page)

    # QA approves from the queue.
    qa = qa_user()
    _log_in(page, qa)
    page.goto(reverse("review:qa_queue"))
    page.get_by_role("link", name=case.case_number).click()
    page.wait_for_load_state()
    assert "Upheld" in page.content()
    page.screenshot(path=str(output_dir / "review-qa-determination-1280.png"), full_page=True)
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()
    assert "approved" in page.content()
    determination.refresh_from_db()
    case.refresh_from_db()
    assert determination.approved_by == qa
    # The letter task (in process here) issues the letter and moves the case on.
    assert case.status == CaseStatus.DETERMINATION_ISSUED
    assert Letter.objects.filter(determination=determination).count() == 1
    _log_out(page)

    # A second reviewer cannot open the case.
    other = make_seed_reviewer()
    _log_in(page, other.user)
    response = page.goto(reverse("review:case_file", args=[case.pk]))
    assert response.status == 404
    assert (
        case.case_number
        not in page.locator(f'a[href="{reverse("review:case_file", args=[case.pk])}"]').all_inner_texts()
    )


def test_second_reviewer_gets_404_while_the_case_is_in_review(page):
    case, _ = case_for_review()
    other = make_seed_reviewer()
    _log_in(page, other.user)
    assert case.case_number not in page.content()
    response = page.goto(reverse("review:case_file", args=[case.pk]))
    assert response.status == 404
