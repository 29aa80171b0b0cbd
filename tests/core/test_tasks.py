"""One queueing idiom: `task.delay_on_commit(...)`; `RobustOnCommitTask` makes that enqueue robust.

Real transactions (`transaction=True`): the on-commit hooks run as in production. Bad inputs
tried: an enqueue that fails after the commit (the task raises while run in process, as a
broker that is down would), for a robust task and for an ordinary one; a rolled-back
transaction, which enqueues nothing.
"""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from core.tasks import RobustOnCommitTask
from imr_site.celery import app as celery_app

ran: list[int] = []


class EnqueueFailed(Exception):
    pass


@celery_app.task(base=RobustOnCommitTask, name="tests.core.robust_probe")
def robust_probe(value: int) -> int:
    if value < 0:
        raise EnqueueFailed(f"cannot enqueue {value}")
    ran.append(value)
    return value


@celery_app.task(name="tests.core.plain_probe")
def plain_probe(value: int) -> int:
    if value < 0:
        raise EnqueueFailed(f"cannot enqueue {value}")
    ran.append(value)
    return value


@pytest.fixture(autouse=True)
def _clear() -> None:
    ran.clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("task", [robust_probe, plain_probe])
def test_delay_on_commit_runs_only_after_the_commit(task):
    with transaction.atomic():
        task.delay_on_commit(1)
        assert ran == []
    assert ran == [1]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("task", [robust_probe, plain_probe])
def test_a_rolled_back_transaction_enqueues_nothing(task):
    with pytest.raises(RuntimeError), transaction.atomic():
        task.delay_on_commit(1)
        raise RuntimeError("refused")
    assert ran == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_robust_enqueue_is_logged_and_the_commit_stands(caplog):
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        robust_probe.delay_on_commit(-1)
        robust_probe.delay_on_commit(2)
    assert "cannot enqueue -1" in caplog.text
    assert ran == [2]  # the next hook still ran


@pytest.mark.django_db(transaction=True)
def test_a_failing_ordinary_enqueue_reaches_the_caller():
    with pytest.raises(EnqueueFailed), transaction.atomic():
        plain_probe.delay_on_commit(-1)
