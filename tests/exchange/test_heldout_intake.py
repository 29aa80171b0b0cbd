"""Held-out intake cases (tests/data/heldout/), run through the real `import_cases` and
`export_cases` commands, as the issue's checker runs them.

- duplicate-filing.jsonl: the employee files, then the attorney files on the same UR
  decision (the UR organization typed in other capitals and with spaces) for the same
  treatment: the second application is a duplicate filing; the first stays eligible.
- later-ur-decision.jsonl: a decided IMR (physical therapy upheld, trigger point injections
  overturned), then an application a year later on a new UR decision for the same physical
  therapy (described in other capitals): a new dispute, eligible; its case page lists the
  earlier IMR with its outcome.
- impossible-dates.jsonl (bad inputs): an injury after the UR decision, a date of birth
  after the injury, a year-1 injury date: each refused with its field path, nothing written.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cases.models import Case, CaseEvent
from imr_site import roles
from tests.factories import UserFactory

HELDOUT = Path(__file__).resolve().parent.parent / "data" / "heldout"

pytestmark = pytest.mark.django_db


def import_files(*names: str) -> tuple[str, list[str], int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cases", *(str(HELDOUT / name) for name in names), stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
    return out.getvalue().strip(), err.getvalue().splitlines(), code


def export_all(tmp_path: Path) -> dict[str, dict]:
    target = tmp_path / "export.jsonl"
    call_command("export_cases", "--output", str(target), stderr=io.StringIO())
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    return {case["case_number"]: case for case in exported}


def test_a_duplicate_filing_on_the_same_ur_decision_is_ineligible(tmp_path):
    out, err, code = import_files("duplicate-filing.jsonl")
    assert (out, err, code) == ("imported: 2, refused: 0", [], 0)

    exported = export_all(tmp_path)
    assert exported["CM25-0000101"]["computed"]["eligibility"] == {"eligible": True, "reasons": []}
    eligibility = exported["CM25-0000102"]["computed"]["eligibility"]
    assert eligibility["eligible"] is False
    assert [reason["code"] for reason in eligibility["reasons"]] == ["duplicate_imr"]
    message = eligibility["reasons"][0]["message"]
    assert "CM25-0000101" in message and "2025-02-10" in message
    # The attorney's filing is the one on file with an attorney; it is the duplicate.
    assert exported["CM25-0000102"]["attorney"]["name"] == "Lee Counsel"


def test_a_later_ur_decision_on_the_same_treatment_is_eligible_and_the_page_shows_the_earlier_imr(
    tmp_path, client
):
    out, err, code = import_files("later-ur-decision.jsonl")
    assert (out, err, code) == ("imported: 2, refused: 0", [], 0)

    exported = export_all(tmp_path)
    assert exported["CM24-0000201"]["computed"]["status"] == "determination_issued"
    assert exported["CM25-0000202"]["computed"]["eligibility"] == {"eligible": True, "reasons": []}

    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    earlier = Case.objects.get(case_number="CM24-0000201")
    later = Case.objects.get(case_number="CM25-0000202")
    response = client.get(reverse("cases:case", args=[later.pk]))
    assert response.status_code == 200
    (imr,) = response.context["earlier_imrs"]
    assert (imr.case_number, imr.same_ur_decision) == ("CM24-0000201", False)
    assert [(item.description, item.outcome) for item in imr.items] == [
        ("Physical Therapy 2x8 for the Lumbar Spine", "Upheld")
    ]
    section = response.content.decode().split('id="earlier-imrs"')[1].split("</section>")[0]
    assert f'href="{reverse("cases:case", args=[earlier.pk])}">CM24-0000201</a>' in section
    assert "04/01/2024" in section  # received
    assert "03/11/2024" in section  # UR decision
    assert "Determination issued" in section
    assert "Physical Therapy 2x8 for the Lumbar Spine: <strong>Upheld</strong>" in section
    assert "TPI" not in section  # not a treatment of the later case
    # Information, not a reason.
    assert "duplicate" not in response.content.decode().split('id="eligibility-h"')[1].split("</section>")[0]

    # The earlier case lists nothing: the later IMR is not an earlier one.
    response = client.get(reverse("cases:case", args=[earlier.pk]))
    assert response.context["earlier_imrs"] == []
    assert 'id="earlier-imrs"' not in response.content.decode()


def test_impossible_dates_are_refused_with_the_field_path(tmp_path):
    out, err, code = import_files("impossible-dates.jsonl")
    assert (out, code) == ("imported: 0, refused: 3", 1)
    assert err == [
        "impossible-dates.jsonl line 1 (CM25-0000301): "
        "injury.date: 2025-02-20 is after the UR decision date (2025-02-10)",
        "impossible-dates.jsonl line 2 (CM25-0000302): "
        "employee.date_of_birth: 2010-01-01 is after the date of injury (2007-05-03)",
        "impossible-dates.jsonl line 3 (CM25-0000303): "
        "injury.date: 0001-01-01 is before 1900-01-01: not a possible date",
    ]
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    assert export_all(tmp_path) == {}


def test_all_held_out_files_in_one_run(tmp_path):
    """One command over the three files: the good cases are imported, the bad ones refused."""
    out, err, code = import_files(
        "duplicate-filing.jsonl", "later-ur-decision.jsonl", "impossible-dates.jsonl"
    )
    assert (out, code) == ("imported: 4, refused: 3", 1)
    assert len(err) == 3
    exported = export_all(tmp_path)
    eligible = {number: case["computed"]["eligibility"]["eligible"] for number, case in exported.items()}
    assert eligible == {
        "CM24-0000201": True,
        "CM25-0000101": True,
        "CM25-0000102": False,
        "CM25-0000202": True,
    }
