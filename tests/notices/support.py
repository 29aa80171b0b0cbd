"""Shared builders for the notice tests (not collected: no test_ prefix)."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from cases.models import Case, CaseStatus
from cases.services import case_actions
from determinations.models import Notice
from imr_site import roles
from tests.determinations.letters_support import seed_payload
from tests.factories import UserFactory

# Monday after the seed application was received (Friday 2015-02-27).
SEED_NOTICE_DAY = date(2015, 3, 2)


def staff_user():
    return UserFactory(role=roles.INTAKE_STAFF)


def import_seed_application(**overrides) -> Case:
    """The seed case as a new application (no determination yet), through the real intake."""
    from exchange.services.intake import import_case

    payload = {key: value for key, value in seed_payload().items() if key != "determination"}
    payload.update(overrides)
    return import_case(payload=payload)


def to_confirmed_eligible(case: Case, staff) -> Case:
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    case.refresh_from_db()
    assert case.status == CaseStatus.ELIGIBILITY_REVIEW and case.eligibility_confirmed is True
    return case


def pdf_text(notice: Notice) -> str:
    with notice.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def normalize(text: str) -> str:
    return " ".join(text.split())


def notice_text(pdf: bytes) -> str:
    """The notice's text without its page furniture (the running header, 'Page X of Y'), normalized."""
    from tests.determinations.letters_support import PAGE_LINE, pdf_pages_text

    kept = []
    for page in pdf_pages_text(pdf):
        for line in page.splitlines():
            line = line.strip()
            if not line or PAGE_LINE.match(line) or (line.startswith("IMR ") and "Case Number: " in line):
                continue
            kept.append(line)
    return normalize("\n".join(kept))
