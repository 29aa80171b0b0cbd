"""`end_assignments`: the one code that ends assignments, keeping the open-case counter true.

Bad inputs tried: assignments of another case, a case with nothing active.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from cases.models import CaseStatus
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from reviewers.services.assignment import end_assignments, refresh_open_cases
from tests.factories import CaseFactory, ReviewerFactory

pytestmark = pytest.mark.django_db


def _held(case, reviewer, status=AssignmentStatus.ACCEPTED) -> Assignment:
    assignment = Assignment.objects.create(case=case, reviewer=reviewer, status=status)
    refresh_open_cases(reviewer_ids=[reviewer.pk])
    return assignment


def _open_cases(reviewer) -> int:
    return Reviewer.objects.get(pk=reviewer.pk).open_cases


def test_ends_the_active_assignment_and_recounts_the_reviewer():
    reviewer = ReviewerFactory()
    case, other = CaseFactory(status=CaseStatus.IN_REVIEW), CaseFactory(status=CaseStatus.IN_REVIEW)
    assignment, kept = _held(case, reviewer), _held(other, reviewer)
    assert _open_cases(reviewer) == 2
    with transaction.atomic():
        ended = end_assignments(case=case, decline_reason="Withdrawn")
    assert [a.pk for a in ended] == [assignment.pk]
    assignment.refresh_from_db()
    assert (assignment.active, assignment.status, assignment.decline_reason) == (
        False,
        AssignmentStatus.ENDED,
        "Withdrawn",
    )
    assert Assignment.objects.get(pk=kept.pk).active is True
    assert _open_cases(reviewer) == 1


def test_status_none_keeps_the_record_of_who_reviewed():
    reviewer = ReviewerFactory()
    case = CaseFactory(status=CaseStatus.DETERMINATION_ISSUED)
    assignment = _held(case, reviewer)
    end_assignments(case=case, status=None)
    assignment.refresh_from_db()
    assert (assignment.active, assignment.status) == (False, AssignmentStatus.ACCEPTED)
    assert _open_cases(reviewer) == 0


def test_refuses_assignments_of_another_case():
    reviewer = ReviewerFactory()
    case, other = CaseFactory(), CaseFactory()
    foreign = _held(other, reviewer)
    with pytest.raises(ValueError, match="Only assignments of case"):
        end_assignments(case=case, assignments=[foreign])
    assert Assignment.objects.get(pk=foreign.pk).active is True
    assert _open_cases(reviewer) == 1


def test_nothing_active_ends_nothing(django_assert_max_num_queries):
    case = CaseFactory()
    with django_assert_max_num_queries(1):
        assert end_assignments(case=case) == []
