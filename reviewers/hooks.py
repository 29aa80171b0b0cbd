"""What the reviewers app does when a case enters a state (registered in `cases.hooks`).

Imported by `ReviewersConfig.ready()`. These run inside the case's transition, after the
new state is saved, in the order written here (and before the determinations app's hooks).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from cases.hooks import on_enter
from cases.models import Case, CaseStatus
from core import outbox
from reviewers.jobs import ASSIGN_REVIEWER
from reviewers.services.assignment import end_assignments

S = CaseStatus


@on_enter(S.READY_FOR_ASSIGNMENT)
def enqueue_assignment(*, case: Case, source: str, by: AbstractBaseUser | None) -> None:
    """Pick a reviewer once the step is committed (the job finds an assigned case and stops)."""
    outbox.enqueue(
        ASSIGN_REVIEWER,
        payload={"case_id": case.pk},
        key=f"case:{case.pk}",
        by=by,
        cause=f"case {case.case_number} ready for assignment",
    )


def _end_review(*, case: Case, source: str, by: AbstractBaseUser | None) -> dict[str, Any] | None:
    """The case ended (withdrawn, terminated) or a new review starts (remand): the reviewer no
    longer holds it. The event records which assignments ended."""
    ended = end_assignments(case=case)
    if ended or source == S.DETERMINATION_ISSUED:
        return {"ended_assignment_ids": [assignment.pk for assignment in ended]}
    return None


on_enter(S.WITHDRAWN)(_end_review)
on_enter(S.TERMINATED)(_end_review)
# A remand: back to assignment from an issued determination (a decline or a reassignment
# ends its own assignment before moving the case).
on_enter(S.READY_FOR_ASSIGNMENT, sources=[S.DETERMINATION_ISSUED])(_end_review)
