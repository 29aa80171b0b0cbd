"""What the library does when a case enters a state (registered in `cases.hooks`).

Imported by `LibraryConfig.ready()`; runs after the determinations app's hooks (INSTALLED_APPS
order), so on a remand the determination is already superseded.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from cases.hooks import on_enter
from cases.models import Case, CaseStatus
from determinations.models import Determination, DeterminationStatus
from library.services.publication import unpublish_case
from library.triggers import schedule_publication

S = CaseStatus


@on_enter(S.DETERMINATION_ISSUED)
def publish_on_issue(*, case: Case, source: str, by: AbstractBaseUser | None) -> dict[str, Any] | None:
    determination_id = (
        Determination.objects.current()
        .filter(case=case, status=DeterminationStatus.ISSUED)
        .values_list("pk", flat=True)
        .first()
    )
    if determination_id is None:
        return None
    schedule_publication(determination_id=determination_id)
    return None


@on_enter(S.READY_FOR_ASSIGNMENT, sources=[S.DETERMINATION_ISSUED])
def unpublish_on_remand(*, case: Case, source: str, by: AbstractBaseUser | None) -> dict[str, Any]:
    return {"unpublished_items": unpublish_case(case_id=case.pk)}
