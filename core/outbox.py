"""The transactional outbox: every side effect is a row written with the change that causes it.

Life of a row (`core.models.OutboxJob`):

1. `enqueue(kind, payload=..., by=..., cause=...)` inserts it `pending` inside the caller's
   transaction: the work exists exactly when the change does (a rollback takes both back).
2. On commit the row id is handed to Celery (`core.run_outbox_job`, on the kind's queue). That
   is only the fast path: if the broker is down the hand-off is logged and the row waits. With
   no broker (the embedded default) the row is worked in-process right after the commit.
3. A worker claims the row in a short transaction: `SELECT ... FOR UPDATE SKIP LOCKED`, then a
   PostgreSQL advisory lock on the row id that its session holds while the handler runs, then
   `running` + a claim token + one more attempt, committed. Two workers never run one row: the
   second finds it locked or `running` under a live lock and returns.
4. The handler (registered by kind from the higher apps' `AppConfig.ready()`) runs outside
   that transaction; it must be idempotent, as every service it calls is. Success marks the row
   `done`; an error schedules the next attempt (`pending`, `next_attempt_at`, `last_error`) or,
   for a `DomainError` or the last attempt, marks it `failed`. Nothing waits inside Celery: no
   countdown or ETA task sits in the broker, so the broker's visibility timeout never meets a
   retry.
5. `sweep()` (a beat task every OUTBOX_SWEEP_SECONDS) hands again to Celery every row that is
   due and was not handed over recently, and every `running` row whose worker is gone: its
   advisory lock died with its database session (`kill -9`), or it was claimed longer ago than
   OUTBOX_CLAIM_TIMEOUT_SECONDS. Losing every message in Redis therefore delays work by at most
   a sweep interval plus OUTBOX_REQUEUE_SECONDS; it never loses it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q

from core import clock
from core.errors import DomainError
from core.models import OutboxJob, OutboxJobEvent, OutboxState
from imr_site import queues

log = logging.getLogger(__name__)

# The first number of the two-number advisory lock key: "outbox rows" (other locks use others).
ADVISORY_NAMESPACE = 0x0B0C
OPEN_STATES = (OutboxState.PENDING, OutboxState.RUNNING)
QUEUES = queues.KINDS  # letters, email, default (imr_site/queues.py)


@dataclass(frozen=True)
class Kind:
    name: str
    handler: Callable[..., Any]
    queue: str
    max_attempts: int


_kinds: dict[str, Kind] = {}


class OutboxError(DomainError):
    """A job action that cannot be carried out (retry a finished job, cancel without a reason)."""


def register(name: str, *, queue: str = "default", max_attempts: int = 8) -> Callable[[Callable], Callable]:
    """Register the decorated function as the handler of job kind `name`.

    It is called as `handler(**payload)` and must be idempotent: a crash after it did its work
    and before the row is marked done runs it again.
    """
    if queue not in QUEUES:
        raise ValueError(f"Unknown outbox queue {queue!r}; one of {QUEUES}.")

    def add(handler: Callable) -> Callable:
        known = _kinds.get(name)
        if known is not None and known.handler is not handler:
            raise ValueError(f"Outbox kind {name!r} is registered twice.")
        _kinds[name] = Kind(name=name, handler=handler, queue=queue, max_attempts=max_attempts)
        return handler

    return add


def registered_kinds() -> dict[str, Kind]:
    return dict(_kinds)


def enqueue(
    kind: str,
    *,
    payload: dict[str, Any],
    key: str = "",
    by: AbstractBaseUser | None = None,
    cause: str = "",
    delay: timedelta | None = None,
) -> OutboxJob:
    """Write a job row in the current transaction; it is handed to a worker once that commits."""
    if kind not in _kinds:
        raise ValueError(f"No handler is registered for outbox kind {kind!r}.")
    now = clock.now()
    job = OutboxJob.objects.create(
        kind=kind,
        payload=payload,
        key=key,
        max_attempts=_kinds[kind].max_attempts,
        next_attempt_at=now + (delay or timedelta(0)),
        caused_by=by if by is not None and by.is_authenticated else None,  # type: ignore[misc]
        cause=cause[:200],
    )
    if delay is None:
        job_id = job.pk

        def hand_over() -> None:
            dispatch([job_id])

        hand_over.__qualname__ = f"outbox.dispatch({kind} #{job_id})"
        # robust: a broker that is down must not fail the request that committed; the sweeper
        # hands the row over later.
        transaction.on_commit(hand_over, robust=True)
    return job


def _eager() -> bool:
    from imr_site.celery import app

    return bool(app.conf.task_always_eager)


def celery_queue(kind: str) -> str:
    """The Celery queue a kind's rows go to: its class's queue (letters, email, default), under
    the prefix of the configured default queue (tests give their worker queues of its own)."""
    from imr_site.celery import app

    default_queue = app.conf.task_default_queue
    if not default_queue.endswith(queues.DEFAULT):
        return default_queue
    prefix = default_queue.removesuffix(queues.DEFAULT)
    return queues.queue_name(_kinds[kind].queue if kind in _kinds else queues.DEFAULT, prefix=prefix)


def dispatch(job_ids: list[int]) -> None:
    """Hand rows to Celery (or, with no broker, work them here and now)."""
    if not job_ids:
        return
    if _eager():
        for job_id in job_ids:
            run_job(job_id)
        return
    from core.tasks import run_outbox_job

    kinds = dict(OutboxJob.objects.filter(pk__in=job_ids).values_list("pk", "kind"))
    sent: list[int] = []
    try:
        for job_id in job_ids:
            if job_id in kinds:
                run_outbox_job.apply_async((job_id,), queue=celery_queue(kinds[job_id]))
                sent.append(job_id)
    finally:
        if sent:
            OutboxJob.objects.filter(pk__in=sent).update(enqueued_at=clock.now())


# --- locks -------------------------------------------------------------------------------


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _try_lock(job_id: int) -> bool:
    if not _postgres():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, job_id])
        return bool(cursor.fetchone()[0])


def _unlock(job_id: int) -> None:
    if not _postgres():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, job_id])
    except Exception:  # the connection is gone, and the lock with it
        log.warning("could not release the advisory lock of outbox job %s", job_id, exc_info=True)


def _locked_job_ids() -> set[int] | None:
    """Ids of rows some live database session is working on; None where locks are not visible."""
    if not _postgres():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 "
            "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [ADVISORY_NAMESPACE],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def _claim_timeout() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)


# --- working a row -----------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job: OutboxJob
    token: str


def _claim(job_id: int) -> Claim | None:
    with transaction.atomic():
        job = (
            OutboxJob.objects.select_for_update(skip_locked=True)
            .filter(pk=job_id, state__in=OPEN_STATES)
            .first()
        )
        if job is None:
            return None  # done, cancelled, or another worker is claiming it right now
        now = clock.now()
        if job.state == OutboxState.PENDING and job.next_attempt_at > now:
            return None  # not due yet: the sweeper hands it over when it is
        if not _try_lock(job.pk):
            return None  # a live session works it
        if (
            job.state == OutboxState.RUNNING
            and not _postgres()
            and job.claimed_at
            and job.claimed_at > now - _claim_timeout()
        ):
            _unlock(job.pk)
            return None
        if job.state == OutboxState.RUNNING and job.attempts >= job.max_attempts:
            # Its last attempt died with its worker (a crash, perhaps the job itself): give up.
            job.state = OutboxState.FAILED
            job.finished_at = now
            job.last_error = (
                job.last_error + "\n" if job.last_error else ""
            ) + "The worker died during the last attempt."
            job.save(update_fields=["state", "finished_at", "last_error", "updated_at"])
            _unlock(job.pk)
            return None
        job.state = OutboxState.RUNNING
        job.claimed_at = now
        job.claim_token = uuid.uuid4().hex
        job.attempts += 1
        job.save(update_fields=["state", "claimed_at", "claim_token", "attempts", "updated_at"])
        return Claim(job=job, token=job.claim_token)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from OUTBOX_RETRY_BASE_SECONDS, capped."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS))


def run_job(job_id: int) -> str | None:
    """Claim and work one row; returns its new state, or None when it was not ours to run."""
    claim = _claim(job_id)
    if claim is None:
        return None
    job = claim.job
    try:
        kind = _kinds.get(job.kind)
        try:
            if kind is None:
                raise OutboxError(f"No handler is registered for job kind {job.kind!r}.")
            kind.handler(**job.payload)
        except Exception as error:
            return _record_failure(job=job, token=claim.token, error=error)
        return _finish(job=job, token=claim.token)
    finally:
        _unlock(job.pk)


def _finish(*, job: OutboxJob, token: str) -> str:
    now = clock.now()
    OutboxJob.objects.filter(pk=job.pk, claim_token=token, state=OutboxState.RUNNING).update(
        state=OutboxState.DONE, finished_at=now, failing_since=None, updated_at=now
    )
    return OutboxState.DONE


def _record_failure(*, job: OutboxJob, token: str, error: Exception) -> str:
    now = clock.now()
    message = f"{type(error).__name__}: {error}"[:2000]
    permanent = isinstance(error, DomainError)
    gave_up = permanent or job.attempts >= job.max_attempts
    state = OutboxState.FAILED if gave_up else OutboxState.PENDING
    log.warning("outbox job %s (%s) attempt %s failed: %s", job.pk, job.kind, job.attempts, message)
    OutboxJob.objects.filter(pk=job.pk, claim_token=token, state=OutboxState.RUNNING).update(
        state=state,
        last_error=message,
        failing_since=job.failing_since or now,
        next_attempt_at=job.next_attempt_at if gave_up else now + retry_delay(job.attempts),
        finished_at=now if gave_up else None,
        enqueued_at=None,
        updated_at=now,
    )
    return state


# --- the sweeper -------------------------------------------------------------------------


def abandoned(job: OutboxJob, *, locked: set[int] | None, now: datetime) -> bool:
    """A `running` row whose worker is gone: no session holds its lock, or its claim is too old."""
    if job.state != OutboxState.RUNNING:
        return False
    if job.claimed_at is not None and job.claimed_at < now - _claim_timeout():
        return True
    return locked is not None and job.pk not in locked


def sweep(*, limit: int = 500) -> dict[str, int]:
    """Hand over again what is due and not handed over recently, and what a dead worker held."""
    now = clock.now()
    requeue_before = now - timedelta(seconds=settings.OUTBOX_REQUEUE_SECONDS)
    due = list(
        OutboxJob.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    locked = _locked_job_ids()
    running = OutboxJob.objects.filter(state=OutboxState.RUNNING).only("pk", "state", "claimed_at")
    stale = [job.pk for job in running if abandoned(job, locked=locked, now=now)]
    dispatch(due + stale)
    if due or stale:
        log.info("outbox sweep handed over %s due and %s abandoned rows", len(due), len(stale))
    return {"due": len(due), "abandoned": len(stale)}


def oldest_due_age(*, now: datetime | None = None) -> float:
    """Seconds since the oldest open row fell due (0 when none is waiting): a health figure."""
    now = now or clock.now()
    oldest = (
        OutboxJob.objects.filter(state__in=OPEN_STATES, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


# --- staff actions (the jobs page) -------------------------------------------------------


def retry_job(*, job_id: int, by: AbstractBaseUser, reason: str) -> OutboxJob:
    """Make a failed or waiting row due now (a failed one gets its attempts back)."""
    reason = reason.strip()
    if not reason:
        raise OutboxError("Say why the job is retried.", field="reason")
    with transaction.atomic():
        job = OutboxJob.objects.select_for_update().get(pk=job_id)
        if job.state not in (OutboxState.PENDING, OutboxState.FAILED, OutboxState.CANCELLED):
            raise OutboxError(f"This job is {job.get_state_display().lower()}; it cannot be retried now.")
        if job.state != OutboxState.PENDING:
            job.max_attempts = job.attempts + max(
                _kinds[job.kind].max_attempts if job.kind in _kinds else 1, 1
            )
        job.state = OutboxState.PENDING
        job.next_attempt_at = clock.now()
        job.finished_at = None
        job.enqueued_at = None
        job.save()
        _log_action(job=job, by=by, action="retried", reason=reason)
        job_id = job.pk
        transaction.on_commit(lambda: dispatch([job_id]), robust=True)
    return job


def cancel_job(*, job_id: int, by: AbstractBaseUser | None, reason: str) -> OutboxJob:
    """Stop a waiting or failed row (or one whose worker died) from running again."""
    reason = reason.strip()
    if not reason:
        raise OutboxError("Say why the job is cancelled.", field="reason")
    with transaction.atomic():
        job = OutboxJob.objects.select_for_update().get(pk=job_id)
        now = clock.now()
        dead = job.state == OutboxState.RUNNING and abandoned(job, locked=_locked_job_ids(), now=now)
        if job.state not in (OutboxState.PENDING, OutboxState.FAILED) and not dead:
            raise OutboxError(
                f"This job is {job.get_state_display().lower()}; "
                "only a waiting or failed job can be cancelled."
            )
        job.state = OutboxState.CANCELLED
        job.finished_at = now
        job.save(update_fields=["state", "finished_at", "updated_at"])
        _log_action(job=job, by=by, action="cancelled", reason=reason)
    return job


def _log_action(*, job: OutboxJob, by: AbstractBaseUser | None, action: str, reason: str) -> None:
    OutboxJobEvent.objects.create(
        job=job, by_id=by.pk if by is not None else None, action=action, reason=reason
    )
    log.warning("outbox job %s (%s) %s by %s: %s", job.pk, job.kind, action, by, reason)


# --- reads for the pages ---------------------------------------------------------------


def open_job(*, kind: str, key: str) -> OutboxJob | None:
    """The open (waiting or running) row of `kind` about `key`, the soonest due first."""
    return (
        OutboxJob.objects.filter(kind=kind, key=key, state__in=OPEN_STATES)
        .order_by("next_attempt_at")
        .first()
    )


def is_overdue(job: OutboxJob, *, now: datetime | None = None) -> bool:
    """A row nothing is working although it should be: due longer than OUTBOX_OVERDUE_SECONDS
    ago and not running under a live worker (or running longer than the claim timeout)."""
    now = now or clock.now()
    if job.state == OutboxState.RUNNING:
        return abandoned(job, locked=_locked_job_ids(), now=now)
    if job.state != OutboxState.PENDING:
        return False
    return job.next_attempt_at < now - timedelta(seconds=settings.OUTBOX_OVERDUE_SECONDS)
