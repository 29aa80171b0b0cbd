"""The jobs page (/jobs/) and the daily digest of failing jobs.

Bad inputs tried: a user without the role, an unknown view, a retry and a cancel without a
reason, a cancel of a finished job, a page number past the end.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from core import clock
from core.models import OutboxJob, OutboxJobEvent, OutboxState
from core.outbox_digest import send_failing_jobs_digest
from imr_site import roles
from tests.factories import UserFactory
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="admin1", role=roles.ADMINISTRATOR)
    client.force_login(admin)
    client.user = admin
    return client


def _job(**fields) -> OutboxJob:
    defaults = {
        "kind": "determinations.send_delivery",
        "payload": {"delivery_id": 1},
        "next_attempt_at": clock.now(),
    }
    return OutboxJob.objects.create(**{**defaults, **fields})


def test_only_administrators_see_the_jobs_page(client, staff):
    client.force_login(staff)  # intake staff
    assert client.get(reverse("jobs")).status_code == 403
    client.logout()
    assert client.get(reverse("jobs")).status_code == 302  # to the login page


def test_the_page_sorts_jobs_into_stuck_failing_and_waiting_oldest_first(admin_client, settings):
    now = clock.now()
    overdue = _job(
        next_attempt_at=now - timedelta(seconds=settings.OUTBOX_OVERDUE_SECONDS + 60), key="delivery:1"
    )
    dead = _job(state=OutboxState.RUNNING, claimed_at=now, attempts=1, key="delivery:2")  # no live lock
    failing_new = _job(
        last_error="SMTPDataError: 451", failing_since=now, next_attempt_at=now + timedelta(minutes=1)
    )
    failing_old = _job(
        last_error="OSError: refused",
        failing_since=now - timedelta(hours=2),
        next_attempt_at=now + timedelta(minutes=2),
    )
    waiting = _job(next_attempt_at=now + timedelta(seconds=5))
    _job(state=OutboxState.DONE, finished_at=now)

    def listed(view: str) -> list[int]:
        response = admin_client.get(reverse("jobs"), {"view": view})
        assert response.status_code == 200
        return [job.pk for job in response.context["jobs"]]

    assert listed("stuck") == [overdue.pk, dead.pk]
    assert listed("failing") == [failing_old.pk, failing_new.pk]
    assert listed("waiting") == [waiting.pk]
    page = admin_client.get(reverse("jobs"), {"view": "failing"}).content.decode()
    assert "OSError: refused" in page and "SMTPDataError: 451" in page
    summary = admin_client.get(reverse("jobs")).context["summary"]
    assert summary.views["stuck"] == 2 and summary.views["failing"] == 2 and summary.views["done"] == 1
    assert dict(summary.by_state_kind)["determinations.send_delivery"] == {
        "pending": 4,
        "running": 1,
        "done": 1,
    }
    assert admin_client.get(reverse("jobs"), {"view": "everything"}).status_code == 400
    assert admin_client.get(reverse("jobs"), {"view": "waiting", "page": "99"}).status_code == 200


def test_the_page_reads_in_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    for n in range(60):
        _job(last_error=f"OSError {n}", failing_since=clock.now(), caused_by=admin_client.user)
    with django_assert_max_num_queries(16 + SECOND_FACTOR_QUERIES):  # + the session's device read
        response = admin_client.get(reverse("jobs"), {"view": "failing"})
    assert len(response.context["jobs"]) == 50  # one page


def test_retry_and_cancel_need_a_reason_and_are_logged(admin_client, django_capture_on_commit_callbacks):
    failed = _job(
        state=OutboxState.FAILED, attempts=8, max_attempts=8, last_error="OSError", finished_at=clock.now()
    )
    url = reverse("job_action", args=[failed.pk])
    response = admin_client.post(url, {"action": "retry", "reason": "  "}, follow=True)
    assert "Say why" in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == OutboxState.FAILED and not OutboxJobEvent.objects.exists()

    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(url, {"action": "retry", "reason": "SMTP relay fixed", "view": "failed"})
    assert response.status_code == 302 and response["Location"].endswith("?view=failed")
    failed.refresh_from_db()
    assert failed.state == OutboxState.PENDING and failed.max_attempts > failed.attempts
    event = OutboxJobEvent.objects.get(job=failed)
    assert (event.action, event.reason, event.by) == ("retried", "SMTP relay fixed", admin_client.user)

    admin_client.post(url, {"action": "cancel", "reason": "Party withdrew"})
    failed.refresh_from_db()
    assert failed.state == OutboxState.CANCELLED
    assert OutboxJobEvent.objects.filter(job=failed, action="cancelled", reason="Party withdrew").exists()

    done = _job(state=OutboxState.DONE, finished_at=clock.now())
    response = admin_client.post(
        reverse("job_action", args=[done.pk]), {"action": "cancel", "reason": "x"}, follow=True
    )
    assert "only a waiting or failed job can be cancelled" in response.content.decode()
    done.refresh_from_db()
    assert done.state == OutboxState.DONE
    assert (
        admin_client.post(
            reverse("job_action", args=[999999]), {"action": "cancel", "reason": "x"}
        ).status_code
        == 404
    )


def test_the_daily_digest_lists_jobs_failing_for_more_than_an_hour(mailoutbox, caplog):
    UserFactory(username="admin2", email="admin2@imro.example.org", role=roles.ADMINISTRATOR)
    UserFactory(username="intake9", email="intake9@imro.example.org", role=roles.INTAKE_STAFF)
    now = clock.now()
    old = _job(last_error="SMTPDataError: 451 greylisted\nmore", failing_since=now - timedelta(hours=3))
    gave_up = _job(
        state=OutboxState.FAILED, last_error="OSError: refused", failing_since=now - timedelta(hours=2)
    )
    _job(last_error="OSError: just now", failing_since=now - timedelta(minutes=20))  # not an hour yet
    _job(state=OutboxState.DONE, failing_since=None)
    assert send_failing_jobs_digest() == 2
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["admin2@imro.example.org"]
    assert f"#{old.pk} " in message.body and f"#{gave_up.pk} " in message.body
    assert "greylisted" in message.body and "just now" not in message.body
    assert message.body.index(f"#{old.pk} ") < message.body.index(f"#{gave_up.pk} ")
    assert "2 background job(s) failing for more than an hour" in caplog.text


def test_no_digest_when_nothing_fails(mailoutbox):
    UserFactory(username="admin3", email="admin3@imro.example.org", role=roles.ADMINISTRATOR)
    _job()
    assert send_failing_jobs_digest() == 0
    assert mailoutbox == []
