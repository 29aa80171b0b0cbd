"""Staff replace a reviewer who accepted a case (in_review → assigned), from the candidates page.

Bad inputs tried: a blank reason and a reason of only spaces (form error, nothing changed), a
replacement on a case that is not in review (ready, offered but not accepted: a clear error,
nothing changed), choosing the replaced reviewer again (form error), nobody else qualifying
(refused with the reasons, the reviewer keeps the case), a QA user posting (403).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseEvent, CaseStatus
from determinations.models import Determination, DeterminationStatus
from determinations.services.review import ItemInput, save_draft
from imr_site import roles
from reviewers.errors import ReviewerError
from reviewers.models import Assignment, AssignmentStatus
from reviewers.services.assignment import assign_case_automatically, replace_reviewer
from reviewers.services.responses import accept_assignment
from tests.factories import UserFactory
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(role=roles.INTAKE_STAFF)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def url(case) -> str:
    return reverse("reviewers:case_candidates", args=[case.pk])


def case_in_review(*, with_draft: bool = False):
    """A ready case offered automatically to the first qualified reviewer, who accepts it."""
    first = qualified_reviewer()
    case = ready_case()
    assignment = assign_case_automatically(case_id=case.pk)
    assert assignment.reviewer == first
    accept_assignment(assignment_id=assignment.pk, by=first.user, attest_no_conflict=True)
    if with_draft:
        item = case.disputed_items.order_by("position").first()
        save_draft(
            case_id=case.pk,
            by=first.user,
            summary="First reviewer's notes",
            items=[ItemInput(disputed_item_id=item.pk, decision="upheld", rationale="Not indicated.")],
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    return case, first, assignment


def snapshot(case):
    return (
        case.__class__.objects.get(pk=case.pk).status,
        sorted(Assignment.objects.filter(case=case).values_list("id", "status", "active")),
        CaseEvent.objects.filter(case=case).count(),
    )


def test_replace_with_reason_offers_the_case_to_another_reviewer(staff_client, client):
    case, first, old = case_in_review(with_draft=True)
    second = qualified_reviewer()
    response = staff_client.post(url(case), {"reason": "Reviewer fell ill", "reviewer": ""})
    assert response.status_code == 302

    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    old.refresh_from_db()
    assert (old.status, old.active) == (AssignmentStatus.ENDED, False)
    assert "Reviewer fell ill" in old.decline_reason
    new = Assignment.objects.active().get(case=case)
    assert (new.reviewer, new.status) == (second, AssignmentStatus.OFFERED)
    # The open-case counters are true: the replaced reviewer's slot is free again.
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.open_cases, second.open_cases) == (0, 1)
    # Logged: the step in_review → assigned, with the reason and both reviewer numbers.
    event = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (event.from_status, event.to_status) == (CaseStatus.IN_REVIEW, CaseStatus.ASSIGNED)
    assert "Reviewer fell ill" in event.reason and first.reviewer_number in event.reason
    assert event.data["replaced_reviewer_number"] == first.reviewer_number
    assert event.data["reviewer_number"] == second.reviewer_number
    # The replaced reviewer no longer sees the case; their draft stays on file, not the new one's.
    client.force_login(first.user)
    assert client.get(reverse("review:case_file", args=[case.pk])).status_code == 404
    draft = Determination.objects.get(case=case)
    assert (draft.reviewer, draft.status) == (first, DeterminationStatus.DRAFT)
    accept_assignment(assignment_id=new.pk, by=second.user, attest_no_conflict=True)
    client.force_login(second.user)
    page = client.get(reverse("review:case_file", args=[case.pk]))
    assert page.status_code == 200
    assert "First reviewer&#x27;s notes" not in page.content.decode()
    assert "First reviewer's notes" not in page.content.decode()
    # The candidates page tells what happened to the first reviewer.
    staff_client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    body = staff_client.get(url(case)).content.decode()
    assert "Was replaced by staff (Reviewer fell ill)" in body


def test_the_replaced_reviewer_is_never_picked_again(staff):
    case, first, _ = case_in_review()
    # Only the replaced reviewer qualifies: refused with the reasons, nothing changes.
    before = snapshot(case)
    with pytest.raises(ReviewerError, match="no other reviewer qualifies") as error:
        replace_reviewer(case_id=case.pk, by=staff, reason="Conflict found")
    assert "Had this case before" in error.value.message
    assert snapshot(case) == before
    first.refresh_from_db()
    assert first.open_cases == 1


def test_choosing_a_reviewer_by_hand(staff_client):
    case, _first, _ = case_in_review()
    qualified_reviewer()
    chosen = qualified_reviewer()
    response = staff_client.post(url(case), {"reason": "Needs a spine specialist", "reviewer": chosen.pk})
    assert response.status_code == 302
    assert Assignment.objects.active().get(case=case).reviewer == chosen


def test_choosing_the_replaced_reviewer_again_is_a_form_error(staff_client):
    case, first, _ = case_in_review()
    before = snapshot(case)
    response = staff_client.post(url(case), {"reason": "Try again", "reviewer": first.pk})
    assert response.status_code == 400
    assert "is the reviewer being replaced" in response.content.decode()
    assert snapshot(case) == before


@pytest.mark.parametrize("reason", ["", "   "], ids=["blank-reason", "spaces-only-reason"])
def test_missing_reason_is_a_form_error_and_changes_nothing(staff_client, reason):
    case, _first, _ = case_in_review()
    qualified_reviewer()
    before = snapshot(case)
    response = staff_client.post(url(case), {"reason": reason, "reviewer": ""})
    assert response.status_code == 400
    assert "Give the reason for replacing the reviewer." in response.content.decode()
    assert snapshot(case) == before


def test_replace_on_a_case_not_in_review_is_a_clear_error(staff):
    qualified_reviewer()
    ready = ready_case()
    with pytest.raises(ReviewerError, match="only the reviewer of a case in review"):
        replace_reviewer(case_id=ready.pk, by=staff, reason="Because")
    offered = ready_case()
    assign_case_automatically(case_id=offered.pk)
    before = snapshot(offered)
    with pytest.raises(ReviewerError, match="Use Reassign"):
        replace_reviewer(case_id=offered.pk, by=staff, reason="Because")
    assert snapshot(offered) == before


def test_qa_cannot_replace(client):
    case, _first, _ = case_in_review()
    client.force_login(UserFactory(role=roles.CLINICAL_QA))
    assert client.post(url(case), {"reason": "x", "reviewer": ""}).status_code == 403


def test_the_page_offers_the_replace_step_for_a_case_in_review(staff_client):
    case, _first, _ = case_in_review()
    body = staff_client.get(url(case)).content.decode()
    assert "Replace the reviewer" in body
    assert "Pick the next qualified reviewer automatically" in body


def test_admin_action_asks_for_a_reason_then_replaces(client, staff):
    """Tried: no reason (asked again, nothing changes), then a reason (replaced, logged)."""
    case, _first, _ = case_in_review()
    second = qualified_reviewer()
    client.force_login(staff)
    url = reverse("admin:cases_case_changelist")
    selection = {"action": "replace_reviewer", "_selected_action": [case.pk]}
    before = snapshot(case)
    asked = client.post(url, {**selection, "apply": "1", "reason": ""})
    assert asked.status_code == 200 and b"Why is the reviewer replaced?" in asked.content
    assert snapshot(case) == before
    done = client.post(url, {**selection, "apply": "1", "reason": "Licence lapsed"}, follow=True)
    assert done.status_code == 200
    assert "reviewer replaced" in done.content.decode()
    assert Assignment.objects.active().get(case=case).reviewer == second
    assert CaseEvent.objects.filter(case=case, reason__contains="Licence lapsed").exists()
