"""Migration of in-flight cases with their clock (`history` in imr-case/1).

Bad inputs tried: a history that is not a path of the workflow (received straight to
assigned; ineligible after awaiting_records), dates going backwards (against the previous
entry and against the date received), a leading `received` on another day than the
application, an awaiting_records entry without its notice method, a notice method and a
reviewer number on entries that cannot carry them, a determination on a case that is not
decided, a decided history without its determination.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from cases.errors import IntakeError
from cases.models import Case, CaseEvent, CaseStatus
from determinations.models import Determination
from exchange import export
from exchange.services.intake import import_case
from exchange.validation import check_case_payload
from reviewers.models import Assignment
from tests.factories import make_seed_reviewer

SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())
TODAY = date(2024, 6, 3)

TO_RECORDS = [
    {"status": "eligibility_review", "on": "2015-03-02"},
    {"status": "awaiting_records", "on": "2015-03-04", "notice_method": "mail"},
]
TO_READY = [*TO_RECORDS, {"status": "ready_for_assignment", "on": "2015-03-12"}]


def in_flight(history, **top) -> dict:
    payload = copy.deepcopy(SEED)
    del payload["determination"]
    payload["history"] = copy.deepcopy(history)
    payload.update(top)
    return payload


def errors_of(payload) -> list[tuple[str, str]]:
    return check_case_payload(payload=payload, today=TODAY)[1]


@pytest.mark.django_db
def test_history_sets_the_dates_events_and_final_status():
    case = import_case(payload=in_flight([{"status": "received", "on": "2015-02-27"}, *TO_READY]))
    assert case.status == CaseStatus.READY_FOR_ASSIGNMENT
    assert case.eligibility_review_on == date(2015, 3, 2)
    assert (case.eligible_on, case.notice_sent_on, case.notice_method) == (
        date(2015, 3, 4),
        date(2015, 3, 4),
        "mail",
    )
    assert case.records_complete_on == date(2015, 3, 12)
    events = list(case.events.filter(kind=CaseEvent.Kind.TRANSITION).order_by("effective_on", "id"))
    assert [(e.from_status, e.to_status, e.effective_on) for e in events] == [
        ("received", "eligibility_review", date(2015, 3, 2)),
        ("eligibility_review", "awaiting_records", date(2015, 3, 4)),
        ("awaiting_records", "ready_for_assignment", date(2015, 3, 12)),
    ]
    assert {e.reason for e in events} == {"Imported history"}
    # Stored as loaded: a fresh read gives the same state.
    assert Case.objects.get(pk=case.pk).status == CaseStatus.READY_FOR_ASSIGNMENT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "priority", "records_due"),
    [
        # 2015-03-04 + 15 = 2015-03-19 (Thursday)
        ("mail", "standard", date(2015, 3, 19)),
        # + 12 = 2015-03-16 (Monday)
        ("electronic", "standard", date(2015, 3, 16)),
        # expedited: 24 hours, the next day
        ("mail", "expedited", date(2015, 3, 5)),
    ],
)
def test_records_due_from_the_notice(method, priority, records_due):
    history = copy.deepcopy(TO_RECORDS)
    history[1]["notice_method"] = method
    case = import_case(payload=in_flight(history, priority=priority))
    assert case.records_due == records_due
    assert case.next_deadline == records_due
    assert case.determination_due is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("priority", "formulary", "determination_due"),
    [
        # records complete 2015-03-12 (Thursday) + 30 = 2015-04-11 (Saturday) -> Monday 04-13
        ("standard", False, date(2015, 4, 13)),
        # + 3 = 2015-03-15 (Sunday) -> Monday 03-16
        ("expedited", False, date(2015, 3, 16)),
        # 5 working days after Thursday 03-12: Fri, Mon, Tue, Wed, Thu -> 2015-03-19
        ("standard", True, date(2015, 3, 19)),
    ],
)
def test_determination_due_from_complete_records(priority, formulary, determination_due):
    payload = in_flight(TO_READY, priority=priority)
    if formulary:
        payload["disputed_items"] = [
            {
                "description": "Tramadol 50mg #60",
                "category": "pharmaceuticals",
                "formulary_drug": True,
                "ur_decision": "denied",
            }
        ]
    case = import_case(payload=payload)
    assert case.determination_due == determination_due


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "days_late", "penalty"),
    [
        (date(2015, 3, 19), 0, 0),  # the due date itself
        (date(2015, 3, 22), 3, 1500),
        (date(2015, 3, 29), 10, 5000),
        (date(2015, 5, 1), 43, 5000),  # capped at $5,000
    ],
)
def test_records_days_late_and_penalty_while_missing(frozen_today, today, days_late, penalty):
    case = import_case(payload=in_flight(TO_RECORDS))
    frozen_today(today)
    computed = export.export_case(case=case)["computed"]
    assert computed["deadlines"]["records_due"] == "2015-03-19"
    assert (computed["records_days_late"], computed["records_late_penalty_usd"]) == (days_late, penalty)


@pytest.mark.django_db
def test_records_days_late_stop_when_complete(frozen_today):
    history = [*TO_RECORDS, {"status": "ready_for_assignment", "on": "2015-03-21"}]
    case = import_case(payload=in_flight(history))
    frozen_today(date(2024, 1, 1))
    computed = export.export_case(case=case)["computed"]
    assert (computed["records_days_late"], computed["records_late_penalty_usd"]) == (2, 1000)
    assert computed["deadlines"]["determination_due"] == "2015-04-20"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("last", "assignment_status", "active"),
    [("assigned", "offered", True), ("in_review", "accepted", True), ("qa_review", "accepted", True)],
)
def test_an_assigned_entry_with_a_reviewer_creates_the_assignment(last, assignment_status, active):
    reviewer = make_seed_reviewer()
    history = [
        *TO_READY,
        {"status": "assigned", "on": "2015-03-13", "reviewer_number": reviewer.reviewer_number},
    ]
    if last in ("in_review", "qa_review"):
        history.append({"status": "in_review", "on": "2015-03-14"})
    if last == "qa_review":
        history.append({"status": "qa_review", "on": "2015-03-20"})
    case = import_case(payload=in_flight(history))
    assert case.status == last
    assignment = Assignment.objects.get(case=case)
    assert (assignment.reviewer, assignment.status, assignment.active) == (
        reviewer,
        assignment_status,
        active,
    )
    assert export.export_case(case=case)["computed"]["reviewer_number"] == reviewer.reviewer_number


@pytest.mark.django_db
def test_a_declined_assignment_and_a_reassignment():
    first, second = make_seed_reviewer(), make_seed_reviewer()
    history = [
        *TO_READY,
        {"status": "assigned", "on": "2015-03-13", "reviewer_number": first.reviewer_number},
        {"status": "ready_for_assignment", "on": "2015-03-14"},
        {"status": "assigned", "on": "2015-03-14", "reviewer_number": second.reviewer_number},
        {"status": "in_review", "on": "2015-03-16"},
    ]
    case = import_case(payload=in_flight(history))
    assignments = {a.reviewer_id: a for a in Assignment.objects.filter(case=case)}
    assert (assignments[first.pk].status, assignments[first.pk].active) == ("declined", False)
    assert (assignments[second.pk].status, assignments[second.pk].active) == ("accepted", True)
    # The clock counts from the records, not from the decline.
    assert case.records_complete_on == date(2015, 3, 12)
    exported = export.export_case(case=case)
    assert exported["history"] == history
    assert exported["computed"]["reviewer_number"] == second.reviewer_number


@pytest.mark.django_db
def test_a_decided_history_with_its_determination():
    reviewer = make_seed_reviewer()
    history = [
        *TO_READY,
        {"status": "assigned", "on": "2015-03-13", "reviewer_number": reviewer.reviewer_number},
        {"status": "in_review", "on": "2015-03-13"},
        {"status": "qa_review", "on": "2015-03-20"},
        {"status": "determination_issued", "on": "2015-03-23"},
        {"status": "closed", "on": "2015-05-01"},
    ]
    payload = in_flight(history)
    payload["determination"] = {**copy.deepcopy(SEED["determination"]), "issued_on": "2015-03-23"}
    payload["determination"]["mailed_on"] = "2015-03-24"
    case = import_case(payload=payload)
    assert case.status == CaseStatus.CLOSED
    determination = Determination.objects.get(case=case)
    assert (determination.status, determination.reviewer) == ("issued", reviewer)
    # 2015-03-24 + 35 = 2015-04-28
    assert case.appeal_due == date(2015, 4, 28)
    assignment = Assignment.objects.get(case=case)
    assert (assignment.status, assignment.active) == ("accepted", False)
    exported = export.export_case(case=case)
    assert exported["history"] == history
    assert exported["determination"] == payload["determination"]


def test_history_must_be_a_path_of_the_workflow():
    assert errors_of(in_flight([{"status": "assigned", "on": "2015-03-02"}])) == [
        (
            "history[0].status",
            "a case in received cannot move to assigned (allowed next: eligibility_review, "
            "terminated, withdrawn)",
        )
    ]
    history = [*TO_RECORDS, {"status": "ineligible", "on": "2015-03-05"}]
    assert [p for p, _ in errors_of(in_flight(history))] == ["history[2].status"]
    assert [p for p, _ in errors_of(in_flight([{"status": "reopened", "on": "2015-03-05"}]))] == [
        "history[0].status"
    ]


def test_history_dates_never_go_backwards():
    history = copy.deepcopy(TO_READY)
    history[2]["on"] = "2015-03-03"
    assert errors_of(in_flight(history)) == [
        ("history[2].on", "2015-03-03 is before 2015-03-04 (history[1]): dates never go backwards")
    ]
    history = copy.deepcopy(TO_RECORDS)
    history[0]["on"] = "2015-02-26"
    assert errors_of(in_flight(history)) == [
        (
            "history[0].on",
            "2015-02-26 is before 2015-02-27 (application.received_on): dates never go backwards",
        )
    ]
    leading = [{"status": "received", "on": "2015-02-28"}, *TO_RECORDS]
    assert [p for p, _ in errors_of(in_flight(leading))] == ["history[0].on"]


def test_entries_carry_only_their_own_details():
    history = copy.deepcopy(TO_RECORDS)
    del history[1]["notice_method"]
    history[0]["reviewer_number"] = "R01000"
    assert errors_of(in_flight(history)) == [
        ("history[0].reviewer_number", "only an entry into assigned carries a reviewer_number"),
        ("history[1].notice_method", "required"),
    ]
    history = copy.deepcopy(TO_READY)
    history[2]["notice_method"] = "mail"
    assert [p for p, _ in errors_of(in_flight(history))] == ["history[2].notice_method"]


def test_a_determination_belongs_to_a_decided_case():
    payload = in_flight(TO_READY)
    payload["determination"] = copy.deepcopy(SEED["determination"])
    assert [p for p, _ in errors_of(payload)] == ["determination"]
    decided = [
        *TO_READY,
        {"status": "assigned", "on": "2015-03-13"},
        {"status": "in_review", "on": "2015-03-13"},
        {"status": "qa_review", "on": "2015-03-20"},
        {"status": "determination_issued", "on": "2015-03-23"},
    ]
    assert errors_of(in_flight(decided)) == [
        ("determination", "required: the history ends in determination_issued, a decided case")
    ]


@pytest.mark.django_db
def test_a_bad_history_writes_nothing():
    history = copy.deepcopy(TO_READY)
    history[2]["on"] = "2015-03-01"
    with pytest.raises(IntakeError):
        import_case(payload=in_flight(history))
    assert (Case.objects.count(), CaseEvent.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_export_writes_no_history_for_a_received_case_or_a_past_case():
    received = import_case(payload=in_flight([], case_number="CM15-0000100"))
    assert "history" not in export.export_case(case=received)
    past = import_case(payload=copy.deepcopy(SEED))
    assert "history" not in export.export_case(case=past)
