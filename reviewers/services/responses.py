"""A reviewer's answer to an offered assignment: accept (attesting no conflict) or decline."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from cases.models import CaseStatus
from cases.services.workflow import lock_case, transition_case
from core import clock
from reviewers.errors import ReviewerError
from reviewers.models import Assignment, AssignmentStatus
from reviewers.services.assignment import end_assignments

DECLINE_REASON_MAX = 2000


def _lock_offered_assignment(*, assignment_id: int, by: User) -> Assignment:
    """Lock the assignment then its case (always in this order) and check who may answer."""
    try:
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("reviewer")
            .get(pk=assignment_id)
        )
    except Assignment.DoesNotExist:
        raise ReviewerError("This assignment does not exist.") from None
    if by is None or not by.is_authenticated or assignment.reviewer.user_id != by.pk:
        raise ReviewerError("Only the reviewer the case was offered to can answer this assignment.")
    if not assignment.active or assignment.status != AssignmentStatus.OFFERED:
        raise ReviewerError(
            f"This assignment is no longer open: it is {assignment.get_status_display().lower()}."
        )
    assignment.case = lock_case(case_id=assignment.case_id)
    if assignment.case.status != CaseStatus.ASSIGNED:
        raise ReviewerError(
            f"Case {assignment.case.case_number} is {assignment.case.get_status_display().lower()}; "
            "it can no longer be accepted or declined."
        )
    return assignment


def accept_assignment(*, assignment_id: int, by: User, attest_no_conflict: bool) -> Assignment:
    """The reviewer accepts the case and attests having no conflict of interest with its parties."""
    with transaction.atomic():
        assignment = _lock_offered_assignment(assignment_id=assignment_id, by=by)
        if not attest_no_conflict:
            raise ReviewerError(
                "To accept, attest that you have no conflict of interest with any party to this case.",
                field="attest_no_conflict",
            )
        assignment.status = AssignmentStatus.ACCEPTED
        assignment.responded_at = clock.now()
        assignment.save(update_fields=["status", "responded_at"])
        transition_case(
            case_id=assignment.case_id,
            to=CaseStatus.IN_REVIEW,
            by=by,
            reason="Reviewer accepted and attested no conflict",
            expected_from=CaseStatus.ASSIGNED,
            data={"assignment_id": assignment.pk, "reviewer_number": assignment.reviewer.reviewer_number},
        )
    return assignment


def decline_assignment(*, assignment_id: int, by: User, reason: str) -> Assignment:
    """The reviewer declines (a conflict, unavailable, ...); the case goes back to be assigned.

    The declined assignment stays on record, inactive, so the picker never offers the case
    to this reviewer again; `transition_case` enqueues the new assignment on commit.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReviewerError("Say why you decline (a conflict of interest, unavailable, ...).", field="reason")
    if len(reason) > DECLINE_REASON_MAX:
        raise ReviewerError(f"Keep the reason under {DECLINE_REASON_MAX} characters.", field="reason")
    with transaction.atomic():
        assignment = _lock_offered_assignment(assignment_id=assignment_id, by=by)
        end_assignments(
            case=assignment.case,
            assignments=[assignment],
            status=AssignmentStatus.DECLINED,
            responded_at=clock.now(),
            decline_reason=reason,
        )
        transition_case(
            case_id=assignment.case_id,
            to=CaseStatus.READY_FOR_ASSIGNMENT,
            by=by,
            reason=f"Reviewer {assignment.reviewer.reviewer_number} declined: {reason}",
            expected_from=CaseStatus.ASSIGNED,
            data={"assignment_id": assignment.pk, "reviewer_number": assignment.reviewer.reviewer_number},
        )
    return assignment
