"""Edits staff make to a case's application data, in the admin console or on the case page.

The admin form saves the fields it shows (never `status`, which only `transition_case`
changes); this service then recomputes the stored deadlines, since they follow from the
dates (and the disputed items) that may have changed, and records who changed what on the
case's timeline. The case page's edits (`cases.services.parties`, `cases.services.disputed_items`)
call it in their own transaction, so both doors write the same event.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from cases.models import Case, CaseEventKind
from cases.services.workflow import DEADLINE_FIELDS, lock_case, record_case_event, refresh_deadlines


def record_staff_edit(
    *,
    case_id: int,
    by: User | None,
    created: bool,
    changed: list[str],
    details: dict[str, Any] | None = None,
    reason: str = "",
) -> Case:
    """Refresh the deadlines of a case staff just created or edited and log the edit.

    `changed` names what changed as the admin does ("parties", "disputed items", field names);
    `details` (the case page's) say which row and field, `reason` a line for the timeline."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        refresh_deadlines(case=case)
        case.save(update_fields=[*DEADLINE_FIELDS, "updated_at"])
        if created or changed:
            record_case_event(
                case=case,
                by=by,
                kind=CaseEventKind.CREATED_BY_STAFF if created else CaseEventKind.EDITED_BY_STAFF,
                reason=reason,
                data={"changed": sorted(changed), **(details or {})},
            )
    return case
