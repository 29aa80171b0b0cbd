"""The Celery queues and which task goes to which (imports no app).

Three queues so one kind of work never waits behind another: `letters` renders PDFs (slow,
CPU-bound), `email` talks to SMTP (slow, I/O-bound, retried), `default` takes the rest
(assignment, deadline marking). Each has its own worker process in the Procfile, and each can
be scaled on its own. A task not named here goes to `default`.

`CELERY_QUEUE_PREFIX` (empty in production) lets the test suite's worker use queues of its own
on a shared Redis.
"""

from __future__ import annotations

LETTERS = "letters"
EMAIL = "email"
DEFAULT = "default"
KINDS = (LETTERS, EMAIL, DEFAULT)

# Task name -> queue kind. Tasks not listed go to DEFAULT. The side effects of a step are
# outbox jobs (core.outbox): their one task, `core.run_outbox_job`, is sent to the queue of the
# job's kind each time (letters: issue a letter; email: deliveries and notices; default: the
# rest); its route here only names the queue of a hand-off that says none.
TASK_QUEUES: dict[str, str] = {
    "core.run_outbox_job": DEFAULT,
    "cases.tasks.send_deadline_digest": EMAIL,
    "core.outbox_digest": EMAIL,
    "cases.tasks.mark_overdue_cases": DEFAULT,
    "core.sweep_outbox": DEFAULT,
    "billing.tasks.invoice_previous_month": DEFAULT,
    # Renders PDFs: with the letters.
    "determinations.tasks.send_late_records_notices": LETTERS,
}


def queue_name(kind: str, *, prefix: str = "") -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown queue kind {kind!r}; one of {', '.join(KINDS)}")
    return f"{prefix}{kind}"


def queue_names(*, prefix: str = "") -> list[str]:
    """Every queue a deployment must serve, in the Procfile's order."""
    return [queue_name(kind, prefix=prefix) for kind in KINDS]


def task_routes(*, prefix: str = "") -> dict[str, dict[str, str]]:
    """CELERY_TASK_ROUTES: each listed task to its queue."""
    return {task: {"queue": queue_name(kind, prefix=prefix)} for task, kind in TASK_QUEUES.items()}
