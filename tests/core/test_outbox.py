"""The transactional outbox (core.outbox) on real PostgreSQL transactions and row locks.

Bad inputs tried: a rolled-back transaction, a broker that refuses the hand-off, the same row
run from two workers at once, a worker that died holding a row, a permanent (domain) error,
an error on every attempt, a handler that is not registered.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from core import clock, outbox
from core.errors import DomainError
from core.models import OutboxJob, OutboxState
from core.tasks import run_outbox_job
from imr_site.celery import app as celery_app

ran: list[int] = []
gate = threading.Event()
entered = threading.Event()


@outbox.register("tests.probe")
def probe(*, value: int) -> None:
    if value == -1:
        raise DomainError("cannot be done")
    if value == -2:
        raise OSError("connection refused")
    if value == -3:
        entered.set()
        assert gate.wait(10)
    ran.append(value)


@pytest.fixture(autouse=True)
def _clear() -> None:
    ran.clear()
    gate.clear()
    entered.clear()


pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_a_row_is_worked_only_after_the_commit_and_once(postgres):
    with transaction.atomic():
        job = outbox.enqueue("tests.probe", payload={"value": 1}, cause="test")
        assert ran == []  # nothing runs inside the transaction
    assert ran == [1]
    job.refresh_from_db()
    assert job.state == OutboxState.DONE and job.attempts == 1 and job.finished_at is not None
    assert outbox.run_job(job.pk) is None  # a repeated message finds it done
    assert ran == [1]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_leaves_no_job(postgres):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("tests.probe", payload={"value": 1})
        raise RuntimeError("the step failed")
    assert not OutboxJob.objects.exists() and ran == []


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_refuses_the_hand_off_delays_the_job_and_loses_nothing(postgres, monkeypatch, caplog):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(run_outbox_job, "apply_async", broker_down)
    with transaction.atomic():
        job = outbox.enqueue("tests.probe", payload={"value": 7})
    job.refresh_from_db()  # the step committed; the job waits
    assert job.state == OutboxState.PENDING and job.enqueued_at is None and ran == []
    assert "outbox.dispatch" in caplog.text
    assert outbox.oldest_due_age(now=clock.now() + timedelta(seconds=30)) >= 30
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)  # the broker is back
    assert outbox.sweep() == {"due": 1, "abandoned": 0}
    job.refresh_from_db()
    assert job.state == OutboxState.DONE and ran == [7]
    assert outbox.sweep() == {"due": 0, "abandoned": 0}


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_run_the_same_row(postgres):
    job = OutboxJob.objects.create(kind="tests.probe", payload={"value": -3}, next_attempt_at=clock.now())
    results: list[str | None] = []

    def worker() -> None:
        try:
            results.append(outbox.run_job(job.pk))
        finally:
            connections.close_all()

    first = threading.Thread(target=worker)
    first.start()
    assert entered.wait(10)
    # The row is running under the first worker's live lock: a second worker, and the
    # sweeper, leave it alone.
    assert outbox.run_job(job.pk) is None
    assert outbox.sweep() == {"due": 0, "abandoned": 0}
    gate.set()
    first.join(10)
    job.refresh_from_db()
    assert results == [OutboxState.DONE] and job.state == OutboxState.DONE and job.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_row_whose_worker_died_is_handed_over_by_the_sweeper(postgres):
    # What `kill -9` leaves: `running`, claimed a moment ago, and no session holding its lock.
    job = OutboxJob.objects.create(
        kind="tests.probe",
        payload={"value": 5},
        state=OutboxState.RUNNING,
        attempts=1,
        claimed_at=clock.now(),
        claim_token="dead",
        next_attempt_at=clock.now(),
    )
    assert outbox.sweep() == {"due": 0, "abandoned": 1}
    job.refresh_from_db()
    assert job.state == OutboxState.DONE and job.attempts == 2 and ran == [5]


@pytest.mark.django_db(transaction=True)
def test_the_last_attempt_dying_with_its_worker_fails_the_row(postgres):
    job = OutboxJob.objects.create(
        kind="tests.probe",
        payload={"value": 5},
        state=OutboxState.RUNNING,
        attempts=8,
        max_attempts=8,
        claimed_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    assert outbox.run_job(job.pk) is None
    job.refresh_from_db()
    assert job.state == OutboxState.FAILED and "worker died" in job.last_error and ran == []


@pytest.mark.django_db
def test_a_domain_error_fails_at_once_and_other_errors_are_retried_later(postgres):
    permanent = outbox.enqueue("tests.probe", payload={"value": -1})
    assert outbox.run_job(permanent.pk) == OutboxState.FAILED
    permanent.refresh_from_db()
    assert permanent.last_error == "DomainError: cannot be done" and permanent.attempts == 1

    transient = outbox.enqueue("tests.probe", payload={"value": -2})
    before = clock.now()
    assert outbox.run_job(transient.pk) == OutboxState.PENDING
    transient.refresh_from_db()
    assert "connection refused" in transient.last_error and transient.failing_since is not None
    assert transient.next_attempt_at >= before + outbox.retry_delay(1)
    assert outbox.run_job(transient.pk) is None  # not due yet


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_when_written_and_fails_when_found(postgres):
    with pytest.raises(ValueError, match="No handler"):
        outbox.enqueue("tests.nobody", payload={})
    job = OutboxJob.objects.create(kind="tests.nobody", next_attempt_at=clock.now())
    assert outbox.run_job(job.pk) == OutboxState.FAILED
    job.refresh_from_db()
    assert "No handler" in job.last_error


def test_retries_grow_and_stay_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 900
    delays = [outbox.retry_delay(n).total_seconds() for n in range(1, 9)]
    assert delays == [30, 60, 120, 240, 480, 900, 900, 900]


@pytest.mark.django_db
def test_advisory_locks_are_per_database(postgres):
    """Another session of this database holding a row's lock is seen; ours is released after run."""
    job = outbox.enqueue("tests.probe", payload={"value": 3})
    outbox.run_job(job.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s "
            "AND pid = pg_backend_pid()",
            [outbox.ADVISORY_NAMESPACE, job.pk],
        )
        assert cursor.fetchone()[0] == 0
