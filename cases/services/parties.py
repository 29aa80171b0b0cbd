"""Staff correct a party of a case on the case page (the admin's party forms do the same).

One service call locks the case, refuses an edit made on a stale page (someone saved the party
since it was opened: `party_version`), keeps to what the record lock allows once the
determination is submitted (only the email and mailing address: `Party.correctable_when_final`),
checks the values, saves the fields that changed and writes the admin's EDITED_BY_STAFF event.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Field

from cases.errors import CaseError
from cases.models import EARLIEST_CASE_DATE, Party, PartyRole
from cases.record_lock import CaseRecordFinalError, final_reason
from cases.services.staff_edits import record_staff_edit
from cases.services.workflow import lock_case
from cases.validators import MAX_ADDRESS, is_valid_npi
from core import clock

# What staff edit of each party on the case page: the fields the intake asks for that role.
PARTY_FIELDS: dict[str, tuple[str, ...]] = {
    PartyRole.EMPLOYEE: ("first_name", "last_name", "date_of_birth", "sex", "email", "mailing_address"),
    PartyRole.ATTORNEY: ("name", "organization", "email", "mailing_address"),
    PartyRole.EMPLOYER: ("name", "email", "mailing_address"),
    PartyRole.CLAIMS_ADMINISTRATOR: ("name", "claim_number", "email", "mailing_address"),
    PartyRole.REQUESTING_PROVIDER: ("name", "specialty", "npi", "email", "mailing_address"),
}
# Every field the pages edit, and the name the employee's is made from.
_VERSIONED_FIELDS = sorted({"name", *(name for fields in PARTY_FIELDS.values() for name in fields)})


class StaleEditError(CaseError):
    """The row changed since the page that sent the edit was shown."""


def editable_fields(*, party: Party, final: bool) -> tuple[str, ...]:
    """The fields of `party` the case page lets staff change now (`final`: the record is locked)."""
    fields = PARTY_FIELDS.get(party.role, ("name", "email", "mailing_address"))
    if final:
        return tuple(name for name in fields if name in Party.correctable_when_final)
    return fields


def party_version(party: Party) -> str:
    """A fingerprint of what the party's edit page shows: it changes when anyone saves the party."""
    values = {name: str(getattr(party, name) or "") for name in _VERSIONED_FIELDS}
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:20]


def _field(name: str) -> Field:
    return cast(Field, Party._meta.get_field(name))


def _label(name: str) -> str:
    return str(_field(name).verbose_name)


def _check(*, party: Party, name: str, value: Any) -> Any:
    """The cleaned value of one field; CaseError(field=name) when it cannot be stored."""
    if isinstance(value, str):
        value = value.strip()
        max_length = MAX_ADDRESS if name == "mailing_address" else _field(name).max_length
        if max_length and len(value) > max_length:
            raise CaseError(f"Too long: {max_length} characters at most.", field=name)
    if name in ("name", "first_name", "last_name") and not value:
        raise CaseError("This name is required.", field=name)
    if name == "email" and value:
        try:
            validate_email(value)
        except ValidationError as error:
            raise CaseError(f"“{value}” is not an email address.", field=name) from error
    if name == "date_of_birth" and value is not None and not (EARLIEST_CASE_DATE <= value <= clock.today()):
        raise CaseError(
            f"The date of birth must be between {EARLIEST_CASE_DATE.isoformat()} and today.", field=name
        )
    if name == "npi" and value and not is_valid_npi(value):
        raise CaseError(f"“{value}” is not a valid NPI (10 digits with a check digit).", field=name)
    return value


def edit_party(
    *, case_id: int, party_id: int, changes: dict[str, Any], version: str, by: User | None
) -> Party:
    """Save `changes` (field -> new value) to a party of the case; returns the party.

    Raises CaseError (nothing written): the party is not on the case, the page was stale, a
    value is wrong, or a field may not change because the case's record is final."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        party = Party.objects.select_for_update().filter(pk=party_id, case_id=case.pk).first()
        if party is None:
            raise CaseError(f"This party is not on case {case.case_number}.")
        reason = final_reason(case.pk)
        allowed = editable_fields(party=party, final=reason is not None)
        cleaned = {name: _check(party=party, name=name, value=value) for name, value in changes.items()}
        changed = [
            name
            for name, value in cleaned.items()
            if value != getattr(party, name) and not (value in ("", None) and not getattr(party, name))
        ]
        if changed and version != party_version(party):
            # (Sent twice, or what someone else saved already reads the same: nothing to refuse.)
            raise StaleEditError(
                "Someone saved this party since you opened the page. Nothing was saved: "
                "reload the page to see the current details, then make your change again."
            )
        for name in changed:
            if name not in allowed:
                if reason and name in PARTY_FIELDS.get(party.role, ()):
                    raise CaseRecordFinalError(
                        f"{reason} Only the email and mailing address of a party can be corrected now "
                        f"(the {_label(name)} cannot).",
                        field=name,
                    )
                raise CaseError(f"The {_label(name)} of this party is not edited here.", field=name)
            setattr(party, name, cleaned[name])
        if not changed:
            return party
        if party.role == PartyRole.EMPLOYEE and {"first_name", "last_name"} & set(changed):
            party.name = f"{party.first_name} {party.last_name}".strip()
            changed.append("name")
        party.save(update_fields=changed)
        labels = [_label(name) for name in changed if name != "name" or party.role != PartyRole.EMPLOYEE]
        record_staff_edit(
            case_id=case.pk,
            by=by,
            created=False,
            changed=[str(Party._meta.verbose_name_plural)],
            details={"party_id": party.pk, "role": party.role, "fields": sorted(changed)},
            reason=f"{party.get_role_display()}: {', '.join(labels)} changed",
        )
    return party
