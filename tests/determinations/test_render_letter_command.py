"""`manage.py render_letter`: DRAFT for decided unissued cases, stored bytes once issued.

Bad inputs tried: an unknown case number, a case with no determination, a case whose
determination leaves an item undecided, an output path in a missing folder.
"""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from determinations.models import DeterminationStatus, ItemDecision
from determinations.services.letters import issue_letter
from tests.determinations.letters_support import (
    approved_seed_determination,
    import_seed_case,
    pdf_pages_text,
)
from tests.factories import make_seed_like_case

pytestmark = pytest.mark.django_db


def test_imported_past_case_renders_as_draft(tmp_path):
    case = import_seed_case()
    out = tmp_path / "letter.pdf"
    call_command("render_letter", case.case_number, "--output", str(out))
    pages = pdf_pages_text(out.read_bytes())
    assert all("DRAFT" in text for text in pages)
    assert "Georgia, California, Texas" in " ".join(pages)


def test_issued_case_writes_the_stored_bytes(tmp_path):
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    out = tmp_path / "issued.pdf"
    call_command("render_letter", determination.case.case_number, "--output", str(out))
    assert out.read_bytes() == letter.pdf.read()


def test_unknown_undecided_and_unwritable_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="No case numbered 'CM99-0000001'"):
        call_command("render_letter", "CM99-0000001", "--output", str(tmp_path / "x.pdf"))
    bare = make_seed_like_case()
    with pytest.raises(CommandError, match="has no determination"):
        call_command("render_letter", bare.case_number, "--output", str(tmp_path / "x.pdf"))
    # Undecided items exist only before QA (an approved determination's items are read-only).
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    ItemDecision.objects.filter(determination=determination).update(decision="")
    with pytest.raises(CommandError, match="not decided yet"):
        call_command("render_letter", determination.case.case_number, "--output", str(tmp_path / "x.pdf"))
    ItemDecision.objects.filter(determination=determination).update(decision="upheld")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command(
            "render_letter", determination.case.case_number, "--output", str(tmp_path / "no" / "x.pdf")
        )
    assert not (tmp_path / "x.pdf").exists()
