"""In chromium: a claims administrator's user logs in (password and second factor), uploads two
records to their case with kind and dates, gets the receipt, declares the records complete and
the case moves on; a tampered per-party link answers 404."""

from __future__ import annotations

import pytest

from cases.models import Case, CaseStatus, Document, PartyRole
from portal.services import links
from tests.cases.pdfs import make_pdf_bytes
from tests.factories import UserFactory
from tests.portal.support import awaiting_records_case, link, member, organization
from tests.second_factor import browser_login


@pytest.mark.django_db(transaction=True)
def test_a_claims_administrator_uploads_two_records_and_declares_them_complete(
    page, live_server, tmp_path, output_dir
):
    staff = UserFactory(username="intake.portal")
    org = organization()
    case = awaiting_records_case(staff)
    link(org, case, staff)
    adjuster = member(org, username="adjuster.browser")
    notes, mri = tmp_path / "office-notes.pdf", tmp_path / "mri-report.pdf"
    notes.write_bytes(make_pdf_bytes(pages=3, label="office notes"))
    mri.write_bytes(make_pdf_bytes(pages=1, label="mri report"))

    browser_login(page, adjuster)
    assert page.url.endswith("/portal/"), page.url
    page.get_by_role("link", name=case.case_number).click()
    assert "medical records are being collected" in page.locator("#plain-status").inner_text()

    page.get_by_label("PDF file 1").set_input_files(str(notes))
    page.get_by_label("Kind of record 1").select_option("medical_records")
    page.get_by_label("Records from 1").fill("2015-01-05")
    page.get_by_label("Records to 1").fill("2015-02-20")
    page.get_by_label("PDF file 2").set_input_files(str(mri))
    page.get_by_label("Kind of record 2").select_option("imaging")
    page.get_by_label("Records from 2").fill("2015-02-01")
    page.get_by_label("Records to 2").fill("2015-02-01")
    page.get_by_role("button", name="Upload records").click()

    page.wait_for_selector("#receipt-table")
    receipt = page.locator("#receipt-table").inner_text()
    assert "office-notes.pdf" in receipt and "mri-report.pdf" in receipt
    assert Document.objects.filter(case=case).count() == 2
    page.screenshot(path=str(output_dir / "portal-receipt.png"), full_page=True)

    page.get_by_role("link", name="Back to the case").click()
    page.get_by_role("button", name="Declare the records complete").click()
    page.wait_for_selector("#plain-status[data-status='ready_for_assignment']")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.READY_FOR_ASSIGNMENT

    # A party link with one character changed: nothing there.
    good = links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE)
    path = "/" + good.split("://", 1)[1].split("/", 1)[1]
    tampered = path[:-3] + ("x" if path[-3] != "x" else "y") + path[-2:]
    response = page.goto(tampered)
    assert response.status == 404
    assert case.case_number not in page.content()
    assert page.goto(path).status == 200
