"""What every Celery task of the project shares: enqueue with `task.delay_on_commit(...)`.

Celery's `DjangoTask.delay_on_commit` cannot say `robust=True` (its keyword arguments go to
the task). A task whose enqueue must never fail the request that committed (the broker may be
down; the work can be run later) uses `base=RobustOnCommitTask`, and its callers still write
`task.delay_on_commit(...)`: one idiom at every call site.
"""

from __future__ import annotations

from celery.contrib.django.task import DjangoTask
from django.db import transaction


class RobustOnCommitTask(DjangoTask):
    """A task enqueued after commit whose enqueue failing is logged, not raised to the caller."""

    def delay_on_commit(self, *args, **kwargs) -> None:
        def enqueue() -> None:
            self.delay(*args, **kwargs)

        # Django names the failed hook by its __qualname__ when logging (a functools.partial has none).
        enqueue.__qualname__ = f"{self.name}.delay"
        transaction.on_commit(enqueue, robust=True)
