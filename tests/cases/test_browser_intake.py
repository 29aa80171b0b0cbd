"""An intake staff member takes the seed case from received to ready for assignment in a browser.

No reviewer exists, so the assignment task (run eagerly) finds nobody and the case stays
ready for assignment. How the NOARFI went is not asked: every party has an email address, so
it goes electronically (tests/notices/test_browser_noarfi.py follows its emails).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cases.models import Case, CaseEvent, CaseStatus, DocumentKind
from cases.services.documents import add_document
from core.clock import today
from exchange.services.intake import import_case
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import UserFactory
from tests.second_factor import browser_login

SEED = Path(__file__).resolve().parent.parent / "data" / "seed-case.json"


@pytest.mark.django_db(transaction=True)
def test_staff_take_the_seed_case_to_ready_for_assignment(page, live_server, output_dir):
    payload = json.loads(SEED.read_text())
    payload.pop("determination")
    case = import_case(payload=payload, by=None)
    assert case.status == CaseStatus.RECEIVED
    staff = UserFactory(username="intake.browser", role=roles.INTAKE_STAFF)

    browser_login(page, staff)  # password, then the second factor
    page.goto("/cases/")
    page.get_by_role("link", name=case.case_number).click()
    status = page.locator("#case-status")
    assert status.inner_text() == "Received"

    page.get_by_role("button", name="Start eligibility review").click()
    page.wait_for_selector("#case-status[data-status='eligibility_review']")
    assert "Computed finding: eligible" in page.locator("#eligibility-finding").inner_text()

    page.get_by_role("button", name="Confirm the finding").click()
    page.wait_for_selector("#step-send_notice")
    page.get_by_role("button", name="Send the NOARFI").click()
    page.wait_for_selector("#case-status[data-status='awaiting_records']")

    # The records arrive (uploading is another page's job); the step opens once one is on file.
    add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes(label="PT notes")),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Dr. Treating: PT notes",
        received_on=today(),
        by=staff,
    )
    page.reload()
    page.get_by_role("button", name="Mark records complete").click()
    page.wait_for_selector("#case-status[data-status='ready_for_assignment']")
    assert status.inner_text() == "Ready for assignment"
    assert "Awaiting records → Ready for assignment" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(output_dir / "workflow-ready-for-assignment.png"), full_page=True)

    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == CaseStatus.READY_FOR_ASSIGNMENT
    assert fresh.notice_method == "electronic"
    assert list(
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION)
        .order_by("id")
        .values_list("to_status", flat=True)
    ) == [CaseStatus.ELIGIBILITY_REVIEW, CaseStatus.AWAITING_RECORDS, CaseStatus.READY_FOR_ASSIGNMENT]
    assert set(
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).values_list("actor", flat=True)
    ) == {staff.pk}
