"""Staff add or remove a treatment in dispute on the case page, until a reviewer is assigned.

When (`items_locked_reason`, the one rule the page and the services read): the application's
treatments can be corrected while the case is received, in eligibility review, awaiting records
or ready for assignment — before a reviewer is offered the case, whose fitness (specialty for
the treatments) and conflict checks were made for these very items. Never on a case consolidated
into another (its items are reviewed there), never for an item filed under a consolidated case
(split the consolidation instead), and never once the record is final (cases.record_lock: a
remanded case that comes back to ready for assignment keeps the items its letter decided).
A case keeps at least one item. The items stay numbered 1..n in the letter's order.

Each change locks the case, recomputes the deadlines (a formulary-only dispute has a shorter
determination deadline) and writes the admin's EDITED_BY_STAFF event (`record_staff_edit`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from cases.errors import CaseError
from cases.models import Case, CaseStatus, DisputedItem
from cases.record_lock import final_reason
from cases.services.staff_edits import record_staff_edit
from cases.services.workflow import ensure_unchanged, lock_case, status_label

S = CaseStatus
# Before a reviewer is assigned (domain.md: the reviewer is matched to the treatments).
ITEM_EDIT_STATES = (S.RECEIVED, S.ELIGIBILITY_REVIEW, S.AWAITING_RECORDS, S.READY_FOR_ASSIGNMENT)
MAX_ITEMS = 30  # as many as the intake form takes
ITEM_FIELDS = (
    "description",
    "category",
    "formulary_drug",
    "procedure_code",
    "quantity",
    "body_part",
    "ur_decision",
    "claims_administrator_guideline",
)


def items_locked_reason(*, case: Case, final: str | None) -> str | None:
    """Why the treatments in dispute of `case` cannot be added or removed now, or None.

    `final`: `cases.record_lock.final_reason(case.pk)`, which the caller reads (once per page)."""
    if case.status not in ITEM_EDIT_STATES:
        return (
            f"The treatments in dispute can be changed only until a reviewer is assigned; "
            f"this case is {status_label(case.status).lower()}."
        )
    if case.consolidated_into_id is not None:
        return (
            "This case is consolidated into another: its treatments are reviewed (and changed) there. "
            "Split it off first to change them here."
        )
    if final:
        return f"{final} Its treatments in dispute are read-only."
    return None


def _ensure_open(case: Case) -> None:
    reason = items_locked_reason(case=case, final=final_reason(case.pk))
    if reason:
        raise CaseError(reason)


def add_disputed_item(
    *, case_id: int, fields: dict[str, Any], by: User | None, expected_from: str | None = None
) -> DisputedItem:
    """Add a treatment in dispute at the end of the case's list; raises CaseError (nothing written)."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_unchanged(case=case, expected_from=expected_from)
        _ensure_open(case)
        last = case.disputed_items.aggregate(last=Max("position"))["last"] or 0
        if case.disputed_items.count() >= MAX_ITEMS:
            raise CaseError(f"A case has at most {MAX_ITEMS} treatments in dispute.")
        item = DisputedItem(
            case=case, position=last + 1, **{k: v for k, v in fields.items() if k in ITEM_FIELDS}
        )
        for name in ("description", "procedure_code", "body_part", "claims_administrator_guideline"):
            setattr(item, name, (getattr(item, name) or "").strip())
        try:
            item.full_clean()
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise CaseError(" ".join(messages), field=None if field == "__all__" else field) from error
        item.save()
        record_staff_edit(
            case_id=case.pk,
            by=by,
            created=False,
            changed=[str(DisputedItem._meta.verbose_name_plural)],
            details={
                "added_item": {"id": item.pk, "position": item.position, "description": item.description}
            },
            reason=f"Treatment in dispute added: {item.position}. {item.description}",
        )
    return item


def remove_disputed_item(
    *, case_id: int, item_id: int, by: User | None, expected_from: str | None = None
) -> DisputedItem:
    """Remove a treatment in dispute and number the others 1..n again; returns the removed item
    (unsaved). Raises CaseError (nothing written) when it may not be removed."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_unchanged(case=case, expected_from=expected_from)
        items = list(case.disputed_items.select_for_update().order_by("position"))
        item = next((each for each in items if each.pk == item_id), None)
        if item is None:
            raise CaseError(f"This treatment is no longer in dispute on case {case.case_number}.")
        _ensure_open(case)
        if item.origin_case_id is not None:
            raise CaseError(
                "This treatment was filed under a case consolidated into this one: split that case off "
                "instead of removing the treatment."
            )
        if len(items) == 1:
            raise CaseError(
                "A case needs at least one treatment in dispute: add the right one before removing this one "
                "(or withdraw the case)."
            )
        removed = {"id": item.pk, "position": item.position, "description": item.description}
        remaining = [each for each in items if each.pk != item_id]
        item.delete()
        # Ascending, each moves into the place just freed: the unique (case, position) holds throughout.
        for position, each in enumerate(remaining, start=1):
            if each.position != position:
                each.position = position
                each.save(update_fields=["position"])
        record_staff_edit(
            case_id=case.pk,
            by=by,
            created=False,
            changed=[str(DisputedItem._meta.verbose_name_plural)],
            details={"removed_item": removed},
            reason=f"Treatment in dispute removed: {removed['position']}. {removed['description']}",
        )
    return item
