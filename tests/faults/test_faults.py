"""Fault injection on the production process set: nothing is lost when Redis, a worker or SMTP dies.

The Procfile's workers (letters, email, default) and beat run against a private Redis without
persistence, aiosmtpd and the test database (tests/faults/stack.py). QA approvals are made by
a separate process with the same settings, as the web process makes them. Each test injects one
fault mid-batch and ends when every letter is issued exactly once and every delivery is sent:
0 lost. Duplicates (the same Message-ID received twice) are counted and reported; they are 0
except when a worker is killed between the SMTP server's "250 OK" and the commit that marks the
delivery sent, the one window the design leaves.
"""

from __future__ import annotations

import time
from collections import Counter

import psycopg
import pytest
from django.db import connection

from core.models import OutboxJob, OutboxState
from determinations.models import Delivery, DeliveryStatus, Determination, DeterminationStatus, Letter
from imr_site import roles
from tests.conftest import wait_for
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import UserFactory
from tests.faults.conftest import ROWS, FaultRow
from tests.faults.stack import Stack

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EMAILS_PER_LETTER = 4  # the seed case's four parties all have an email address
# A busy CI machine finishes a batch in well under a minute; a job stuck on something that never
# answers is killed at the stack's claim timeout (60 s) and worked again, so allow for one of those.
FINISH_TIMEOUT = 150


def _submitted(count: int) -> list[int]:
    """Determinations waiting for QA (the seed case, each its own case)."""
    ids = []
    for _ in range(count):
        # Built as submitted: an approved determination is read-only (a trigger refuses going back).
        determination = approved_seed_determination(status=DeterminationStatus.SUBMITTED)
        ids.append(determination.pk)
    return ids


def _qa_user():
    return UserFactory(role=roles.CLINICAL_QA)


def _approve(stack: Stack, ids: list[int]) -> None:
    stack.run_driver("approve", str(_qa_user().pk), *map(str, ids))


def _sent(ids: list[int]) -> int:
    return Delivery.objects.filter(letter__determination_id__in=ids, status=DeliveryStatus.SENT).count()


def _outbox_state() -> str:
    """The outbox's unfinished rows, for a timeout's message."""
    rows = OutboxJob.objects.exclude(state=OutboxState.DONE).order_by("pk")
    lines = [
        f"outbox {job.pk} {job.kind} {job.state} attempts={job.attempts} due={job.next_attempt_at:%H:%M:%S} "
        f"claimed={job.claimed_at and f'{job.claimed_at:%H:%M:%S}'} error={job.last_error[-300:]!r}"
        for job in rows[:30]
    ]
    return "\n".join(lines or ["outbox: every row done"]) + "\n" + _sessions()


def _sessions() -> str:
    """What every other session on the test database is doing: a hung worker shows here
    (waiting on a lock, idle in a transaction, or idle while its process waits elsewhere)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, now() - xact_start, left(query, 160) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "ORDER BY pid"
        )
        rows = cursor.fetchall()
    return "\n".join(
        f"session {pid} {state} wait={kind}/{event} in transaction for {age} last query: {query!r}"
        for pid, state, kind, event, age, query in rows
    )


def _finish_and_measure(
    stack: Stack, ids: list[int], *, fault: str, started: float, note: str = ""
) -> FaultRow:
    expected = len(ids) * EMAILS_PER_LETTER

    restarts_before = sum(stack.restarts.values())

    def done() -> bool:
        stack.revive()
        return (
            _sent(ids) == expected and not OutboxJob.objects.filter(state__in=["pending", "running"]).exists()
        )

    deadline = time.monotonic() + FINISH_TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {FINISH_TIMEOUT}s waiting for {fault}: every delivery sent; "
                f"{_sent(ids)} of {expected} sent\n{_outbox_state()}\n{stack.diagnostics()}"
            )
        time.sleep(0.5)
    seconds = time.monotonic() - started
    restarted = sum(stack.restarts.values()) - restarts_before
    if restarted:
        note = f"{note}; {restarted} process(es) exited by themselves and were restarted".lstrip("; ")
    time.sleep(1.5)  # a straggling duplicate would arrive now
    per_determination = Counter(
        Letter.objects.filter(determination_id__in=ids).values_list("determination_id", flat=True)
    )
    deliveries = list(Delivery.objects.filter(letter__determination_id__in=ids))
    received = stack.smtp.recorder.message_ids()
    delivered = sum(1 for d in deliveries if received[d.message_id] >= 1)
    duplicates = sum(received[d.message_id] - 1 for d in deliveries if received[d.message_id] > 1)
    row = FaultRow(
        fault=fault,
        letters_expected=len(ids),
        letters_issued=len(per_determination),
        emails_expected=expected,
        delivered=delivered,
        duplicates=duplicates,
        seconds=seconds,
        note=note,
    )
    ROWS.append(row)
    # Every letter issued exactly once, every delivery sent and received: 0 lost.
    assert per_determination == Counter(dict.fromkeys(ids, 1))
    assert len(deliveries) == expected and {d.status for d in deliveries} == {DeliveryStatus.SENT}
    assert delivered == expected
    # No message the SMTP server got belongs to no delivery.
    assert set(received) <= {d.message_id for d in deliveries}
    assert not OutboxJob.objects.exclude(state=OutboxState.DONE).exists()
    return row


def test_no_fault_baseline(fault_stack):
    ids = _submitted(2)
    started = time.monotonic()
    _approve(fault_stack, ids)
    row = _finish_and_measure(fault_stack, ids, fault="none", started=started)
    assert row.duplicates == 0


def test_redis_killed_mid_batch_loses_nothing(fault_stack):
    """kill -9 of a Redis without persistence: every message in it is gone; the rows are not."""
    ids = _submitted(4)
    started = time.monotonic()
    _approve(fault_stack, ids)
    wait_for(lambda: len(fault_stack.smtp.recorder.messages) >= 1, timeout=60, what="the first email")
    fault_stack.redis.kill()
    sent_at_kill = len(fault_stack.smtp.recorder.messages)
    time.sleep(2)
    fault_stack.redis.start()  # empty: the queued hand-offs are lost
    row = _finish_and_measure(
        fault_stack, ids, fault="Redis kill -9 mid-batch, no persistence", started=started,
        note=f"{sent_at_kill} of {len(ids) * EMAILS_PER_LETTER} received when killed",
    )  # fmt: skip
    assert row.duplicates == 0  # no worker died: nothing sent twice


def test_workers_killed_repeatedly_mid_batch_lose_nothing(fault_stack):
    """kill -9 of the letters and email workers (with their pool children), three times, each
    right after an email arrived: the most likely moment to find a send inside its crash window."""
    ids = _submitted(4)
    started = time.monotonic()
    _approve(fault_stack, ids)
    received_before = 0
    for _ in range(3):
        wait_for(
            lambda before=received_before: (
                len(fault_stack.smtp.recorder.messages) > before or _sent(ids) == len(ids) * 4
            ),
            timeout=60,
            what="progress between kills",
        )
        fault_stack.kill("email")
        fault_stack.kill("letters")
        received_before = len(fault_stack.smtp.recorder.messages)
        time.sleep(0.2)
        fault_stack.start("email")
        fault_stack.start("letters")
    row = _finish_and_measure(
        fault_stack, ids, fault="3 x kill -9 of the letters and email workers", started=started,
        note="a duplicate only inside the crash window (SMTP accepted, commit not yet), same Message-ID",
    )  # fmt: skip
    # Inside the crash window a message may go twice, always with the same Message-ID (counted
    # above by Message-ID): at most one per send in flight when the email worker was killed.
    assert row.duplicates <= fault_stack.kills["email"] * int(fault_stack.env()["EMAIL_CONCURRENCY"])


def test_smtp_down_and_back_loses_nothing(fault_stack):
    ids = _submitted(3)
    started = time.monotonic()
    _approve(fault_stack, ids)
    wait_for(lambda: len(fault_stack.smtp.recorder.messages) >= 1, timeout=60, what="the first email")
    fault_stack.smtp.stop()
    wait_for(
        lambda: OutboxJob.objects.filter(kind="determinations.send_delivery").exclude(last_error="").exists(),
        timeout=30,
        what="a send to fail while SMTP is down",
    )
    time.sleep(3)
    fault_stack.smtp.start()
    row = _finish_and_measure(
        fault_stack, ids, fault="SMTP server stopped, started 3 s later", started=started
    )
    assert row.duplicates == 0


def test_qa_approval_while_redis_is_down_issues_every_letter(fault_stack):
    ids = _submitted(3)
    fault_stack.redis.kill()
    started = time.monotonic()
    _approve(fault_stack, ids)  # each approval commits; its hand-off to the broker fails
    assert set(Determination.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        DeterminationStatus.APPROVED
    }
    jobs = OutboxJob.objects.filter(kind="determinations.issue_letter", payload__determination_id__in=ids)
    assert jobs.count() == 3 and {job.state for job in jobs} == {OutboxState.PENDING}
    assert not Letter.objects.filter(determination_id__in=ids).exists()
    time.sleep(1)
    fault_stack.redis.start()
    row = _finish_and_measure(fault_stack, ids, fault="3 QA approvals while Redis is down", started=started)
    assert row.duplicates == 0


def test_a_letter_worker_stuck_on_a_lock_is_killed_and_the_letter_issued_once(fault_stack):
    """A handler waiting on something that never answers (here a table another session keeps
    locked) would keep its outbox row `running` under a live lock for good. The pool kills the
    task at the claim timeout (`core.run_outbox_job`'s time limit); once the lock is let go the
    sweeper hands the row over again and the letter is issued, once."""
    ids = _submitted(1)
    log = fault_stack.workdir / "letters.log"
    killed_before = log.read_text(errors="replace").count("Hard time limit")
    with psycopg.connect(fault_stack.database_url) as blocker:
        # Reads go on; writing the letter row waits for this lock (a QA approval writes none).
        blocker.execute(f"LOCK TABLE {Letter._meta.db_table} IN EXCLUSIVE MODE")
        started = time.monotonic()
        _approve(fault_stack, ids)
        wait_for(
            lambda: OutboxJob.objects.filter(
                kind="determinations.issue_letter",
                state=OutboxState.RUNNING,
                payload__determination_id=ids[0],
            ).exists(),
            timeout=30,
            what="the letters worker to claim the job",
        )
        limit = float(fault_stack.env()["OUTBOX_CLAIM_TIMEOUT_SECONDS"])
        wait_for(
            lambda: log.read_text(errors="replace").count("Hard time limit") > killed_before,
            timeout=limit + 30,
            interval=0.5,
            what="the pool to kill the stuck task at its time limit",
        )
        assert not Letter.objects.filter(determination_id=ids[0]).exists()  # nothing half-issued
        blocker.rollback()
    row = _finish_and_measure(
        fault_stack, ids, fault="letters worker stuck on a table lock", started=started,
        note=f"killed at the {limit:.0f} s time limit, issued on the next try",
    )  # fmt: skip
    assert row.duplicates == 0
