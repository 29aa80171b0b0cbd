"""Staff pages: a case's candidates with reasons, manual assign/reassign, and reviewers' load.

Bad inputs tried: anonymous users (redirected to login), a reviewer and a QA user without
the permissions (403), an unknown case (404), posting a conflicted reviewer (form error,
nothing written), posting without a reviewer, a reassign with a blank reason, posting on a
case in review without a reason (replace step: form error), posting on a case awaiting
records (nothing to assign).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import AccessLogEntry, CaseStatus
from imr_site import roles
from reviewers.models import Assignment
from reviewers.services.assignment import assign_case_automatically
from tests.factories import UserFactory
from tests.reviewers.helpers import affiliate, qualified_reviewer, ready_case
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    return client


def url(case) -> str:
    return reverse("reviewers:case_candidates", args=[case.pk])


def test_login_and_permission_required(client):
    case = ready_case()
    response = client.get(url(case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for role in (roles.REVIEWER, roles.CLINICAL_QA):
        client.force_login(UserFactory(role=role))
        assert client.get(url(case)).status_code == 403
        assert client.get(reverse("reviewers:reviewer_list")).status_code == 403


def test_unknown_case(staff_client):
    assert staff_client.get("/reviewers/cases/999999/candidates/").status_code == 404


def test_candidates_page_lists_reasons(staff_client, django_assert_max_num_queries):
    ok = qualified_reviewer()
    conflicted = qualified_reviewer()
    affiliate(conflicted, "GOLDEN STATE CLAIMS SERVICES")
    for _ in range(10):
        qualified_reviewer(weekly_practice_hours=12)
    case = ready_case()
    with django_assert_max_num_queries(20 + SECOND_FACTOR_QUERIES):  # + the session's device read
        response = staff_client.get(url(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 of 12 could take it" in body
    assert ok.reviewer_number in body
    assert "affiliated with claims administrator Golden State Claims Services" in body
    assert "at least 24 are required" in body
    assert 'for="id_reviewer"' in body
    assert AccessLogEntry.objects.filter(case=case, object_repr="reviewer candidates").exists()


def test_manual_assign_refuses_conflicted(staff_client):
    conflicted = qualified_reviewer()
    affiliate(conflicted, "Central Valley Packing Co")
    case = ready_case()
    response = staff_client.post(url(case), {"reviewer": conflicted.pk})
    assert response.status_code == 400
    assert "employer Central Valley Packing Co." in response.content.decode()
    assert not Assignment.objects.exists()
    response = staff_client.post(url(case), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_manual_assign_and_reassign(staff_client):
    first, second = qualified_reviewer(), qualified_reviewer()
    case = ready_case()
    response = staff_client.post(url(case), {"reviewer": first.pk})
    assert response.status_code == 302
    assert Assignment.objects.active().get(case=case).reviewer == first
    # Reassign needs a reason.
    response = staff_client.post(url(case), {"reviewer": second.pk, "reason": "  "})
    assert response.status_code == 400
    assert Assignment.objects.active().get(case=case).reviewer == first
    response = staff_client.post(url(case), {"reviewer": second.pk, "reason": "On leave"})
    assert response.status_code == 302
    assert Assignment.objects.active().get(case=case).reviewer == second
    page = staff_client.get(url(case)).content.decode()
    assert "Considered when assigned" in page and "by staff" in page


def test_post_on_case_in_review_without_a_reason(staff_client):
    """A case in review offers only the replace step, which needs a reason: nothing changes."""
    reviewer = qualified_reviewer()
    case = ready_case()
    assignment = assign_case_automatically(case_id=case.pk)
    from reviewers.services.responses import accept_assignment

    accept_assignment(assignment_id=assignment.pk, by=reviewer.user, attest_no_conflict=True)
    response = staff_client.post(url(case), {"reviewer": reviewer.pk})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW


def test_post_on_case_not_yet_ready(staff_client):
    case = ready_case(status=CaseStatus.AWAITING_RECORDS, records_complete_on=None)
    response = staff_client.post(url(case), {"reviewer": qualified_reviewer().pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RECORDS and not Assignment.objects.filter(case=case).exists()


def test_qa_cannot_post(client):
    case = ready_case()
    user = UserFactory(role=roles.CLINICAL_QA)
    client.force_login(user)
    assert client.post(url(case), {"reviewer": qualified_reviewer().pk}).status_code == 403


def test_reviewer_list_shows_load(staff_client, django_assert_max_num_queries):
    busy = qualified_reviewer(max_open_cases=1)
    assign_case_automatically(case_id=ready_case().pk)
    for _ in range(15):
        qualified_reviewer()
    with django_assert_max_num_queries(8):
        response = staff_client.get(reverse("reviewers:reviewer_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert busy.reviewer_number in body
    assert "1 / 1" in body
