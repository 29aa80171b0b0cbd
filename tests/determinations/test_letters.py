"""The letter's content and layout: header data, credentials, sections, pages.

Bad inputs tried: a reviewer with a distinctive name (must never print), licenses recorded
out of alphabetical order, an unknown state code, a citation already ending with a period,
a long letter (4 items) spanning pages.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from cases.models import Document, DocumentKind, PartyRole
from determinations.letters import (
    STATE_NAMES,
    build_letter_context,
    render_letter_html,
    render_letter_pdf,
    state_name,
)
from determinations.models import Decision, DeterminationStatus, ItemDecision
from tests.determinations.letters_support import (
    REVIEWER_FIRST_NAME,
    REVIEWER_LAST_NAME,
    approve,
    approved_seed_determination,
    body_text,
    normalize,
    pdf_pages_text,
)
from tests.factories import DisputedItemFactory, LicenseFactory, PartyFactory

pytestmark = pytest.mark.django_db


def test_pdf_holds_each_partys_header_data_and_no_reviewer_name():
    determination = approved_seed_determination()
    case = determination.case
    PartyFactory(case=case, role=PartyRole.ATTORNEY, name="Ada Counsel", organization="Counsel LLP")
    pdf = render_letter_pdf(determination=determination, draft=False)
    text = normalize(" ".join(pdf_pages_text(pdf)))
    for expected in [
        f"Case Number: {case.case_number}",
        "UR Denial Date: 02/06/2015",
        "Application Received: 02/27/2015",
        "Priority: Standard",
        "Employee: Maria Example",
        "Claim Number: GSC-07-118204",
        "Date of Injury: 05/03/2007",
        "Employer: Central Valley Packing Co.",
        "Claims Administrator: Golden State Claims Services",
        "Requesting Provider: Dr. Alan Treating",
        "Employee's Attorney: Ada Counsel",
        "Treatment(s) in Dispute: Physical Therapy 2x8 for the Lumbar Spine",
        "TPI 20553 X6 in the Right Lumbar Paraspinals DOS 12/29/15",
        "DOCUMENTS REVIEWED",
        "4610.6(h)",
        "30 days",
    ]:
        assert expected in text, expected
    reviewer = determination.reviewer
    for secret in (REVIEWER_FIRST_NAME, REVIEWER_LAST_NAME, reviewer.reviewer_number, reviewer.user.username):
        assert secret not in text
    assert "DRAFT" not in text


def test_pdf_is_us_letter_with_page_x_of_y_on_every_page():
    determination = approved_seed_determination()
    pdf = render_letter_pdf(determination=determination, draft=False)
    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
        assert f"Page {number} of {total}" in page.extract_text()


def test_draft_is_marked_on_every_page():
    determination = approved_seed_determination()
    pages = pdf_pages_text(render_letter_pdf(determination=determination, draft=True))
    assert all(re.search(r"^DRAFT$", text, re.MULTILINE) for text in pages)
    assert "DRAFT" in render_letter_html(determination=determination)
    assert "DRAFT" not in render_letter_html(determination=determination, draft=False)


def test_credentials_follow_license_position_and_full_state_names():
    determination = approved_seed_determination()
    reviewer = determination.reviewer
    reviewer.licenses.all().delete()
    LicenseFactory(reviewer=reviewer, position=2, state="DC")
    LicenseFactory(reviewer=reviewer, position=1, state="WY")
    LicenseFactory(reviewer=reviewer, position=3, state="DC", number="B2")  # same state twice
    context = build_letter_context(determination=determination)
    assert context["licensure_states"] == ["Wyoming", "District of Columbia"]
    assert context["certifications"] == ["Preventive Medicine", "Occupational Medicine"]
    # Recorded credentials (past cases, frozen at issue) win over the reviewer's rows.
    determination.licensure_states = ["TX", "GA"]
    determination.certifications = ["Orthopaedic Surgery"]
    determination.save()
    context = build_letter_context(determination=determination)
    assert context["licensure_states"] == ["Texas", "Georgia"]
    assert context["certifications"] == ["Orthopaedic Surgery"]


def test_every_state_and_dc_has_a_full_name():
    assert len(STATE_NAMES) == 51
    assert state_name("GA") == "Georgia" and state_name("ny") == "New York"
    assert state_name("ZZ") == "ZZ"


def test_overturned_items_and_documents_reviewed_appear_after_the_decisions():
    # Items are added while the determination is a draft: an approved case's items are read-only.
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    case = determination.case
    item = DisputedItemFactory(
        case=case,
        position=3,
        description="Lumbar MRI without contrast",
        claims_administrator_guideline="ACOEM Low Back Chapter.",
    )
    ItemDecision.objects.create(
        determination=determination,
        disputed_item=item,
        decision=Decision.OVERTURNED,
        reviewer_guideline="ODG Low Back MRI",
        rationale="Red flags are documented.",
    )
    DisputedItemFactory(case=case, position=4, description="Home exercise kit")
    Document.objects.create(
        case=case,
        kind=DocumentKind.MEDICAL_RECORD,
        title="Dr. Alan Treating progress notes 1/2015-2/2015",
        file="cases/x.pdf",
        sha256="a" * 64,
        size=10,
        pages=3,
        received_on=date(2015, 3, 2),
    )
    approve(determination)
    pdf = render_letter_pdf(determination=determination, draft=False)
    text = body_text(pdf)
    assert "Lumbar MRI without contrast: Overturned" in text
    # One period, even when the citation already ends with one.
    assert "Decision based on ACOEM Low Back Chapter. " in text
    assert "MAXIMUS guideline: Decision based on ODG Low Back MRI." in text
    assert "authorize it within 5 working days" in text
    decisions_at = text.index("IMR ISSUES, DECISIONS AND RATIONALES")
    documents_at = text.index("DOCUMENTS REVIEWED")
    assert decisions_at < text.index("Red flags are documented.") < documents_at
    assert "Medical record: Dr. Alan Treating progress notes 1/2015-2/2015 03/02/2015" in text
    for line in pdf_pages_text(pdf):
        assert "\ufb01" not in line and "\u2019" not in line  # no ligature, no smart quote


def test_upheld_only_letter_has_no_authorization_duty():
    determination = approved_seed_determination()
    text = body_text(render_letter_pdf(determination=determination, draft=False))
    assert "within 5 working days" not in text
