"""Automatic and manual assignment.

Bad inputs tried: nobody qualifies (the case is flagged with the reasons), a conflicted or
ineligible reviewer chosen by hand (refused with the reasons, nothing written), assigning a
case that is not ready, reassigning without a reason, reassigning to the same reviewer, a
user without the permission, running the picker twice on one case.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core import mail

from cases.models import CaseEvent, CaseStatus
from reviewers.errors import ReviewerError
from reviewers.jobs import ASSIGN_REVIEWER
from reviewers.models import Assignment, AssignmentStatus, Reviewer, ReviewerStatus
from reviewers.services.assignment import (
    MANUAL_ASSIGNMENT_EVENT,
    assign_case_automatically,
    assign_case_manually,
    reassign_case,
)
from tests.factories import UserFactory, make_seed_reviewer
from tests.outbox_support import run_job_now
from tests.reviewers.helpers import affiliate, qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    from imr_site import roles

    return UserFactory(role=roles.INTAKE_STAFF)


def test_seed_case_goes_to_the_only_matching_reviewer(django_capture_on_commit_callbacks):
    # Created first, so it has the lowest number and comes first in picking order.
    conflicted = qualified_reviewer()
    affiliate(conflicted, "Golden State Claims Services, Inc.")
    seed = make_seed_reviewer()
    qualified_reviewer(specialties=("Psychiatry",))  # wrong specialty for either item
    qualified_reviewer(weekly_practice_hours=20)  # too few hours
    case = ready_case()
    with django_capture_on_commit_callbacks(execute=True):
        job = run_job_now(ASSIGN_REVIEWER, case_id=case.pk)
    assert job.state == "done"
    assignment = Assignment.objects.get(case=case)
    assert assignment.reviewer == seed
    assert assignment.status == AssignmentStatus.OFFERED and assignment.active
    assert assignment.assigned_by is None
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    event = CaseEvent.objects.filter(case=case, to_status=CaseStatus.ASSIGNED).get()
    assert event.reason == f"Assigned automatically to reviewer {seed.reviewer_number}"
    assert seed.user.get_full_name() not in event.reason
    seed.refresh_from_db()
    assert seed.last_assigned_at is not None and seed.open_cases == 1
    # The conflicted reviewer was considered first (never assigned before, lower number) and excluded.
    by_number = {entry["reviewer_number"]: entry for entry in assignment.candidates}
    assert by_number[seed.reviewer_number]["chosen"] is True
    assert by_number[conflicted.reviewer_number]["excluded"] is True
    assert "Golden State Claims Services" in by_number[conflicted.reviewer_number]["reasons"][0]
    # One email, to the reviewer, with the case number and a link, without PHI.
    [message] = mail.outbox
    assert message.to == [seed.user.email]
    assert case.case_number in message.subject
    assert "/review/" in message.body
    assert "Maria" not in message.body and "Example" not in message.body


def test_notification_is_sent_once():
    from reviewers.services.notifications import notify_assigned_reviewer

    qualified_reviewer()
    assignment = assign_case_automatically(case_id=ready_case().pk)
    assert notify_assigned_reviewer(assignment_id=assignment.pk) is True
    assert notify_assigned_reviewer(assignment_id=assignment.pk) is False
    assert len(mail.outbox) == 1


def test_running_twice_assigns_once():
    qualified_reviewer()
    qualified_reviewer()
    case = ready_case()
    first = assign_case_automatically(case_id=case.pk)
    assert first is not None
    assert assign_case_automatically(case_id=case.pk) is None
    assert Assignment.objects.filter(case=case).count() == 1


def test_not_ready_case_is_left_alone():
    qualified_reviewer()
    case = ready_case(status=CaseStatus.AWAITING_RECORDS)
    assert assign_case_automatically(case_id=case.pk) is None
    assert not Assignment.objects.exists()
    assert assign_case_automatically(case_id=987654) is None


def test_load_is_balanced_over_many_cases():
    reviewers = [qualified_reviewer(max_open_cases=4) for _ in range(3)]
    cases = [ready_case() for _ in range(9)]
    for case in cases:
        assert assign_case_automatically(case_id=case.pk) is not None
    load = Counter(Assignment.objects.active().values_list("reviewer_id", flat=True))
    assert sorted(load.values()) == [3, 3, 3]
    # Ties on load go to whoever waited longest, so the first three cases went to three people.
    first_three = [Assignment.objects.get(case=c).reviewer_id for c in cases[:3]]
    assert sorted(first_three) == sorted(r.pk for r in reviewers)
    for reviewer in reviewers:
        reviewer.refresh_from_db()
        assert reviewer.open_cases == 3


def test_capacity_is_respected_then_flagged():
    reviewer = qualified_reviewer(max_open_cases=2)
    cases = [ready_case() for _ in range(3)]
    assert assign_case_automatically(case_id=cases[0].pk).reviewer == reviewer
    assert assign_case_automatically(case_id=cases[1].pk).reviewer == reviewer
    assert assign_case_automatically(case_id=cases[2].pk) is None
    cases[2].refresh_from_db()
    assert cases[2].needs_manual_assignment
    assert "At capacity: 1" in cases[2].manual_assignment_reason


def test_nobody_qualifies_flags_the_case_with_reasons():
    qualified_reviewer(status=ReviewerStatus.SUSPENDED)
    qualified_reviewer(specialties=("Psychiatry",))
    young = qualified_reviewer(in_practice_since=date.today() - timedelta(days=365 * 3))
    case = ready_case()
    assert assign_case_automatically(case_id=case.pk) is None
    case.refresh_from_db()
    assert case.status == CaseStatus.READY_FOR_ASSIGNMENT
    assert case.needs_manual_assignment
    reason = case.manual_assignment_reason
    assert reason.startswith("No reviewer qualifies (3 considered)")
    assert "Suspended: 1" in reason
    assert "No board certification acceptable for Physical medicine: 1" in reason
    assert "Not more than 5 years in practice: 1" in reason
    assert young.reviewer_number not in reason
    events = CaseEvent.objects.filter(case=case, kind=MANUAL_ASSIGNMENT_EVENT)
    assert events.count() == 1 and events.get().reason == reason
    # Running again with nothing changed does not repeat the event.
    assign_case_automatically(case_id=case.pk)
    assert events.count() == 1
    # Once someone qualifies, the picker clears the flag.
    qualified_reviewer()
    assert assign_case_automatically(case_id=case.pk) is not None
    case.refresh_from_db()
    assert not case.needs_manual_assignment and case.manual_assignment_reason == ""


def test_no_reviewers_at_all():
    case = ready_case()
    assert assign_case_automatically(case_id=case.pk) is None
    case.refresh_from_db()
    assert case.manual_assignment_reason == "No reviewers are on record."


def test_manual_assign_refuses_conflicted_reviewer(staff):
    reviewer = qualified_reviewer()
    affiliate(reviewer, "Central Valley Packing Company")
    case = ready_case()
    with pytest.raises(ReviewerError) as refused:
        assign_case_manually(case_id=case.pk, reviewer_id=reviewer.pk, by=staff)
    assert "employer Central Valley Packing Co." in refused.value.message
    assert refused.value.reasons
    assert not Assignment.objects.exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.READY_FOR_ASSIGNMENT


def test_manual_assign_refuses_ineligible_reviewer(staff):
    reviewer = qualified_reviewer(weekly_practice_hours=10)
    case = ready_case()
    with pytest.raises(ReviewerError, match="at least 24"):
        assign_case_manually(case_id=case.pk, reviewer_id=reviewer.pk, by=staff)


def test_manual_assign(staff):
    qualified_reviewer()  # would be picked automatically; staff choose another
    chosen = qualified_reviewer()
    case = ready_case()
    assignment = assign_case_manually(case_id=case.pk, reviewer_id=chosen.pk, by=staff)
    assert assignment.reviewer == chosen and assignment.assigned_by == staff
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    with pytest.raises(ReviewerError, match="Reassign"):
        assign_case_manually(case_id=case.pk, reviewer_id=chosen.pk, by=staff)


def test_manual_assign_needs_permission():
    reviewer = qualified_reviewer()
    with pytest.raises(ReviewerError, match="permission"):
        assign_case_manually(case_id=ready_case().pk, reviewer_id=reviewer.pk, by=UserFactory())


def test_reassign(staff):
    first = qualified_reviewer()
    second = qualified_reviewer()
    case = ready_case()
    assert assign_case_automatically(case_id=case.pk).reviewer == first
    with pytest.raises(ReviewerError, match="reason"):
        reassign_case(case_id=case.pk, reviewer_id=second.pk, by=staff, reason="  ")
    with pytest.raises(ReviewerError, match="already holds"):
        reassign_case(case_id=case.pk, reviewer_id=first.pk, by=staff, reason="swap")
    new = reassign_case(case_id=case.pk, reviewer_id=second.pk, by=staff, reason="First is on leave")
    assert new.reviewer == second
    old = Assignment.objects.get(case=case, reviewer=first)
    assert old.status == AssignmentStatus.ENDED and not old.active
    first.refresh_from_db()
    assert first.open_cases == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    # The first reviewer may not be given the case back.
    with pytest.raises(ReviewerError, match="Had this case before"):
        reassign_case(case_id=case.pk, reviewer_id=first.pk, by=staff, reason="back again")


def test_remand_goes_to_a_different_reviewer():
    """A remanded case still shows its earlier reviewer's accepted assignment: it is ended."""
    first = qualified_reviewer()
    second = qualified_reviewer()
    case = ready_case()
    assignment = assign_case_automatically(case_id=case.pk)
    assert assignment.reviewer == first
    # Simulate the review having gone through and a WCAB remand bringing the case back.
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.ACCEPTED)
    from cases.models import Case

    Case.objects.filter(pk=case.pk).update(status=CaseStatus.READY_FOR_ASSIGNMENT)
    again = assign_case_automatically(case_id=case.pk)
    assert again.reviewer == second
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ENDED and not assignment.active


def test_queries_do_not_grow_with_reviewers(django_assert_max_num_queries):
    """The picker's query count is the same with 3 and with 30 reviewers."""
    for _ in range(3):
        qualified_reviewer()
    case = ready_case()
    with django_assert_max_num_queries(20) as few:
        assign_case_automatically(case_id=case.pk)
    for _ in range(27):
        qualified_reviewer()
    case = ready_case()
    with django_assert_max_num_queries(20) as many:
        assign_case_automatically(case_id=case.pk)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Reviewer.objects.count() == 30
