"""Row locks (writes: they belong in a transaction), read through the picker's compiled queries."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case
from reviewers.models import Reviewer
from reviewers.picking import SLOT, case_facts_annotations, fetch_rows, fetch_scalar, instances


def lock_case_with_facts(*, case_id: int) -> Case | None:
    """The case row locked FOR UPDATE with `case_facts_annotations` (one query), or None.

    Call inside transaction.atomic; the caller decodes the facts with `case_facts`.
    """

    def build() -> QuerySet:
        return (
            Case.objects.select_for_update(of=("self",))
            .annotate(**case_facts_annotations())
            .filter(pk=SLOT)
            .order_by()
        )

    compiled, rows = fetch_rows(("case_with_facts",), build, value=case_id)
    return next(iter(instances(Case, compiled, rows)), None)


def lock_reviewer(*, reviewer_id: int, skip_locked: bool = False) -> bool:
    """Lock the reviewer row FOR UPDATE (inside transaction.atomic); False when `skip_locked`
    and another transaction holds it, or when there is no such reviewer."""

    def build() -> QuerySet:
        return (
            Reviewer.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=SLOT)
            .order_by()
            .values("pk")
        )

    return fetch_scalar(key=("lock_reviewer", skip_locked), build=build, value=reviewer_id) is not None
