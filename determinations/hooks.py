"""What the determinations app does when a case enters a state (registered in `cases.hooks`).

Imported by `DeterminationsConfig.ready()`; runs after the reviewers app's hooks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from cases.hooks import on_enter
from cases.models import Case, CaseStatus
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
