"""When a case's record is final, and the guard that keeps its children as they were.

Once a case's determination is submitted to QA, approved or issued (or a letter was issued),
what the determination rests on is fixed: its disputed items, the documents it lists, and the
parties the letter names and goes to. `cases` is the floor of the project and cannot read
determinations, so the determinations app registers the question here from `ready()`
(`determinations.hooks`); PostgreSQL asks the same question in a trigger (migration
`determinations/0008_sec_case_children_read_only`).

A party's email and mailing address stay correctable (a returned letter is sent again to the
corrected address; the delivery records the address it used). Adding a party (an attorney who
appears late) or a document stays possible: nothing that was decided changes. A disputed item
can be neither added, changed nor removed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from cases.errors import CaseError

_checks: list[Callable[[int], str | None]] = []


class CaseRecordFinalError(CaseError):
    """A child of a case whose record is final was about to be changed."""


def final_record_check(check: Callable[[int], str | None]) -> Callable[[int], str | None]:
    """Register `check(case_id)`: why the case's record is final (a sentence), or None."""
    _checks.append(check)
    return check


def final_reason(case_id: int | None) -> str | None:
    if case_id is None:
        return None
    for check in _checks:
        reason = check(case_id)
        if reason:
            return reason
    return None


class FinalRecordChild(models.Model):
    """A model whose rows belong to a case and are read-only once the case's record is final."""

    # Fields that may still change (corrections that alter nothing decided).
    correctable_when_final: ClassVar[tuple[str, ...]] = ()
    addable_when_final: ClassVar[bool] = True

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        case_id = self.case_id  # type: ignore[attr-defined]
        if self._state.adding:
            if not self.addable_when_final and (reason := final_reason(case_id)):
                self._refuse(reason, f"adding a {self._meta.verbose_name}")
        else:
            loaded = getattr(self, "_loaded", {})
            changed = [
                name
                for name, value in loaded.items()
                if name not in self.correctable_when_final and getattr(self, name) != value
            ]
            if changed:
                reason = final_reason(loaded.get("case_id", case_id)) or final_reason(case_id)
                if reason:
                    self._refuse(reason, f"changing {', '.join(changed)}")
        super().save(*args, **kwargs)
        self._loaded = self._current_values()

    def delete(self, *args, **kwargs):
        reason = final_reason(self.case_id)  # type: ignore[attr-defined]
        if reason:
            self._refuse(reason, f"deleting a {self._meta.verbose_name}")
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """A form adding a row to a final case (the admin's add page) says why, as a form error."""
        super().clean()
        if self._state.adding and not self.addable_when_final:
            reason = final_reason(getattr(self, "case_id", None))
            if reason:
                raise ValidationError(
                    f"{reason} No {self._meta.verbose_name} can be added to it: its record is read-only."
                )

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = instance._current_values()
        return instance

    def _current_values(self) -> dict[str, Any]:
        return {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if field.attname in self.__dict__
        }

    def _refuse(self, reason: str, what: str) -> None:
        raise CaseRecordFinalError(
            f"{reason} Its {self._meta.verbose_name_plural} are read-only: {what} refused. "
            "A correction of the determination is a corrected letter with a reason."
        )
