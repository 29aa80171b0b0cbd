"""Helpers for tests that touch outbox jobs (core.outbox)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from core import outbox


def stub_job(monkeypatch, kind: str, handler: Callable[..., object]) -> None:
    """Replace the handler of an outbox job kind for one test (e.g. no automatic assignment)."""
    monkeypatch.setitem(outbox._kinds, kind, dataclasses.replace(outbox._kinds[kind], handler=handler))


def run_job_now(kind: str, **payload: object):
    """Write a job row and work it in this process at once (as the worker would); returns the row."""
    job = outbox.enqueue(kind, payload=payload)
    outbox.run_job(job.pk)
    job.refresh_from_db()
    return job


def enqueue_twice(kind: str, **payload: object):
    """A job row handed to the workers twice (a redelivered or duplicated message)."""
    job = outbox.enqueue(kind, payload=payload)  # handed over on commit (autocommit: now)
    outbox.dispatch([job.pk])
    return job
