"""Reads of case data the access matrix found without an access-log row (issue 13 item 5):
the reviewer's home, the QA queue, the admin's history pages of case-data models, and the
admin's own pages of the access log. Also: another reviewer posting to a case's submit URL is
answered 404 (and logged as refused) before the form token is read, like every reviewer URL.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseStatus, PartyRole
from determinations.models import Determination, DeterminationStatus
from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.determinations.review_support import case_for_review, qa_user
from tests.factories import UserFactory, make_seed_reviewer

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (audit gaps test)"


def rows(user, **filters) -> list[tuple[int | None, str]]:
    return list(
        AccessLogEntry.objects.filter(user=user, **filters)
        .order_by("id")
        .values_list("case_id", "object_repr")
    )


def test_the_reviewer_home_logs_each_case_it_lists(client):
    reviewer = make_seed_reviewer()
    mine = sorted(case_for_review(reviewer=reviewer)[0].pk for _ in range(2))
    case_for_review()  # another reviewer's: neither shown nor logged
    client.force_login(reviewer.user)
    assert client.get(reverse("review:reviewer_home"), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert rows(reviewer.user) == [(pk, "listed on the reviewer's home") for pk in mine]
    assert set(AccessLogEntry.objects.filter(user=reviewer.user).values_list("user_agent", flat=True)) == {
        BROWSER
    }


def test_the_qa_queue_logs_each_case_it_lists(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer, status=CaseStatus.QA_REVIEW)
    Determination.objects.create(case=case, reviewer=reviewer, status=DeterminationStatus.SUBMITTED)
    case_for_review(reviewer=reviewer)  # in review: not in QA's queue
    qa = qa_user()
    client.force_login(qa)
    assert client.get(reverse("review:qa_queue")).status_code == 200
    assert rows(qa) == [(case.pk, "listed in the QA queue")]


def test_an_empty_queue_logs_nothing(client):
    qa = qa_user()
    client.force_login(qa)
    assert client.get(reverse("review:qa_queue")).status_code == 200
    assert rows(qa) == []


@pytest.mark.parametrize(
    "admin_url, target",
    [
        ("admin:cases_party_history", "party"),
        ("admin:cases_case_history", "case"),
        ("admin:determinations_determination_history", "determination"),
    ],
)
def test_admin_history_pages_are_logged(client, admin_url, target):
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    determination = approved_seed_determination()
    case = determination.case
    obj = {
        "party": case.parties.get(role=PartyRole.EMPLOYEE),
        "case": case,
        "determination": determination,
    }[target]
    assert client.get(reverse(admin_url, args=[obj.pk]), REMOTE_ADDR="203.0.113.8").status_code == 200
    (entry,) = AccessLogEntry.objects.filter(user=staff)
    assert (entry.case_id, entry.action, entry.ip_address) == (case.pk, AccessAction.VIEW_CASE, "203.0.113.8")
    assert entry.object_repr == f"admin history: {target} {obj.pk} of {case.case_number}"


def test_reading_the_access_log_in_the_admin_is_logged(client):
    administrator = UserFactory(role=roles.ADMINISTRATOR)
    client.force_login(administrator)
    case, _ = case_for_review()
    entry = AccessLogEntry.objects.create(
        case=case, action=AccessAction.VIEW_CASE, object_repr="someone read it"
    )
    assert client.get(reverse("admin:cases_accesslogentry_changelist")).status_code == 200
    assert client.get(reverse("admin:cases_accesslogentry_change", args=[entry.pk])).status_code == 200
    assert rows(administrator) == [
        (case.pk, "listed in the admin's access log"),
        (case.pk, f"admin page: access log entry {entry.pk} of {case.case_number}"),
    ]


def test_another_reviewer_posting_to_submit_gets_404_and_is_logged(client):
    case, _ = case_for_review()
    other = make_seed_reviewer()
    client.force_login(other.user)
    response = client.post(reverse("review:submit", args=[case.pk]), {"clinical_case_summary": "x"})
    assert response.status_code == 404
    (refused,) = AccessLogEntry.objects.filter(user=other.user, action=AccessAction.REFUSED)
    assert (refused.case_id, refused.status_code) == (case.pk, 404)
