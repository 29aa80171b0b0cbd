"""Long unbroken text (a URL of hundreds of characters) wraps inside the letter's margins.

Issue 9: a 300-character URL in a rationale ran off the right margin and was lost from the
PDF. Bad inputs tried: a 400-character URL (holding "/", which the letter otherwise keeps on
one line) in a rationale, a 400-character token with no break opportunity at all in the
clinical case summary, and one in a disputed item's description (a header table cell).
"""

from __future__ import annotations

import pytest

from determinations.letters import KEEP_WHOLE_MAX_CHARS, keep_words_whole, render_letter_pdf
from determinations.models import DeterminationStatus
from tests.determinations.letters_support import (
    approve,
    approved_seed_determination,
    body_text,
    pdf_pages_text,
)

pytestmark = pytest.mark.django_db

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
# At 10.5pt Liberation Serif a full line holds about 100 characters of this token.
LINE_CHARS_MAX = 120


def _token(prefix: str, length: int = 400) -> str:
    body = "".join(ALPHABET[i % len(ALPHABET)] for i in range(length - len(prefix)))
    return prefix + body


def _lines_holding(pdf: bytes, token: str) -> list[str]:
    """The PDF's text lines that hold a piece (12+ chars) of `token`."""
    lines = [line.strip() for page in pdf_pages_text(pdf) for line in page.splitlines()]
    return [line for line in lines if any(word[:12] in token for word in line.split() if len(word) >= 12)]


def _assert_wrapped_whole(pdf: bytes, token: str) -> None:
    # Every character is in the text: nothing was clipped at the right margin...
    assert token in "".join(body_text(pdf).split())
    # ...because the token was broken over several lines, each no longer than a line holds.
    pieces = _lines_holding(pdf, token)
    assert len(pieces) >= 3, pieces
    assert all(len(line) <= LINE_CHARS_MAX for line in pieces), [len(line) for line in pieces]


def test_a_400_character_url_in_a_rationale_wraps_inside_the_margins():
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    url = _token("https://guidelines.example.org/mtus/chronic-pain/")
    item = determination.items.first()
    item.rationale = f"The guideline is at {url} and supports the decision."
    item.save()
    approve(determination)
    _assert_wrapped_whole(render_letter_pdf(determination=determination, draft=False), url)


def test_a_400_character_token_without_any_break_in_the_summary_and_item_wraps():
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    summary_token = _token("S")
    determination.clinical_case_summary = f"The records cite {summary_token} twice.\n\nSecond paragraph."
    disputed = determination.case.disputed_items.order_by("position").first()
    item_token = _token("T", 300)
    disputed.description = f"Brace {item_token}"
    disputed.save()  # before approval: an approved case's items are read-only (issue 13)
    approve(determination)
    pdf = render_letter_pdf(determination=determination, draft=True)
    _assert_wrapped_whole(pdf, summary_token)
    assert item_token in "".join(body_text(pdf).split())


def test_short_slashed_words_still_stay_whole_and_long_ones_may_break():
    assert 'class="nobreak">his/her<' in keep_words_whole("his/her records")
    long_url = "https://example.org/" + "a" * KEEP_WHOLE_MAX_CHARS
    assert "nobreak" not in keep_words_whole(f"see {long_url}")
