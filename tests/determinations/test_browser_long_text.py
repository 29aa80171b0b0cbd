"""Long unbroken text never widens a page (Debian chromium through Playwright, 1280 px).

Issue 9: a 300-character URL in a rationale made the QA page 200,000 px wide. Bad inputs
tried: a 400-character URL in a rationale and in the clinical case summary, a
400-character token with no break opportunity in a disputed item's description and in a
claims administrator guideline.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseStatus
from determinations.models import DeterminationStatus
from tests.determinations.letters_support import approve, approved_seed_determination
from tests.determinations.review_support import qa_user
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
URL = "https://guidelines.example.org/mtus/" + "x" * 364
TOKEN = "T" + "".join("abcdefghijklmnopqrstuvwxyz0123456789"[i % 36] for i in range(399))


def _log_in(page, user) -> None:
    browser_login(page, user)  # password, then the second factor


def test_qa_page_with_a_400_character_url_stays_within_the_window(page, output_dir):
    determination = approved_seed_determination(
        case_status=CaseStatus.QA_REVIEW, status=DeterminationStatus.DRAFT
    )
    determination.clinical_case_summary += f"\n\nSee {URL} for the imaging report."
    determination.save()
    item = determination.items.order_by("disputed_item__position").first()
    item.rationale = f"The guideline at {URL} supports the decision."
    item.save()
    disputed = item.disputed_item
    disputed.description = f"Brace {TOKEN}"
    disputed.claims_administrator_guideline = TOKEN
    disputed.save()
    # Edited first: a submitted determination's text and its case's items are read-only.
    approve(determination, status=DeterminationStatus.SUBMITTED)

    _log_in(page, qa_user())
    page.goto(reverse("review:qa_determination", args=[determination.pk]))
    page.wait_for_load_state()
    assert URL in page.content()
    page.screenshot(path=str(output_dir / "qa-long-url-1280.png"), full_page=True)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page is {width[0]} px wide in a {width[1]} px window"
    # The letter preview inside the page wraps it too.
    page.locator("summary", has_text="Letter preview").click()
    frame = page.frame_locator("iframe[title='Letter preview']")
    assert URL[:40] in frame.locator("body").inner_text()
    inner = frame.locator("html").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inner[0] <= inner[1], f"letter preview is {inner[0]} px wide in {inner[1]} px"
