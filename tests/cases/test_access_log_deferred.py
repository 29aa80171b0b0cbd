"""A listing of many cases (a report's CSV of a year's late determinations) writes its access-log
rows through the outbox: the request writes one job row; the job writes one row per case, with
the request's time, user, address and path, exactly once however often it runs (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from cases.jobs import WRITE_ACCESS_LOG
from cases.models import AccessAction, AccessLogEntry
from cases.services.audit import log_listed_cases
from core import outbox
from core.models import OutboxJob, OutboxState
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _listing(settings, count: int):
    settings.ACCESS_LOG_DEFERRED_ROWS = 2
    user = UserFactory()
    cases = [CaseFactory() for _ in range(count)]
    request = RequestFactory().get(
        "/reports/late_determinations.csv?from=2026-01-01&to=2026-11-30",
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/156",
        REMOTE_ADDR="203.0.113.7",
    )
    request.user = user
    return user, cases, request


def test_a_large_listing_is_logged_by_one_job_with_the_request_s_details(
    postgres, settings, django_capture_on_commit_callbacks
):
    user, cases, request = _listing(settings, 3)
    with django_capture_on_commit_callbacks(execute=False) as handed_over:
        log_listed_cases(
            user=user, case_ids=[c.pk for c in cases], action=AccessAction.EXPORT, object_repr="report x",
            request=request,
        )  # fmt: skip
    # The request wrote the job row alone; the rows come once it is handed over (at commit).
    job = OutboxJob.objects.get(kind=WRITE_ACCESS_LOG)
    assert not AccessLogEntry.objects.filter(user=user).exists()
    for callback in handed_over:
        callback()  # tasks run eagerly in the tests: the job is worked here
    job.refresh_from_db()
    assert job.state == OutboxState.DONE
    rows = list(AccessLogEntry.objects.filter(user=user).order_by("case_id"))
    assert [r.case_id for r in rows] == sorted(c.pk for c in cases)
    assert {(r.action, r.object_repr, r.ip_address, r.user_agent) for r in rows} == {
        (AccessAction.EXPORT, "report x", "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Chrome/156")
    }
    assert {r.path for r in rows} == {"/reports/late_determinations.csv?from=2026-01-01&to=2026-11-30"}
    assert len({r.at for r in rows}) == 1 and rows[0].at.isoformat() == job.payload["at"]

    # The same job run again (a retry after a crash, a redelivered message) writes nothing more.
    outbox.run_job(outbox.enqueue(WRITE_ACCESS_LOG, payload=job.payload).pk)
    assert AccessLogEntry.objects.filter(user=user).count() == 3


def test_a_listing_at_the_threshold_is_written_in_the_request(postgres, settings):
    user, cases, request = _listing(settings, 2)
    log_listed_cases(
        user=user, case_ids=[c.pk for c in cases], action=AccessAction.VIEW_CASE, request=request
    )
    assert not OutboxJob.objects.filter(kind=WRITE_ACCESS_LOG).exists()
    assert AccessLogEntry.objects.filter(user=user).count() == 2
