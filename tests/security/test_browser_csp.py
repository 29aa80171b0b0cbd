"""The Content-Security-Policy breaks nothing: pages, Bootstrap and the letter preview (an inline
stylesheet in an iframe srcdoc, allowed by its hash) load without a single CSP violation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseStatus
from determinations.models import DeterminationStatus
from tests.determinations.letters_support import approved_seed_determination
from tests.determinations.review_support import qa_user
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_and_the_letter_preview_load_without_csp_violations(page):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    determination = approved_seed_determination(
        case_status=CaseStatus.QA_REVIEW, status=DeterminationStatus.SUBMITTED
    )

    browser_login(page, qa_user())
    page.goto(reverse("review:qa_determination", args=[determination.pk]))
    page.locator("summary", has_text="Letter preview").click()
    frame = page.frame_locator("iframe[title='Letter preview']")
    frame.locator("body").wait_for()
    # letter.css applied inside the preview: the letter is set in a serif face, not the default
    font = frame.locator("html").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Liberation Serif" in font, font
    page.goto(reverse("second_factor_setup"))
    page.locator("img[alt^='QR code']").evaluate("img => img.decode()")
    assert violations == []
