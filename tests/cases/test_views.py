"""Staff pages: queues and the case page with its steps (the intake form: tests/exchange).

Bad inputs tried: anonymous and reviewer users on every page, a QA user posting a step,
an unknown step name and case id, a blank withdrawal reason, a blank override reason, a
stale state (someone else moved the case), records complete with no medical record.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Case, CaseEvent, CaseStatus
from cases.services import case_actions
from core.clock import today
from imr_site import roles
from tests.factories import CaseFactory, ReviewerFactory, UserFactory, make_seed_like_case
from tests.second_factor import SECOND_FACTOR_QUERIES

S = CaseStatus
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


@pytest.fixture
def case():
    return make_seed_like_case()


def case_url(case: Case) -> str:
    return reverse("cases:case", args=[case.pk])


def step_url(case: Case, step: str) -> str:
    return reverse("cases:action", args=[case.pk, step])


# ---- Permissions -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, case):
    for url in [reverse("cases:queues"), reverse("cases:intake"), case_url(case)]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]
    response = client.post(
        step_url(case, "start_eligibility_review"), {"start_eligibility_review-expected_from": "received"}
    )
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED


def test_reviewers_are_refused(client, case):
    reviewer = ReviewerFactory()
    client.force_login(reviewer.user)
    for url in [reverse("cases:queues"), reverse("cases:intake"), case_url(case)]:
        assert client.get(url).status_code in (403, 404)
    response = client.post(
        step_url(case, "withdraw"), {"withdraw-expected_from": "received", "withdraw-reason": "x"}
    )
    assert response.status_code in (403, 404)
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED


def test_qa_sees_the_case_but_no_steps_and_cannot_post(client, case):
    client.force_login(UserFactory(role=roles.CLINICAL_QA))
    response = client.get(case_url(case))
    assert response.status_code == 200
    assert response.context["actions"] == []
    response = client.post(
        step_url(case, "start_eligibility_review"), {"start_eligibility_review-expected_from": "received"}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED


def test_unknown_case_or_step_is_404(staff_client, case):
    assert staff_client.get(reverse("cases:case", args=[999999])).status_code == 404
    assert staff_client.post(step_url(case, "explode"), {}).status_code == 404
    assert staff_client.post(reverse("cases:action", args=[999999, "withdraw"]), {}).status_code == 404


# ---- The case page -----------------------------------------------------------------------


def test_case_page_shows_the_file_and_logs_the_view(staff_client, staff, case):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    response = staff_client.get(case_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.case_number in html
    assert "Golden State Claims Services" in html
    assert "Physical Therapy 2x8 for the Lumbar Spine" in html
    assert "Received → Eligibility review" in html and "intake1" in html
    assert "Eligibility information due" in html and "days left" in html
    assert "Computed finding: <strong>eligible</strong>" in html
    entry = AccessLogEntry.objects.get(case=case)
    assert (entry.user, entry.action) == (staff, AccessAction.VIEW_CASE)


def test_case_page_shows_reasons_and_overdue_days(staff_client):
    case = make_seed_like_case(
        signed=False, status=S.AWAITING_RECORDS, records_due=today() - timedelta(days=3)
    )
    response = staff_client.get(case_url(case))
    html = response.content.decode()
    assert "not signed by the employee" in html
    assert "3 days overdue" in html
    assert "3 days late, penalty $1500" in html


@pytest.mark.parametrize(
    ("state", "fields", "steps"),
    [
        (
            S.RECEIVED,
            {},
            ["start_eligibility_review", "consolidate", "convert_to_expedited", "withdraw", "terminate"],
        ),
        (
            S.ELIGIBILITY_REVIEW,
            {},
            [
                "confirm_eligibility",
                "override_eligibility",
                "consolidate",
                "convert_to_expedited",
                "withdraw",
                "terminate",
            ],
        ),
        (
            S.ELIGIBILITY_REVIEW,
            {"eligibility_confirmed": True},
            [
                "send_eligibility_notice",
                "send_notice",
                "consolidate",
                "convert_to_expedited",
                "withdraw",
                "terminate",
            ],
        ),
        (S.AWAITING_RECORDS, {"priority": "expedited"}, ["records_complete", "withdraw", "terminate"]),
        (S.IN_REVIEW, {}, ["convert_to_expedited", "withdraw", "terminate"]),
        (S.DETERMINATION_ISSUED, {}, ["close", "remand"]),
        (S.CLOSED, {}, []),
        (S.INELIGIBLE, {}, []),
    ],
)
def test_buttons_are_exactly_the_steps_open_now(staff_client, state, fields, steps):
    case = CaseFactory(status=state, **fields)
    response = staff_client.get(case_url(case))
    assert [item["action"].key for item in response.context["actions"]] == steps
    html = response.content.decode()
    for step in steps:
        assert f'id="step-{step}"' in html


def test_posting_a_step_moves_the_case(staff_client, case):
    response = staff_client.post(
        step_url(case, "start_eligibility_review"), {"start_eligibility_review-expected_from": "received"}
    )
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert Case.objects.get(pk=case.pk).status == S.ELIGIBILITY_REVIEW


def test_stale_page_gets_a_clear_message(staff_client, staff, case):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    response = staff_client.post(
        step_url(case, "start_eligibility_review"),
        {"start_eligibility_review-expected_from": "received"},
        follow=True,
    )
    assert "changed by someone else" in response.content.decode()
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).count() == 1


def test_blank_reason_is_a_form_error(staff_client, case):
    response = staff_client.post(
        step_url(case, "withdraw"), {"withdraw-expected_from": "received", "withdraw-reason": ""}
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED


def test_override_needs_reason_on_the_form(staff_client, staff):
    case = make_seed_like_case(signed=False)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    prefix = "override_eligibility"
    response = staff_client.post(
        step_url(case, prefix),
        {
            f"{prefix}-expected_from": "eligibility_review",
            f"{prefix}-eligible": "yes",
            f"{prefix}-reason": " ",
        },
    )
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).eligibility_confirmed is None
    response = staff_client.post(
        step_url(case, prefix),
        {
            f"{prefix}-expected_from": "eligibility_review",
            f"{prefix}-eligible": "yes",
            f"{prefix}-reason": "Signed copy on file",
            f"{prefix}-confirm": "on",  # an override is confirmed (tests/cases/test_step_pages.py)
        },
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).eligibility_override_reason == "Signed copy on file"


def test_guard_error_shows_on_the_form(staff_client, staff, case):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    response = staff_client.post(
        step_url(case, "records_complete"), {"records_complete-expected_from": "awaiting_records"}
    )
    assert response.status_code == 400
    assert "Add at least one medical record" in response.content.decode()
    response = staff_client.post(
        step_url(case, "records_complete"),
        {"records_complete-expected_from": "awaiting_records", "records_complete-on": "not-a-date"},
    )
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


# ---- Queues ------------------------------------------------------------------------------


def test_queue_sorted_by_nearest_deadline_with_overdue_marked(staff_client):
    later = CaseFactory(status=S.AWAITING_RECORDS, next_deadline=today() + timedelta(days=9))
    late = CaseFactory(status=S.AWAITING_RECORDS, next_deadline=today() - timedelta(days=2), overdue=True)
    none = CaseFactory(status=S.AWAITING_RECORDS)
    CaseFactory(status=S.RECEIVED)
    response = staff_client.get(reverse("cases:queues") + "?status=awaiting_records")
    order = [case.pk for case, *_ in response.context["rows"]]
    assert order == [late.pk, later.pk, none.pk]
    html = response.content.decode()
    assert "overdue by 2 days" in html
    assert 'data-count="awaiting_records">3<' in html
    assert 'data-count="received">1<' in html


def test_queue_ignores_an_unknown_state(staff_client):
    CaseFactory(status=S.RECEIVED)
    response = staff_client.get(reverse("cases:queues") + "?status=<script>")
    assert response.status_code == 200 and len(response.context["rows"]) == 1


@pytest.mark.parametrize("count", [1, 50])
def test_queue_query_count_does_not_grow(staff_client, django_assert_max_num_queries, count):
    for n in range(count):
        make_seed_like_case(status=S.AWAITING_RECORDS, next_deadline=date(2015, 3, 1) + timedelta(days=n))
    # 9: the page's reads and the one INSERT of the access-log rows for the cases shown.
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        response = staff_client.get(reverse("cases:queues"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == count


def test_deadlines_met_are_not_shown_overdue(staff_client):
    # Received on time long ago, records in three days late, determination pending.
    case = make_seed_like_case(
        status=S.READY_FOR_ASSIGNMENT,
        notice_sent_on=today() - timedelta(days=20),
        records_due=today() - timedelta(days=8),
        records_complete_on=today() - timedelta(days=5),
        determination_due=today() + timedelta(days=25),
        next_deadline=today() + timedelta(days=25),
    )
    response = staff_client.get(case_url(case))
    rows = {row.label: row for row in response.context["deadlines"]}
    assert rows["Application due"].done and not rows["Application due"].overdue
    assert rows["Medical records due"].days_late == 3
    assert rows["Determination due"].current and rows["Determination due"].days_left == 25
    html = response.content.decode()
    assert "overdue<" not in html.split('id="eligibility-h"')[0].split('id="deadlines-h"')[1]
    assert "(3 days late)" in html
    assert "25 days left" in html
