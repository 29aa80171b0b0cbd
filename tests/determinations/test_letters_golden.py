"""The seed case's PDF holds the reference letter wording (tests/data) as one passage.

Page furniture (lines repeated on every page, "Page X of Y") is removed and whitespace
normalized; the reference must then appear whole, so a running header in a paragraph,
a hyphenated or slash-broken word, a ligature or a smart quote would all fail it.
"""

from __future__ import annotations

import pytest

from cases.models import Case
from determinations.letters import render_letter_pdf
from determinations.models import Determination, DeterminationStatus
from tests.determinations.letters_support import (
    SEED_LETTER_PATH,
    approved_seed_determination,
    body_text,
    import_seed_case,
    normalize,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _maximus(settings):
    settings.IMRO_NAME = "MAXIMUS Federal Services"
    settings.IMRO_SHORT_NAME = "MAXIMUS"


def _reference() -> str:
    return normalize(SEED_LETTER_PATH.read_text(encoding="utf-8"))


def _assert_holds_reference(pdf: bytes) -> None:
    text = body_text(pdf)
    reference = _reference()
    assert reference.startswith("HOW THE IMR FINAL DETERMINATION WAS MADE")
    if reference not in text:
        # Point at the first word where they part, rather than dumping two pages.
        start = text.find(reference[:40])
        common = 0
        if start >= 0:
            while common < len(reference) and text[start + common] == reference[common]:
                common += 1
        pytest.fail(
            f"reference passage not found; diverges after {reference[max(0, common - 60) : common]!r}: "
            f"PDF has {text[start + common : start + common + 60]!r}"
        )


@pytest.mark.parametrize("draft", [False, True])
def test_imported_seed_case_letter_holds_the_reference_wording(draft):
    case = import_seed_case()
    determination = Determination.objects.get(case=case)
    _assert_holds_reference(render_letter_pdf(determination=determination, draft=draft))


def test_letter_built_from_reviewer_records_holds_the_reference_wording():
    """Credentials from License/BoardCertification rows (GA, CA, TX by position) read the same."""
    determination = approved_seed_determination()
    _assert_holds_reference(render_letter_pdf(determination=determination, draft=False))


def test_reference_is_not_matched_when_wording_changes():
    """The check can fail: a changed rationale word breaks the passage (on a draft: an issued
    determination's wording changes only through a corrected letter)."""
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    item = determination.items.first()
    item.rationale = item.rationale.replace("10 physical therapy", "12 physical therapy")
    item.save()
    assert _reference() not in body_text(render_letter_pdf(determination=determination, draft=False))
    assert Case.objects.count() == 1
