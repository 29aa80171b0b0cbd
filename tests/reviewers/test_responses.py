"""Accepting and declining an offered assignment.

Bad inputs tried: accepting without the attestation, answering someone else's assignment,
answering twice, declining with a blank or whitespace-only reason, an unknown assignment id,
answering after staff moved the case on.
"""

from __future__ import annotations

import pytest

from cases.models import CaseEvent, CaseStatus
from reviewers.errors import ReviewerError
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from reviewers.services.assignment import assign_case_automatically
from reviewers.services.responses import accept_assignment, decline_assignment
from tests.factories import UserFactory
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def offered(django_capture_on_commit_callbacks):
    reviewer = qualified_reviewer()
    case = ready_case()
    with django_capture_on_commit_callbacks(execute=True):
        assignment = assign_case_automatically(case_id=case.pk)
    assert assignment is not None and assignment.reviewer == reviewer
    return assignment


def test_accept_moves_case_into_review(offered):
    user = offered.reviewer.user
    result = accept_assignment(assignment_id=offered.pk, by=user, attest_no_conflict=True)
    offered.refresh_from_db()
    offered.case.refresh_from_db()
    assert result.status == offered.status == AssignmentStatus.ACCEPTED
    assert offered.active and offered.responded_at is not None
    assert offered.case.status == CaseStatus.IN_REVIEW
    event = CaseEvent.objects.filter(case=offered.case).order_by("-id").first()
    assert event.to_status == CaseStatus.IN_REVIEW and event.actor == user
    assert event.reason == "Reviewer accepted and attested no conflict"


def test_accept_requires_attestation(offered):
    with pytest.raises(ReviewerError, match="attest"):
        accept_assignment(assignment_id=offered.pk, by=offered.reviewer.user, attest_no_conflict=False)
    offered.refresh_from_db()
    assert offered.status == AssignmentStatus.OFFERED
    offered.case.refresh_from_db()
    assert offered.case.status == CaseStatus.ASSIGNED


def test_only_the_assigned_reviewer_may_answer(offered):
    stranger = UserFactory()
    with pytest.raises(ReviewerError, match="Only the reviewer"):
        accept_assignment(assignment_id=offered.pk, by=stranger, attest_no_conflict=True)
    with pytest.raises(ReviewerError, match="Only the reviewer"):
        decline_assignment(assignment_id=offered.pk, by=stranger, reason="unavailable")
    offered.refresh_from_db()
    assert offered.status == AssignmentStatus.OFFERED


def test_cannot_answer_twice(offered):
    user = offered.reviewer.user
    accept_assignment(assignment_id=offered.pk, by=user, attest_no_conflict=True)
    with pytest.raises(ReviewerError, match="no longer open"):
        accept_assignment(assignment_id=offered.pk, by=user, attest_no_conflict=True)
    with pytest.raises(ReviewerError, match="no longer open"):
        decline_assignment(assignment_id=offered.pk, by=user, reason="Conflict: I treated the employee")


def test_unknown_assignment():
    with pytest.raises(ReviewerError, match="does not exist"):
        accept_assignment(assignment_id=999999, by=UserFactory(), attest_no_conflict=True)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_decline_requires_reason(offered, reason):
    with pytest.raises(ReviewerError, match="Say why"):
        decline_assignment(assignment_id=offered.pk, by=offered.reviewer.user, reason=reason)
    offered.refresh_from_db()
    assert offered.active and offered.status == AssignmentStatus.OFFERED


def test_decline_reassigns_to_someone_else_never_back(offered, django_capture_on_commit_callbacks):
    first = offered.reviewer
    second = qualified_reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        decline_assignment(assignment_id=offered.pk, by=first.user, reason="Conflict: I treated the employee")
    offered.refresh_from_db()
    assert offered.status == AssignmentStatus.DECLINED and not offered.active
    assert offered.decline_reason == "Conflict: I treated the employee"
    # transition_case enqueued the task on commit; eager Celery ran it.
    current = Assignment.objects.active().get(case=offered.case)
    assert current.reviewer == second
    offered.case.refresh_from_db()
    assert offered.case.status == CaseStatus.ASSIGNED

    # The second declines too: only the first remains qualified, and they declined, so nobody.
    with django_capture_on_commit_callbacks(execute=True):
        decline_assignment(assignment_id=current.pk, by=second.user, reason="Unavailable: on leave")
    offered.case.refresh_from_db()
    assert offered.case.status == CaseStatus.READY_FOR_ASSIGNMENT
    assert offered.case.needs_manual_assignment
    assert "Had this case before" in offered.case.manual_assignment_reason
    assert not Assignment.objects.active().filter(case=offered.case).exists()


def test_answer_refused_when_case_moved_on(offered):
    from cases.services.workflow import transition_case

    # Moved back to the queue by someone else while the offer is still open: the case refuses.
    transition_case(case_id=offered.case_id, to=CaseStatus.READY_FOR_ASSIGNMENT, by=None, reason="moved")
    with pytest.raises(ReviewerError, match="no longer be accepted"):
        accept_assignment(assignment_id=offered.pk, by=offered.reviewer.user, attest_no_conflict=True)


def test_answer_refused_once_the_case_is_withdrawn(offered):
    """Entering withdrawn ends the assignment (the reviewers app's hook), whoever moved the case."""
    from cases.services.workflow import transition_case

    transition_case(case_id=offered.case_id, to=CaseStatus.WITHDRAWN, by=None, reason="withdrawn")
    offered.refresh_from_db()
    assert (offered.active, offered.status) == (False, AssignmentStatus.ENDED)
    assert Reviewer.objects.get(pk=offered.reviewer_id).open_cases == 0
    with pytest.raises(ReviewerError, match="no longer open: it is ended"):
        accept_assignment(assignment_id=offered.pk, by=offered.reviewer.user, attest_no_conflict=True)
