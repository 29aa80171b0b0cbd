"""Heartbeats that /healthz reads: each Celery worker and beat say "alive" in Redis.

Every HEARTBEAT_SECONDS a worker sets one key per queue it consumes, and beat sets its own key
on every tick (it ticks at least that often: CELERY_BEAT_MAX_INTERVAL). Each key expires after
three periods, so Redis itself forgets a killed process: no clock is compared across machines,
and a queue served by several workers stays fresh while any one of them lives. The keys live in
the broker's Redis database, next to the work they vouch for.

The worker's heartbeat runs in a thread of the worker's main process, registered as a bootstep
in imr_site/celery.py; beat's is `HeartbeatScheduler`, named by CELERY_BEAT_SCHEDULER.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

import redis
from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings

from core import clock

logger = logging.getLogger(__name__)

KEY_PREFIX = "imr:heartbeat:"


def redis_client(*, timeout: float | None = None) -> redis.Redis:
    """A client on the broker's Redis that gives up after `timeout` seconds (connect and reply)."""
    seconds = settings.HEALTH_REDIS_TIMEOUT_SECONDS if timeout is None else timeout
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=seconds, socket_timeout=seconds
    )


def queue_key(queue: str) -> str:
    return f"{KEY_PREFIX}queue:{queue}"


def beat_key() -> str:
    return f"{KEY_PREFIX}beat:{settings.CELERY_QUEUE_PREFIX}"


def ttl_seconds() -> int:
    return settings.HEARTBEAT_SECONDS * 3


def write(client: redis.Redis, keys: list[str], *, node: str) -> None:
    """Set each key to who beat and when, expiring after three heartbeat periods."""
    value = json.dumps({"node": node, "pid": os.getpid(), "at": clock.now().isoformat()})
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.set(key, value, ex=ttl_seconds())
    pipe.execute()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Worker bootstep: a daemon thread writes the heartbeat of every queue the worker consumes."""

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self._stopping = threading.Event()

    def start(self, worker) -> None:
        queues = sorted(worker.app.amqp.queues.consume_from)
        keys = [queue_key(queue) for queue in queues]
        thread = threading.Thread(
            target=self._run, args=(keys, worker.hostname), name="imr-heartbeat", daemon=True
        )
        thread.start()
        logger.info("heartbeat for queues %s every %s s", ", ".join(queues), settings.HEARTBEAT_SECONDS)

    def stop(self, worker) -> None:
        self._stopping.set()

    def _run(self, keys: list[str], node: str) -> None:
        client = redis_client(timeout=max(1.0, settings.HEARTBEAT_SECONDS / 2))
        while not self._stopping.is_set():
            try:
                write(client, keys, node=node)
            except redis.RedisError as error:
                # The broker is down: the worker cannot take work either; /healthz says so.
                logger.warning("heartbeat not written: %s", error)
            self._stopping.wait(settings.HEARTBEAT_SECONDS)


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, writing beat's heartbeat on each tick (at most once a second)."""

    def __init__(self, *args, **kwargs) -> None:
        self._client: redis.Redis | None = None
        self._last_beat = 0.0
        self._node = f"beat@{socket.gethostname()}"
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        if time.monotonic() - self._last_beat >= 1.0:
            self._last_beat = time.monotonic()
            try:
                if self._client is None:
                    self._client = redis_client(timeout=max(1.0, settings.HEARTBEAT_SECONDS / 2))
                write(self._client, [beat_key()], node=self._node)
            except redis.RedisError as error:
                logger.warning("beat heartbeat not written: %s", error)
        return interval
