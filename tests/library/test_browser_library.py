"""The decision library in a real browser (Debian chromium through Playwright).

An anonymous visitor searches "trigger point injections", sees the ranked, highlighted result
and opens its published (redacted) letter; a reviewer then sees, in the decision form, how
similar items were decided, with a link to the same letter.
"""

from __future__ import annotations

import pytest

from cases.models import ItemCategory
from determinations.models import Decision
from library.services.publication import publish_determination
from tests.determinations.letters_support import body_text
from tests.determinations.review_support import case_for_review
from tests.library.support import make_issued_case
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_searches_and_opens_a_letter_then_a_reviewer_sees_precedents(page, output_dir):
    determination = make_issued_case(
        case_number="CM25-0000777",
        items=[
            (
                ItemCategory.INJECTIONS,
                "TPI 20553 X6 in the Right Lumbar Paraspinals",
                Decision.UPHELD,
                "MTUS requires 50% relief for six weeks before repeat trigger point injections; "
                "Ms. Oyelaran-Stroud had two weeks of relief.",
            )
        ],
    )
    publish_determination(determination_id=determination.pk, make_letter=False)

    page.goto("/decisions/")
    page.get_by_label("Words in the decision").fill("trigger point injections")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    row = page.locator("tr.result").first
    assert "CM25-0000777" in row.inner_text()
    assert "Oyelaran" not in page.content()
    page.screenshot(path=str(output_dir / "library-search-1280.png"), full_page=True)
    link = row.get_by_role("link", name="CM25-0000777")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = body_text(response.body())
    assert "The injured worker" in text and "Oyelaran" not in text

    case, assignment = case_for_review()
    browser_login(page, assignment.reviewer.user)  # password, then a real TOTP code
    page.goto(f"/review/cases/{case.pk}/")
    item = case.disputed_items.get(position=2)  # the seed's TPI item
    panel = page.locator(f"#precedents-{item.pk}")
    assert "How similar items were decided" in panel.inner_text()
    assert "CM25-0000777" in panel.inner_text()
    assert "Oyelaran" not in panel.inner_text()
    page.screenshot(path=str(output_dir / "library-precedents-1280.png"), full_page=True)
