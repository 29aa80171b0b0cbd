"""The staff queue flags ready-for-assignment cases nobody picked up, with the reason and the wait.

Bad inputs tried: a case no reviewer qualifies for (flagged at once, with the reason), a
standard case waiting past ASSIGNMENT_STALE_HOURS, an expedited one past the shorter
ASSIGNMENT_STALE_HOURS_EXPEDITED, a case waiting under the limit (not flagged), a case with
no recorded start of the wait (not flagged on time, never a crash).
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseStatus, DocumentKind, Priority
from cases.services import case_actions
from cases.services.documents import add_document
from exchange.services.intake import import_case
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import CaseFactory, UserFactory, make_seed_like_case
from tests.second_factor import SECOND_FACTOR_QUERIES

S = CaseStatus
pytestmark = pytest.mark.django_db
SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())
READY_QUEUE = reverse("cases:queues") + "?status=ready_for_assignment"


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    return client


def waiting(hours: float, **fields):
    return CaseFactory(
        status=S.READY_FOR_ASSIGNMENT, ready_since=timezone.now() - timedelta(hours=hours), **fields
    )


def text(response) -> str:
    return response.content.decode().replace("\xa0", " ")


def test_no_qualified_reviewer_is_flagged_with_the_reason_and_the_wait(staff_client):
    case = waiting(
        3,
        needs_manual_assignment=True,
        manual_assignment_reason="No reviewer qualifies (4 considered): Not board certified: 4.",
    )
    response = staff_client.get(READY_QUEUE)
    [(row_case, _days, wait)] = response.context["rows"]
    assert row_case == case and wait.flagged
    body = text(response)
    assert "Not picked up" in body
    assert "No reviewer qualifies (4 considered): Not board certified: 4." in body
    assert "Waiting 3 hours." in body
    assert reverse("reviewers:case_candidates", args=[case.pk]) in body


def test_a_standard_case_waiting_past_the_limit_is_flagged(staff_client, settings):
    settings.ASSIGNMENT_STALE_HOURS = 24
    waiting(30)
    body = text(staff_client.get(READY_QUEUE))
    assert "Not picked up by any reviewer within 24 hours." in body
    assert "Waiting 1 day, 6 hours." in body


def test_a_standard_case_under_the_limit_is_not_flagged(staff_client, settings):
    settings.ASSIGNMENT_STALE_HOURS = 24
    waiting(3)
    response = staff_client.get(READY_QUEUE)
    [(_case, _days, wait)] = response.context["rows"]
    assert not wait.flagged
    body = text(response)
    assert "Not picked up" not in body and "Waiting 3 hours" in body


def test_an_expedited_case_is_flagged_sooner(staff_client, settings):
    settings.ASSIGNMENT_STALE_HOURS = 24
    settings.ASSIGNMENT_STALE_HOURS_EXPEDITED = 2
    waiting(3, priority=Priority.EXPEDITED)
    body = text(staff_client.get(READY_QUEUE))
    assert "Not picked up by any reviewer within 2 hours." in body


def test_an_unknown_start_of_the_wait_is_not_flagged_on_time(staff_client):
    CaseFactory(status=S.READY_FOR_ASSIGNMENT, ready_since=None)
    response = staff_client.get(READY_QUEUE)
    assert response.status_code == 200
    [(_case, _days, wait)] = response.context["rows"]
    assert not wait.flagged and wait.waited_text == ""


def test_expedited_cases_come_first_in_the_ready_queue(staff_client):
    soon = waiting(1, next_deadline=date.today() + timedelta(days=2))
    expedited = waiting(1, priority=Priority.EXPEDITED, next_deadline=date.today() + timedelta(days=3))
    later = waiting(1, next_deadline=date.today() + timedelta(days=20))
    response = staff_client.get(READY_QUEUE)
    assert [case.pk for case, *_ in response.context["rows"]] == [expedited.pk, soon.pk, later.pk]


def test_the_all_open_queue_flags_too(staff_client):
    waiting(50)
    body = text(staff_client.get(reverse("cases:queues")))
    assert "Not picked up" in body


@pytest.mark.parametrize("count", [1, 50])
def test_queue_query_count_with_flags_does_not_grow(staff_client, django_assert_max_num_queries, count):
    for n in range(count):
        make_seed_like_case(
            status=S.READY_FOR_ASSIGNMENT,
            ready_since=timezone.now() - timedelta(hours=30 + n),
            needs_manual_assignment=n % 2 == 0,
            manual_assignment_reason="No reviewer qualifies." if n % 2 == 0 else "",
            priority=Priority.EXPEDITED if n % 3 == 0 else Priority.STANDARD,
        )
    for url in (READY_QUEUE, reverse("cases:queues")):
        # 9: the page's reads and the one INSERT of the access-log rows for the cases shown.
        with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
            response = staff_client.get(url)
        assert response.status_code == 200
        assert len(response.context["rows"]) == count
        assert all(wait.flagged for _case, _days, wait in response.context["rows"])


def test_the_workflow_records_when_the_case_became_ready():
    staff = UserFactory(role=roles.INTAKE_STAFF)
    case = make_seed_like_case(status=S.AWAITING_RECORDS)
    add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes()),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Notes",
        received_on=date(2015, 3, 2),
        by=staff,
    )
    before = timezone.now()
    case_actions.mark_records_complete(case_id=case.pk, by=staff)
    case.refresh_from_db()
    assert case.status == S.READY_FOR_ASSIGNMENT
    assert before <= case.ready_since <= timezone.now()


def test_imported_history_dates_the_wait_from_its_ready_entry():
    payload = copy.deepcopy(SEED)
    del payload["determination"]
    payload["history"] = [
        {"status": "eligibility_review", "on": "2015-03-02"},
        {"status": "awaiting_records", "on": "2015-03-04", "notice_method": "mail"},
        {"status": "ready_for_assignment", "on": "2015-03-12"},
    ]
    case = import_case(payload=payload)
    assert timezone.localdate(case.ready_since) == date(2015, 3, 12)
