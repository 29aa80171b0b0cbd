"""The letter's Date Assigned, and the export's, for imported past cases and live ones.

Bad inputs tried: an imported history whose `assigned` entry names no reviewer (no Assignment
row at all), one that names a reviewer (the row is written on the import day, which must not
show), a case assigned twice (the reviewer who decided is the one whose date shows), a case
never assigned (blank, and no `date_assigned` in the export).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from determinations.letters import build_letter_context
from determinations.models import Determination
from exchange import export
from exchange.services.intake import import_case
from reviewers.models import Assignment
from tests.factories import make_seed_reviewer

SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())
pytestmark = pytest.mark.django_db

TO_READY = [
    {"status": "eligibility_review", "on": "2015-03-02"},
    {"status": "awaiting_records", "on": "2015-03-04", "notice_method": "mail"},
    {"status": "ready_for_assignment", "on": "2015-03-12"},
]
DECIDED = [
    {"status": "in_review", "on": "2015-03-13"},
    {"status": "qa_review", "on": "2015-03-20"},
    {"status": "determination_issued", "on": "2015-03-23"},
]


def decided_payload(history: list[dict]) -> dict:
    payload = copy.deepcopy(SEED)
    payload["history"] = history
    payload["determination"] = {**copy.deepcopy(SEED["determination"]), "issued_on": "2015-03-23"}
    return payload


def header(case) -> dict[str, str]:
    determination = Determination.objects.get(case=case)
    return dict(build_letter_context(determination=determination)["header"])


@pytest.mark.parametrize("with_reviewer", [False, True], ids=["no-reviewer-number", "with-reviewer-number"])
def test_imported_past_case_shows_the_date_of_its_assigned_entry(with_reviewer):
    entry = {"status": "assigned", "on": "2015-03-13"}
    if with_reviewer:
        entry["reviewer_number"] = make_seed_reviewer().reviewer_number
    case = import_case(payload=decided_payload([*TO_READY, entry, *DECIDED]))
    assert header(case)["Date Assigned"] == "03/13/2015"
    assert export.export_case(case=case)["computed"]["date_assigned"] == "2015-03-13"
    if with_reviewer:
        # The imported assignment is dated by its history entry, not by the import.
        assignment = Assignment.objects.get(case=case)
        assert assignment.assigned_at.date().isoformat() == "2015-03-13"


def test_the_deciding_reviewers_assignment_date_shows_when_assigned_twice():
    first, second = make_seed_reviewer(), make_seed_reviewer()
    history = [
        *TO_READY,
        {"status": "assigned", "on": "2015-03-12", "reviewer_number": first.reviewer_number},
        {"status": "in_review", "on": "2015-03-12"},
        # Staff replaced the first reviewer, who had accepted.
        {"status": "assigned", "on": "2015-03-16", "reviewer_number": second.reviewer_number},
        {"status": "in_review", "on": "2015-03-17"},
        *DECIDED[1:],
    ]
    case = import_case(payload=decided_payload(history))
    assert Determination.objects.get(case=case).reviewer == second
    assert header(case)["Date Assigned"] == "03/16/2015"
    statuses = dict(Assignment.objects.filter(case=case).values_list("reviewer_id", "status"))
    assert statuses == {first.pk: "ended", second.pk: "accepted"}
    exported = export.export_case(case=case)
    assert exported["computed"]["date_assigned"] == "2015-03-16"
    assert exported["history"] == history


def test_a_past_case_never_assigned_has_no_date_assigned():
    case = import_case(payload=copy.deepcopy(SEED))
    assert header(case)["Date Assigned"] == ""
    assert "date_assigned" not in export.export_case(case=case)["computed"]
