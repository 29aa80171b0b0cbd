"""What the determinations app does when a case enters a state (registered in `cases.hooks`),
and when a case's record is final (registered in `cases.record_lock`).

Imported by `DeterminationsConfig.ready()`; runs after the reviewers app's hooks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from cases.hooks import on_enter
from cases.models import Case, CaseStatus
from cases.record_lock import final_record_check
from determinations.models import Determination, DeterminationStatus

S = CaseStatus


@on_enter(S.READY_FOR_ASSIGNMENT, sources=[S.DETERMINATION_ISSUED])
def supersede_on_remand(*, case: Case, source: str, by: AbstractBaseUser | None) -> dict[str, Any]:
    """A remand starts a new review: the issued determination (and its letter) stays on file,
    superseded, and its reviewer may not review the case again."""
    current = Determination.objects.current().select_for_update().filter(case=case).first()
    if current is None:
        return {"superseded_determination_id": None, "excluded_reviewer_id": None}
    current.status = DeterminationStatus.SUPERSEDED
    current.save(update_fields=["status", "updated_at"])
    return {"superseded_determination_id": current.pk, "excluded_reviewer_id": current.reviewer_id}


# The statuses whose determination fixes the case's record (cases.record_lock). A superseded
# draft (a reassignment) does not; a superseded issued determination does through its letter.
FINAL_STATUSES = (DeterminationStatus.SUBMITTED, DeterminationStatus.APPROVED, DeterminationStatus.ISSUED)


@final_record_check
def determination_fixes_the_record(case_id: int) -> str | None:
    final = (
        Determination.objects.filter(case_id=case_id)
        .filter(Q(status__in=FINAL_STATUSES) | Q(letters__isnull=False))
        .select_related("case")
        .order_by("-id")
        .first()
    )
    if final is None:
        return None
    if final.status in FINAL_STATUSES:
        return f"The determination of case {final.case.case_number} is {final.get_status_display().lower()}."
    return f"A letter was issued for case {final.case.case_number}."
