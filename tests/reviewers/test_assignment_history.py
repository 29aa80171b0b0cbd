"""The candidates page tells how each assignment stands or ended, also after the letter is issued.

Bad inputs tried: none are posted here; the states tried are a case taken through to
determination_issued with a declined offer before it, and a case waiting for a reviewer.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseStatus
from core.clock import today
from determinations.services.review import qa_approve, submit_determination
from imr_site import roles
from reviewers.models import AssignmentStatus
from reviewers.services.assignment import assign_case_automatically
from reviewers.services.responses import accept_assignment, decline_assignment
from tests.determinations.review_support import qa_user, seed_determination, seed_item_inputs
from tests.factories import UserFactory
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db


def url(case) -> str:
    return reverse("reviewers:case_candidates", args=[case.pk])


def decided_case(django_capture_on_commit_callbacks):
    """Offered to A (declines), then to B, who accepts and decides; QA approves; the letter is issued."""
    first, second = qualified_reviewer(), qualified_reviewer()
    case = ready_case()
    offer = assign_case_automatically(case_id=case.pk)
    assert offer.reviewer == first
    decline_assignment(assignment_id=offer.pk, by=first.user, reason="Away that week")
    offer = assign_case_automatically(case_id=case.pk)
    assert offer.reviewer == second
    accept_assignment(assignment_id=offer.pk, by=second.user, attest_no_conflict=True)
    determination = submit_determination(
        case_id=case.pk,
        by=second.user,
        summary=seed_determination()["clinical_case_summary"],
        items=seed_item_inputs(case),
    )
    with django_capture_on_commit_callbacks(execute=True):
        qa_approve(determination_id=determination.pk, by=qa_user())
    case.refresh_from_db()
    assert case.status == CaseStatus.DETERMINATION_ISSUED
    offer.refresh_from_db()
    assert (offer.status, offer.active) == (AssignmentStatus.ACCEPTED, False)
    return case, first, second


def test_after_the_letter_the_deciding_reviewer_is_shown_as_having_decided(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    case, first, second = decided_case(django_capture_on_commit_callbacks)
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    with django_assert_max_num_queries(22):
        response = client.get(url(case))
    assert response.status_code == 200
    body = response.content.decode()
    on = today()
    assert f"None: the determination was issued on {on:%b} {on.day}, {on.year}." in body
    history = {row.assignment.reviewer_id: row.outcome for row in response.context["assignment_history"]}
    assert history[second.pk].key == "decided" and history[second.pk].label == "Decided it"
    assert history[first.pk].key == "declined" and history[first.pk].detail == "Away that week"
    assert f"<strong>{second.reviewer_number}</strong>: Decided it" in body
    assert f"<strong>{first.reviewer_number}</strong>: Declined it (Away that week)" in body
    # In the reviewers table the one who decided is not said to have declined.
    reasons = {report.reviewer.pk: report.reasons for report in response.context["reports"]}
    assert any("Had this case before (decided it)" in reason for reason in reasons[second.pk])
    assert not any("declined" in reason for reason in reasons[second.pk])
    assert any("Had this case before (declined it)" in reason for reason in reasons[first.pk])


def test_a_case_waiting_for_a_reviewer_says_so(client):
    case = ready_case()
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    body = client.get(url(case)).content.decode()
    assert "None: the case is waiting for a reviewer." in body
    assert "No reviewer has held this case." in body
