"""The periodic workflow tasks: overdue flags and the daily deadline digest.

Tried: a case due yesterday (marked), due today (not overdue), a closed case with a stale
flag (cleared), nothing due (no email), a second run the same day (no second email), an
inactive staff user and one without an email address (not mailed), and the real SMTP
server through the real Celery worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from cases import deadlines
from cases.models import Case, CaseStatus, DeadlineDigest
from cases.tasks import mark_overdue_cases, send_deadline_digest
from core.clock import today
from imr_site import roles
from tests.conftest import wait_for
from tests.factories import CaseFactory, UserFactory

S = CaseStatus
pytestmark = pytest.mark.django_db


def test_mark_overdue_sets_and_clears_in_bulk(django_assert_max_num_queries):
    late = CaseFactory(status=S.AWAITING_RECORDS, next_deadline=today() - timedelta(days=1))
    due_today = CaseFactory(status=S.AWAITING_RECORDS, next_deadline=today(), overdue=True)
    stale = CaseFactory(status=S.CLOSED, next_deadline=today() - timedelta(days=9), overdue=True)
    no_deadline = CaseFactory(status=S.RECEIVED)
    many = [CaseFactory(status=S.IN_REVIEW, next_deadline=today() - timedelta(days=3)) for _ in range(5)]
    with django_assert_max_num_queries(4):
        result = mark_overdue_cases.delay().get()
    assert result == {"marked": 6, "cleared": 2}
    flags = dict(Case.objects.values_list("pk", "overdue"))
    assert flags[late.pk] is True
    assert flags[due_today.pk] is False
    assert flags[stale.pk] is False
    assert flags[no_deadline.pk] is False
    assert all(flags[c.pk] for c in many)
    # Running again changes nothing.
    assert mark_overdue_cases.delay().get() == {"marked": 0, "cleared": 0}


@pytest.fixture
def intake_people(settings):
    settings.INTAKE_STAFF_EMAILS = ["intake-desk@imro.example.org"]
    active = UserFactory(username="ivy", email="ivy@imro.example.org", role=roles.INTAKE_STAFF)
    inactive = UserFactory(username="old", email="old@imro.example.org", role=roles.INTAKE_STAFF)
    inactive.is_active = False
    inactive.save()
    UserFactory(username="noemail", email="", role=roles.INTAKE_STAFF)
    UserFactory(username="qa", email="qa@imro.example.org", role=roles.CLINICAL_QA)
    return active


def test_digest_lists_cases_due_within_two_business_days(intake_people):
    horizon = deadlines.add_business_days(today(), 2)
    soon = CaseFactory(status=S.AWAITING_RECORDS, next_deadline=horizon)
    overdue = CaseFactory(
        status=S.ELIGIBILITY_REVIEW, next_deadline=today() - timedelta(days=2), overdue=True
    )
    CaseFactory(status=S.IN_REVIEW, next_deadline=horizon + timedelta(days=1))  # later
    CaseFactory(status=S.WITHDRAWN, next_deadline=today())  # not open
    mail.outbox.clear()
    assert send_deadline_digest.delay().get() == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["intake-desk@imro.example.org", "ivy@imro.example.org"]
    assert soon.case_number in message.body and overdue.case_number in message.body
    assert "OVERDUE" in message.body
    assert message.body.index(overdue.case_number) < message.body.index(soon.case_number)
    # No party or employee names: the factory's case has none in its row, and no names are read.
    assert "Maria" not in message.body
    # A retried or repeated run the same day sends nothing more.
    assert send_deadline_digest.delay().get() == 0
    assert len(mail.outbox) == 1
    assert DeadlineDigest.objects.get(sent_on=today()).case_count == 2


def test_digest_is_a_no_op_when_nothing_is_due(intake_people):
    CaseFactory(status=S.IN_REVIEW, next_deadline=today() + timedelta(days=20))
    mail.outbox.clear()
    assert send_deadline_digest.delay().get() == 0
    assert mail.outbox == []
    assert not DeadlineDigest.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_digest_through_the_real_worker_and_smtp(postgres, celery_worker, smtp_server, intake_people):
    CaseFactory(status=S.AWAITING_RECORDS, next_deadline=today())
    result = send_deadline_digest.delay()
    assert result is not None
    wait_for(lambda: smtp_server.messages, what="the digest email")
    wait_for(lambda: DeadlineDigest.objects.exists(), what="the digest row")
    assert len(smtp_server.messages) == 1
    # The worker is another process: it reads intake staff from the database, not this
    # test's settings override.
    assert "ivy@imro.example.org" in smtp_server.messages[0]["rcpt_tos"]
    assert "old@imro.example.org" not in smtp_server.messages[0]["rcpt_tos"]
