"""The reviewers app's outbox jobs (`core.outbox`): registered from `ReviewersConfig.ready()`.

Each handler takes ids and calls one idempotent service.
"""

from __future__ import annotations

from core import outbox

ASSIGN_REVIEWER = "reviewers.assign_reviewer"
NOTIFY_ASSIGNED_REVIEWER = "reviewers.notify_assigned_reviewer"


@outbox.register(ASSIGN_REVIEWER, queue="default")
def assign_reviewer(*, case_id: int) -> None:
    """Pick a reviewer for a case that is ready for assignment (an assigned case is left alone)."""
    from reviewers.services.assignment import assign_case_automatically

    assign_case_automatically(case_id=case_id)


@outbox.register(NOTIFY_ASSIGNED_REVIEWER, queue="email")
def notify_assigned_reviewer(*, assignment_id: int) -> None:
    """Email the reviewer about the offer (at most once per assignment)."""
    from reviewers.services.notifications import notify_assigned_reviewer as notify

    notify(assignment_id=assignment_id)
