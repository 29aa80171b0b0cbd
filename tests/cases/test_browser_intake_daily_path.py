"""Intake staff's daily path on the case page (issue 16 item 1), in a real browser (Debian
chromium through Playwright, with the page's JavaScript).

They create the case on /cases/new/, drop two PDFs at once on the Documents section's drop zone
(both listed before sending; one upload with a progress bar), correct the employee's mailing
address on the party's page, and send the case on: eligibility review, the finding confirmed,
the NOARFI sent, the records marked complete. Bad inputs tried on the way: a dropped PNG with a
.pdf name beside a good PDF (nothing uploaded, the file named in the error), and a ZIP code of
four digits (a form error on the field, the address unchanged). Without JavaScript the same
form takes two files through its plain multiple-file input.
Screenshots (tests/output/): case-page-workplace-1280.png, -390.png, party-edit-390.png,
case-page-upload-dropped-1280.png, case-page-upload-error-1280.png.
"""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from cases.models import AccessAction, AccessLogEntry, Case, CaseEvent, CaseEventKind, CaseStatus, PartyRole
from imr_site import roles
from tests.cases.pdfs import PNG_BYTES, make_pdf_bytes
from tests.exchange.intake_support import PT
from tests.factories import UserFactory
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP_FILES = """(files) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, { type: "application/pdf" }));
  }
  return transfer;
}"""


WIDER_THAN_THE_PAGE = """(ids) => {
  const wide = [];
  for (const id of ids) {
    for (const e of document.getElementById(id).querySelectorAll("*")) {
      const scroller = e.closest(".table-responsive");
      if (e.classList.contains("table-responsive") && e.scrollWidth > e.clientWidth + 1) {
        wide.push(id + ": a table " + e.scrollWidth + " px wide in " + e.clientWidth);
      } else if (!scroller && e.getBoundingClientRect().right > window.innerWidth + 1) {
        wide.push(id + ": " + e.tagName + " ends at " + Math.round(e.getBoundingClientRect().right));
      }
    }
  }
  return wide;
}"""


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


def _drop(page, files: list[tuple[str, bytes]]) -> None:
    """Drag files from the desktop onto the drop zone: the browser's own drag events, with files."""
    transfer = page.evaluate_handle(
        DROP_FILES, [{"name": name, "b64": base64.b64encode(content).decode()} for name, content in files]
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("[data-drop-zone]", event, {"dataTransfer": transfer})


def _create_case(page) -> Case:
    page.goto("/cases/new/")
    page.get_by_label("Application received on").fill("2015-02-27")
    page.get_by_label("Employee first name").fill("Maria")
    page.get_by_label("Employee last name").fill("Example")
    page.get_by_label("Employee email").fill("maria.example@example.org")
    page.get_by_label("Employee mailing address").fill("12 Orchard Lane, Fresno, CA 93701")
    page.locator("#id_employer_name").fill("Central Valley Packing Co.")
    page.get_by_label("Employer email").fill("hr@centralvalley.example.com")
    page.locator("#id_claims_administrator_name").fill("Golden State Claims Services")
    page.get_by_label("Claim number").fill("GSC-07-999999")
    page.get_by_label("Claims administrator email").fill("ur-desk@goldenstateclaims.example.com")
    page.get_by_label("Requesting provider").fill("Dr. Alan Treating")
    page.get_by_label("Provider NPI").fill("1234567893")
    page.get_by_label("Provider email").fill("office@treating-pain.example.com")
    page.get_by_label("Date of injury").fill("2007-05-03")
    page.get_by_label("UR decision date").fill("2015-02-06")
    slot = page.locator("[data-item-slot]:visible").nth(0)
    slot.get_by_label("Treatment in dispute").fill(PT["description"])
    slot.get_by_label("Category").select_option(PT["category"])
    slot.get_by_label("UR decision").select_option(PT["ur_decision"])
    page.get_by_role("button", name="Create case").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    expect(page.locator("#case-status")).to_have_attribute("data-status", "received")
    return Case.objects.get(parties__last_name="Example")


def test_intake_creates_uploads_edits_an_address_and_sends_the_case_on(page, output_dir):
    staff = UserFactory(username="intake.daily", role=roles.INTAKE_STAFF)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login(page, staff)
    case = _create_case(page)

    # Two PDFs and a PNG named .pdf dropped at once: all listed; nothing goes, the PNG is named.
    zone = page.locator("[data-drop-zone]")
    expect(zone.locator("input[type=file]")).to_have_attribute("multiple", "")
    notes, mri = make_pdf_bytes(label="PT notes", pages=3), make_pdf_bytes(label="MRI report", pages=1)
    _drop(page, [("PT_notes_2015.pdf", notes), ("scan.pdf", PNG_BYTES)])
    expect(page.locator("[data-file-list] li")).to_have_count(2)
    page.get_by_role("button", name="Upload documents").click()
    expect(page.locator("#upload-file-errors")).to_contain_text("scan.pdf: This file is not a PDF")
    expect(page.locator("#upload-file-errors")).to_contain_text("Nothing was uploaded")
    page.screenshot(path=str(output_dir / "case-page-upload-error-1280.png"), full_page=True)
    assert not case.documents.exists()

    page.goto(f"/cases/{case.pk}/")
    _drop(page, [("PT_notes_2015.pdf", notes)])
    _drop(page, [("MRI_lumbar.pdf", mri)])  # a second drop adds to the first
    expect(page.locator("[data-file-list] li")).to_have_count(2)
    expect(page.locator("[data-file-list]")).to_contain_text("MRI_lumbar.pdf")
    page.screenshot(path=str(output_dir / "case-page-upload-dropped-1280.png"), full_page=True)
    page.get_by_role("button", name="Upload documents").click()
    expect(page.locator(".alert-success")).to_contain_text("2 documents added")
    expect(page.locator("#document-list li")).to_have_count(2)
    expect(page.locator("#document-list")).to_contain_text("Medical record: PT notes 2015")
    assert sorted(case.documents.values_list("title", "pages")) == [("MRI lumbar", 1), ("PT notes 2015", 3)]

    # The employee's address: a bad ZIP code first, then the corrected address.
    page.get_by_role("link", name="Edit Employee").click()
    expect(page.get_by_label("City")).to_have_value("Fresno")
    page.get_by_label("Street address").fill("455 Olive Avenue\nApt 2")
    page.get_by_label("City").fill("Clovis")
    page.get_by_label("State").select_option("CA")
    page.get_by_label("ZIP code").fill("9361")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error_1_id_zip_code")).to_contain_text("is not a ZIP code")
    employee = case.parties.get(role=PartyRole.EMPLOYEE)
    assert employee.mailing_address == "12 Orchard Lane, Fresno, CA 93701"
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("ZIP code")).to_be_visible()
    page.screenshot(path=str(output_dir / "party-edit-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("ZIP code").fill("93612")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("Employee Maria Example: saved.")
    row = page.locator("#party-table tr[data-role='employee']")
    expect(row).to_contain_text("455 Olive Avenue")
    expect(row).to_contain_text("Clovis, CA 93612")
    employee.refresh_from_db()
    assert employee.mailing_address == "455 Olive Avenue\nApt 2\nClovis, CA 93612"

    # Sent on, through the steps.
    status = page.locator("#case-status")
    page.get_by_role("button", name="Start eligibility review").click()
    expect(status).to_have_attribute("data-status", "eligibility_review")
    expect(page.locator("#eligibility-finding")).to_contain_text("Computed finding: eligible")
    page.get_by_role("button", name="Confirm the finding").click()
    expect(page.locator("#step-send_notice")).to_be_visible()
    page.get_by_role("button", name="Send the NOARFI").click()
    expect(status).to_have_attribute("data-status", "awaiting_records")
    page.get_by_role("button", name="Mark records complete").click()
    expect(status).to_have_attribute("data-status", "ready_for_assignment")
    expect(page.locator("#timeline")).to_contain_text("Awaiting records → Ready for assignment")
    expect(page.locator("#timeline")).to_contain_text("Employee: mailing address changed")
    page.screenshot(path=str(output_dir / "case-page-workplace-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#documents-h")).to_be_visible()
    expect(page.locator("#party-table")).to_be_visible()
    page.screenshot(path=str(output_dir / "case-page-workplace-390.png"), full_page=True)
    # The three sections fit a phone's width: nothing sticks out, no table needs a side scroll.
    too_wide = page.evaluate(WIDER_THAN_THE_PAGE, ["documents", "parties", "items"])
    assert not too_wide, too_wide

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.READY_FOR_ASSIGNMENT
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.DOCUMENT_ADDED, actor=staff).count() == 2
    edit = CaseEvent.objects.get(case=case, kind=CaseEventKind.EDITED_BY_STAFF)
    assert edit.actor == staff and edit.data["fields"] == ["mailing_address"]
    assert AccessLogEntry.objects.filter(case=case, user=staff, action=AccessAction.CHANGE).count() == 2
    assert not errors, errors


@pytest.fixture
def page_without_javascript(browser, _live_server_serves_no_media, live_server):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


def test_without_javascript_the_plain_input_takes_two_files(page_without_javascript, tmp_path):
    from tests.factories import make_seed_like_case

    page = page_without_javascript
    staff = UserFactory(username="intake.nojs", role=roles.INTAKE_STAFF)
    case = make_seed_like_case()
    browser_login(page, staff)
    page.goto(f"/cases/{case.pk}/")
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    one.write_bytes(make_pdf_bytes(label="one"))
    two.write_bytes(make_pdf_bytes(label="two"))
    page.get_by_label("PDF files").set_input_files([one, two])
    page.get_by_role("button", name="Upload documents").click()
    page.wait_for_load_state()
    expect(page.locator("#document-list li")).to_have_count(2)
    assert sorted(case.documents.values_list("title", flat=True)) == ["one", "two"]
