"""How an assignment stands or ended, in the words staff read (the candidates page, the screen)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import Case, CaseStatus
from reviewers.models import Assignment, AssignmentStatus

REASSIGNED_PREFIX = "Reassigned by staff: "
REPLACED_PREFIX = "Replaced by staff: "
_CASE_ENDED = {CaseStatus.WITHDRAWN: "withdrawn", CaseStatus.TERMINATED: "terminated"}


@dataclass(frozen=True)
class AssignmentOutcome:
    """How an assignment stands or ended, in the words staff read."""

    key: str  # offered, accepted, declined, decided, reassigned, replaced, ended
    label: str
    detail: str = ""


def assignment_outcome(*, assignment: Assignment, case: Case) -> AssignmentOutcome:
    """Offered, accepted, declined, decided the case, reassigned or replaced by staff, or ended.

    An accepted assignment that is no longer active was released when the letter was issued
    (the review was completed), unless the case was then withdrawn or terminated.
    """
    status = assignment.status
    note = assignment.decline_reason
    if assignment.active:
        if status == AssignmentStatus.ACCEPTED:
            return AssignmentOutcome("accepted", "Accepted: reviewing the case")
        return AssignmentOutcome("offered", "Offered: waiting for the reviewer's answer")
    if status == AssignmentStatus.DECLINED:
        return AssignmentOutcome("declined", "Declined it", note)
    if status == AssignmentStatus.ACCEPTED:
        ended = _CASE_ENDED.get(case.status)
        if ended is not None and not is_decided(case=case):
            return AssignmentOutcome("ended", f"Ended when the case was {ended}")
        return AssignmentOutcome("decided", "Decided it")
    if note.startswith(REPLACED_PREFIX):
        return AssignmentOutcome("replaced", "Was replaced by staff", note.removeprefix(REPLACED_PREFIX))
    if note.startswith(REASSIGNED_PREFIX):
        return AssignmentOutcome(
            "reassigned", "Was reassigned by staff", note.removeprefix(REASSIGNED_PREFIX)
        )
    ended = _CASE_ENDED.get(case.status)
    return AssignmentOutcome("ended", f"Ended when the case was {ended}" if ended else "Ended", note)


def is_decided(*, case: Case) -> bool:
    # A decided case is never withdrawn or terminated afterwards (those steps need an open case).
    return case.status in (CaseStatus.DETERMINATION_ISSUED, CaseStatus.CLOSED)
