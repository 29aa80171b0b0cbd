"""Shared builders for the letters, issue and delivery tests (not collected: no test_ prefix)."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

from cases.models import Case, CaseStatus
from determinations.models import Determination, DeterminationStatus, ItemDecision
from tests.factories import UserFactory, make_seed_like_case, make_seed_reviewer

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SEED_CASE_PATH = DATA_DIR / "seed-case.json"
SEED_LETTER_PATH = DATA_DIR / "final-determination-letter.txt"
# Distinctive, so a test can prove it never reaches a letter or an email.
REVIEWER_FIRST_NAME = "Zebediah"
REVIEWER_LAST_NAME = "Quillfeather"

PAGE_LINE = re.compile(r"^\s*Page \d+ of \d+\s*$")


def seed_payload() -> dict:
    return json.loads(SEED_CASE_PATH.read_text(encoding="utf-8"))


def import_seed_case(**overrides) -> Case:
    """The seed case through the real intake service (a past case with its determination)."""
    from exchange.services.intake import import_case

    payload = seed_payload()
    payload.update(overrides)
    return import_case(payload=payload)


def approved_seed_determination(
    *, case_status: str = CaseStatus.QA_REVIEW, status: str = DeterminationStatus.APPROVED, **case_fields
) -> Determination:
    """A seed-like case waiting in QA with a QA-approved determination by a named reviewer.

    Credentials come from the reviewer's License/BoardCertification rows (GA, CA, TX). A test
    that changes the wording first asks for `status=DeterminationStatus.DRAFT`, edits, then
    calls `approve()`: an approved determination's text is read-only (issue 13).
    """
    payload = seed_payload()
    case = make_seed_like_case(status=case_status, **case_fields)
    user = UserFactory(first_name=REVIEWER_FIRST_NAME, last_name=REVIEWER_LAST_NAME)
    reviewer = make_seed_reviewer(user=user)
    determination = Determination.objects.create(
        case=case,
        reviewer=reviewer,
        status=status,
        clinical_case_summary=payload["determination"]["clinical_case_summary"],
    )
    for item, decision in zip(
        case.disputed_items.order_by("position"), payload["determination"]["items"], strict=True
    ):
        ItemDecision.objects.create(determination=determination, disputed_item=item, **decision)
    return determination


def approve(determination: Determination, *, status: str = DeterminationStatus.APPROVED) -> Determination:
    """Move a draft built by `approved_seed_determination(status=DRAFT)` on, once edited."""
    determination.status = status
    determination.save()
    return determination


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def normalize(text: str) -> str:
    return " ".join(text.split())


def body_text(pdf: bytes) -> str:
    """The PDF's text without page furniture (lines on every page, 'Page X of Y'), normalized."""
    pages = [[line.strip() for line in text.splitlines()] for text in pdf_pages_text(pdf)]
    furniture: set[str] = set()
    if len(pages) > 1:
        counts = Counter(line for lines in pages for line in set(lines) if line)
        furniture = {line for line, n in counts.items() if n == len(pages)}
    kept = [
        line
        for lines in pages
        for line in lines
        if line and line not in furniture and not PAGE_LINE.match(line)
    ]
    return normalize("\n".join(kept))
