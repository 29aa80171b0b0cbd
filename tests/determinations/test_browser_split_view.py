"""The reviewer's split view in a real browser (Debian chromium through Playwright).

The reviewer opens the seed case (in review, three PDFs on file): the Records pane lists each
document with its page count beside the decision form; the first PDF is drawn by the vendored
PDF.js (a canvas with pixels and a text layer holding the record's words) without a single
Content-Security-Policy violation; "]" moves to the next document and "k" back, but typing "]"
in the clinical summary only types it; at 390 px the page shows two tabs, "Records" and
"Decision", and switches between them (by click and by arrow key). Each document shown is one
GET of its reviewer-only URL: one access-log row per document viewed.
Screenshots: tests/output/review-split-view-1280.png, -1280-scrolled.png, -390-records.png,
-390-decision.png.

Then QA returns a case with a comment through the pages (an empty comment first: refused):
the reviewer's queue shows "Returned by QA" with the comment at 1280 and 390 px
(qa-return-1280.png, review-queue-returned-1280.png, -390.png), and its link opens the case at
QA's comment.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import AccessAction, AccessLogEntry
from tests.determinations.review_support import case_for_review
from tests.determinations.split_view_support import RECORDS, add_records
from tests.factories import make_seed_reviewer
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _document_views(user, document) -> int:
    return AccessLogEntry.objects.filter(
        user=user, action=AccessAction.VIEW_DOCUMENT, object_repr__startswith=f"document {document.pk}:"
    ).count()


def _wait_shown(page, index: int) -> None:
    """Document `index` is drawn: its first page's canvas and text layer are in the viewer."""
    page.locator(f"#record-viewer[data-rendered='{index}'][data-text-layer='{index}']").wait_for()


def test_reviewer_reads_the_records_beside_the_form_and_moves_with_the_keyboard(page, output_dir):
    reviewer = make_seed_reviewer()
    case, _assignment = case_for_review(reviewer=reviewer, case_number="CM15-0041877")
    documents = add_records(case)
    violations: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    browser_login(page, reviewer.user)
    page.goto(reverse("review:case_file", args=[case.pk]))

    # The list: every document with its page count; the shortcuts are announced in the page.
    items = page.locator("#record-list li")
    assert items.count() == 3
    for item, (_kind, title, pages) in zip(items.all(), RECORDS, strict=True):
        assert title in item.inner_text()
        assert f"{pages} page" in item.locator(".record-pages").inner_text()
    assert "3 documents, 6 pages" in page.locator("#records-h").inner_text()
    assert "next document" in page.locator("#record-shortcuts").inner_text()
    # Beside the form: the Records pane and the form share the first screen at 1280 px.
    records_box = page.locator("#pane-records").bounding_box()
    form_box = page.locator("#pane-decision").bounding_box()
    assert records_box["x"] + records_box["width"] <= form_box["x"] + 1
    assert abs(records_box["y"] - form_box["y"]) < 5

    # The first PDF is drawn in the page: pixels on the canvas, the record's words in the text layer.
    _wait_shown(page, 0)
    canvas = page.locator("#record-pages .page").first.locator("canvas")
    assert canvas.evaluate("c => c.width > 100 && c.height > 100")
    assert canvas.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " for (let i = 0; i < d.length; i += 4) if (d[i] < 128) return true; return false; }"
    ), "the first page's canvas has no dark pixel: nothing was drawn"
    first_text = page.locator("#record-pages .page").first.locator(".textLayer").inner_text()
    assert RECORDS[0][1] in first_text.replace("\n", " ")
    assert page.locator("#record-current").inner_text().startswith("Document 1 of 3")
    assert page.locator("#record-list a").first.get_attribute("aria-current") == "true"
    page.screenshot(path=str(output_dir / "review-split-view-1280.png"), animations="disabled")
    # Scrolled down to the form's buttons, the viewer is still wholly in the window beside them.
    page.get_by_role("button", name="Submit to QA").scroll_into_view_if_needed()
    frame = page.locator("#record-frame").bounding_box()
    assert frame["y"] >= 0 and frame["y"] + frame["height"] <= 900, frame
    page.screenshot(path=str(output_dir / "review-split-view-1280-scrolled.png"), animations="disabled")
    page.evaluate("window.scrollTo(0, 0)")

    # Typing "]" in a text field types it; it does not change the document.
    summary = page.get_by_label("Clinical case summary")
    summary.click()
    summary.press("]")
    assert summary.input_value().endswith("]")
    assert page.locator("#record-viewer").get_attribute("data-shown") == "0"

    # Outside the fields, "]" shows the next document, "k" the previous one.
    page.locator("#records-h").click()
    page.keyboard.press("]")
    _wait_shown(page, 1)
    assert page.locator("#record-current").inner_text() == f"Document 2 of 3: UR decision: {RECORDS[1][1]}"
    assert RECORDS[1][1] in page.locator("#record-pages .textLayer").first.inner_text().replace("\n", " ")
    assert page.locator("#record-list a").nth(1).get_attribute("aria-current") == "true"
    assert "Document 2 of 3" in page.locator("#record-status").inner_text()
    page.keyboard.press("k")
    _wait_shown(page, 0)
    assert page.locator("#record-current").inner_text().startswith("Document 1 of 3")

    # Each document shown was fetched once from its reviewer-only URL, and logged.
    assert _document_views(reviewer.user, documents[0]) == 2  # shown, then shown again
    assert _document_views(reviewer.user, documents[1]) == 1
    assert _document_views(reviewer.user, documents[2]) == 0

    # A phone: two tabs, "Records" first; "Decision" shows the form and hides the records. (The
    # page reacts to the new width and to each click in its own time: expect() waits for it.)
    page.set_viewport_size({"width": 390, "height": 844})
    tabs = page.get_by_role("tablist", name="Case file")
    expect(tabs).to_be_visible()
    records_tab = page.get_by_role("tab", name="Records")
    decision_tab = page.get_by_role("tab", name="Decision")
    summary = page.get_by_label("Clinical case summary")
    viewer = page.locator("#record-viewer")
    expect(records_tab).to_have_attribute("aria-selected", "true")
    expect(viewer).to_be_visible()
    expect(summary).to_be_hidden()
    _wait_shown(page, 0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(output_dir / "review-split-view-390-records.png"), animations="disabled")
    decision_tab.click()
    expect(decision_tab).to_have_attribute("aria-selected", "true")
    expect(summary).to_be_visible()
    expect(viewer).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(output_dir / "review-split-view-390-decision.png"), animations="disabled")
    # Arrow keys move between the tabs (the ARIA tabs pattern); a shortcut brings the records back.
    decision_tab.press("ArrowLeft")
    expect(records_tab).to_have_attribute("aria-selected", "true")
    expect(viewer).to_be_visible()
    decision_tab.click()
    expect(decision_tab).to_have_attribute("aria-selected", "true")
    page.keyboard.press("j")
    expect(records_tab).to_have_attribute("aria-selected", "true")
    _wait_shown(page, 1)

    # Back to a desktop width: both panes again, no tabs.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(tabs).to_be_hidden()
    expect(summary).to_be_visible()
    expect(viewer).to_be_visible()

    assert violations == []
    assert errors == []


def test_qa_returns_with_a_comment_in_the_browser_and_the_reviewer_sees_it_in_the_queue(page, output_dir):
    """QA's daily path: the QA queue, the determination, "Return to reviewer" with a comment.

    Bad input tried: returning with the comment left empty (the field's error, the case stays
    in QA). Then the reviewer logs in and finds "Returned by QA" with the comment in the queue.
    """
    from determinations.models import Determination, DeterminationStatus
    from determinations.services.review import submit_determination
    from tests.determinations.review_support import qa_user, seed_item_inputs

    reviewer = make_seed_reviewer()
    case, _assignment = case_for_review(reviewer=reviewer, case_number="CM15-0041877")
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="Summary", items=seed_item_inputs(case)
    )
    comment = "Item 2: cite the page numbers of the MTUS trigger point guideline."

    browser_login(page, qa_user())
    page.goto(reverse("review:qa_queue"))
    page.get_by_role("link", name=case.case_number).click()
    expect(page.get_by_role("heading", name="QA decision")).to_be_visible()
    page.get_by_role("button", name="Return to reviewer").click()
    expect(page.get_by_text("Say what the reviewer should change.")).to_be_visible()
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.SUBMITTED
    page.get_by_label("Comment for the reviewer").fill(comment)
    page.screenshot(path=str(output_dir / "qa-return-1280.png"), animations="disabled", full_page=True)
    page.get_by_role("button", name="Return to reviewer").click()
    returned = f"Determination for case {case.case_number} returned to its reviewer."
    expect(page.get_by_text(returned)).to_be_visible()
    assert Determination.objects.get(pk=determination.pk).status == DeterminationStatus.RETURNED
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    browser_login(page, reviewer.user)
    row = page.locator(f'[data-case="{case.case_number}"]')
    expect(row).to_contain_text("Returned by QA")
    expect(row).to_contain_text(comment)
    page.screenshot(path=str(output_dir / "review-queue-returned-1280.png"), animations="disabled")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(row.get_by_text(comment)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(output_dir / "review-queue-returned-390.png"), animations="disabled")
    row.get_by_role("link", name=f"Revise case {case.case_number}").click()
    page.wait_for_url(f"**{reverse('review:case_file', args=[case.pk])}#qa-comment")
    expect(page.locator("#qa-comment").get_by_text(comment)).to_be_visible()
