"""What /healthz checks: a small registry of named checks, each answering ok or not, and why.

The site is healthy when every registered check is. A check is a function taking a
`HealthContext` (which lends it a Redis client on the broker with short timeouts, shared by the
checks of one request) and returning a `CheckResult`; an exception counts as a failure named by
its type (its text stays in the log: the endpoint needs no login). A higher app adds its own from
`AppConfig.ready()`:

    from core import health

    @health.register("outbox")
    def oldest_due_outbox_row(context: health.HealthContext) -> health.CheckResult:
        age = ...  # seconds
        return health.CheckResult(ok=age < 300, detail=f"oldest due row {age:.0f} s old", value=age)

Checks run in registration order: core's own (database, broker, workers, beat) first.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import redis
from django.conf import settings
from django.db import connection

from core import clock, heartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    value: float | None = None  # a figure a monitor may graph (an age in seconds, a count)


class HealthContext:
    """What the checks of one /healthz request share: the broker's Redis, connected at most once."""

    def __init__(self) -> None:
        self._redis: redis.Redis | None = None
        self._redis_error: Exception | None = None

    @property
    def eager(self) -> bool:
        """No broker configured: tasks run in the web process (the embedded default)."""
        return not settings.CELERY_BROKER_URL

    def redis(self) -> redis.Redis:
        """The broker's Redis, answered; raises the first failure again without waiting twice."""
        if self._redis_error is not None:
            raise self._redis_error
        if self._redis is None:
            client = heartbeat.redis_client()
            try:
                client.ping()
            except redis.RedisError as error:
                self._redis_error = error
                raise
            self._redis = client
        return self._redis


Check = Callable[[HealthContext], CheckResult]


@dataclass
class _Registry:
    checks: dict[str, Check] = field(default_factory=dict)


_registry = _Registry()


def register(name: str) -> Callable[[Check], Check]:
    """Decorator: add a check under `name` (a repeated name replaces the earlier check)."""

    def add(check: Check) -> Check:
        _registry.checks[name] = check
        return check

    return add


def unregister(name: str) -> None:
    _registry.checks.pop(name, None)


def registered() -> list[str]:
    return list(_registry.checks)


@dataclass(frozen=True)
class Report:
    results: dict[str, CheckResult]
    milliseconds: dict[str, float]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.results.items() if not result.ok]

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.ok else "failing",
            "failing": self.failing,
            "checks": {
                name: {
                    "ok": result.ok,
                    "detail": result.detail,
                    **({"value": result.value} if result.value is not None else {}),
                    "ms": round(self.milliseconds[name], 1),
                }
                for name, result in self.results.items()
            },
        }


def run_checks(names: list[str] | None = None) -> Report:
    """Run every registered check, or only those named (in registration order)."""
    context = HealthContext()
    results: dict[str, CheckResult] = {}
    milliseconds: dict[str, float] = {}
    for name, check in list(_registry.checks.items()):
        if names is not None and name not in names:
            continue
        started = time.perf_counter()
        try:
            results[name] = check(context)
        except Exception as error:
            logger.warning("health check %s failed", name, exc_info=True)
            results[name] = CheckResult(ok=False, detail=f"failed: {type(error).__name__}")
        milliseconds[name] = (time.perf_counter() - started) * 1000
    return Report(results=results, milliseconds=milliseconds)


def _age_seconds(raw: bytes | str | None) -> float | None:
    """How long ago a heartbeat value was written (for people; freshness is the key's TTL)."""
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(json.loads(raw)["at"])
    except (ValueError, KeyError, TypeError):
        return None
    return max(0.0, (clock.now() - at).total_seconds())


@register("database")
def check_database(context: HealthContext) -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(ok=True, detail=f"{connection.vendor} answered")


@register("broker")
def check_broker(context: HealthContext) -> CheckResult:
    if context.eager:
        return CheckResult(ok=True, detail="no broker: tasks run in the web process")
    try:
        context.redis()
    except redis.RedisError as error:
        return CheckResult(ok=False, detail=f"Redis unreachable ({type(error).__name__})")
    return CheckResult(ok=True, detail="Redis answered")


@register("workers")
def check_workers(context: HealthContext) -> CheckResult:
    """Every queue has at least one worker whose heartbeat has not expired."""
    if context.eager:
        return CheckResult(ok=True, detail="no workers needed: tasks run in the web process")
    try:
        client = context.redis()
    except redis.RedisError:
        return CheckResult(ok=False, detail="not checked: Redis unreachable")
    queues = list(settings.HEARTBEAT_QUEUES)
    values = client.mget([heartbeat.queue_key(queue) for queue in queues])
    missing = [queue for queue, value in zip(queues, values, strict=True) if value is None]
    ages = [age for age in map(_age_seconds, values) if age is not None]
    oldest = max(ages) if ages else None
    if missing:
        return CheckResult(ok=False, detail=f"no live worker for queue {', '.join(missing)}", value=oldest)
    return CheckResult(ok=True, detail=f"a live worker on each queue: {', '.join(queues)}", value=oldest)


@register("beat")
def check_beat(context: HealthContext) -> CheckResult:
    """Celery beat (the periodic work) has ticked within three heartbeat periods."""
    if context.eager:
        return CheckResult(ok=True, detail="no beat: periodic work is run by hand")
    try:
        client = context.redis()
    except redis.RedisError:
        return CheckResult(ok=False, detail="not checked: Redis unreachable")
    age = _age_seconds(client.get(heartbeat.beat_key()))
    if age is None:
        return CheckResult(ok=False, detail="beat is not running (no heartbeat)")
    return CheckResult(ok=True, detail=f"beat ticked {age:.0f} s ago", value=age)
