"""Who may open the reviewer and QA URLs.

Every reviewer URL (case file, save draft, preview, submit, accept, decline) answers 404,
the same as a case that does not exist, to: a second reviewer; the case's reviewer after
declining it; the case's reviewer after the assignment ended; the reviewer once the letter
is issued; a QA user and intake staff (no assignment); and for a case id that does not
exist. Anonymous users are sent to log in. QA URLs answer 403 to reviewers and staff.
Nothing changes on any refused request.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import CaseStatus
from core.form_tokens import FIELD_NAME
from determinations.models import Determination
from determinations.services.review import submit_determination
from imr_site import roles
from reviewers.models import AssignmentStatus
from tests.determinations.review_support import case_for_review, seed_form_data, seed_item_inputs
from tests.factories import UserFactory, make_seed_reviewer
from tests.forms_helpers import own_token

pytestmark = pytest.mark.django_db

REVIEWER_URLS = [
    ("get", "review:case_file"),
    ("post", "review:save_draft"),
    ("get", "review:preview"),
    ("post", "review:preview"),
    ("post", "review:submit"),
    ("post", "review:accept"),
    ("post", "review:decline"),
]
QA_URLS = [
    ("get", "review:qa_determination"),
    ("post", "review:qa_approve"),
    ("post", "review:qa_return"),
]


def _request(client, method, name, case, case_id=None):
    url = reverse(name, args=[case_id or case.pk])
    data = (
        {
            **seed_form_data(case),
            "attest_no_conflict": "on",
            "reason": "Conflict",
            FIELD_NAME: own_token(client),
        }
        if method == "post"
        else None
    )
    return getattr(client, method)(url, data) if data else client.get(url)


def _assert_all_404(client, case, case_id=None):
    for method, name in REVIEWER_URLS:
        response = _request(client, method, name, case, case_id)
        assert response.status_code == 404, f"{method.upper()} {name}: {response.status_code}"


@pytest.mark.parametrize("status", [CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW])
def test_a_second_reviewer_gets_404_on_every_reviewer_url(client, status):
    assignment_status = (
        AssignmentStatus.OFFERED if status == CaseStatus.ASSIGNED else AssignmentStatus.ACCEPTED
    )
    case, _ = case_for_review(status=status, assignment_status=assignment_status)
    client.force_login(make_seed_reviewer().user)
    _assert_all_404(client, case)
    case.refresh_from_db()
    assert case.status == status
    assert not Determination.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    ("assignment_status", "case_status"),
    [
        (AssignmentStatus.DECLINED, CaseStatus.READY_FOR_ASSIGNMENT),
        (AssignmentStatus.ENDED, CaseStatus.IN_REVIEW),
        (AssignmentStatus.ENDED, CaseStatus.ASSIGNED),
    ],
)
def test_a_reviewer_whose_assignment_is_over_gets_404_everywhere(client, assignment_status, case_status):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(
        reviewer=reviewer, status=case_status, assignment_status=assignment_status, active=False
    )
    client.force_login(reviewer.user)
    _assert_all_404(client, case)
    assert not Determination.objects.filter(case=case).exists()


def test_the_reviewer_loses_the_case_once_its_letter_is_issued(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer, status=CaseStatus.DETERMINATION_ISSUED)
    client.force_login(reviewer.user)
    _assert_all_404(client, case)


@pytest.mark.parametrize("role", [roles.CLINICAL_QA, roles.INTAKE_STAFF, roles.ADMINISTRATOR])
def test_users_without_the_assignment_get_404_even_with_broad_permissions(client, role):
    case, _ = case_for_review()
    client.force_login(UserFactory(role=role))
    _assert_all_404(client, case)


def test_an_unknown_case_is_404(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    client.force_login(reviewer.user)
    _assert_all_404(client, case, case_id=case.pk + 10_000)


def test_anonymous_users_are_sent_to_log_in(client):
    case, _ = case_for_review()
    for method, name in [*REVIEWER_URLS, ("get", "review:reviewer_home"), ("get", "review:qa_queue")]:
        url = (
            reverse(name, args=[case.pk])
            if name not in ("review:reviewer_home", "review:qa_queue")
            else reverse(name)
        )
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name


def test_qa_urls_are_403_for_reviewers_and_staff(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="S", items=seed_item_inputs(case)
    )
    for user in (reviewer.user, UserFactory(role=roles.INTAKE_STAFF), UserFactory()):
        client.force_login(user)
        assert client.get(reverse("review:qa_queue")).status_code == 403
        for method, name in QA_URLS:
            response = getattr(client, method)(reverse(name, args=[determination.pk]), {"comment": "x"})
            assert response.status_code == 403, name
    determination.refresh_from_db()
    assert determination.status == "submitted"


def test_the_reviewer_can_still_open_the_case_while_it_is_with_qa(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    submit_determination(case_id=case.pk, by=reviewer.user, summary="S", items=seed_item_inputs(case))
    client.force_login(reviewer.user)
    assert client.get(reverse("review:case_file", args=[case.pk])).status_code == 200
