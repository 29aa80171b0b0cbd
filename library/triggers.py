"""The one place that asks for a determination to be published.

`schedule_publication` is called inside the transaction that issues the letter (from the
`determination_issued` on-enter hook). It enqueues the publication task on commit, so a
rolled-back issue publishes nothing and the PDF rendering runs outside the issuing request.
When task enqueueing moves to a transactional outbox, only this function changes: replace
the `delay_on_commit` line with the outbox's enqueue call (same task, same argument).
"""

from __future__ import annotations


def schedule_publication(*, determination_id: int) -> None:
    from library.tasks import publish_determination_task

    publish_determination_task.delay_on_commit(determination_id)
