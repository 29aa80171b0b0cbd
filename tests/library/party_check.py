"""An independent check for party fields in published text (not collected: no test_ prefix).

Written apart from `library.redaction` on purpose: it looks for each party field the plain
way (names in any letter case, claim numbers and NPIs with or without punctuation, the
date of birth as people write it, the address and its street line, the email), so a gap in
the redactor's patterns shows up here as a hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cases.models import Party, PartyRole

PERSON_ROLES = (PartyRole.EMPLOYEE, PartyRole.ATTORNEY)
TITLES = {"dr", "md", "do", "jr", "sr", "mr", "mrs", "ms"}
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _is_person(party: Party) -> bool:
    return party.role in PERSON_ROLES or party.name.lower().startswith("dr")


def party_field_hits(text: str, parties: Iterable[Party]) -> list[str]:
    """Every party field found in `text`, as 'role field: value'."""
    squashed = _squash(text)
    alnum = _alnum(text)
    hits: list[str] = []

    def word_hit(value: str) -> bool:
        return bool(re.search(rf"(?<!\w){re.escape(_squash(value))}(?!\w)", squashed))

    for party in parties:
        where = party.get_role_display()
        names = [party.name, party.organization]
        if _is_person(party):
            names += [party.first_name, party.last_name]
            names += [w.strip(".,") for w in re.split(r"[\s-]+", party.name) if len(w.strip(".,")) >= 3]
        for name in names:
            name = (name or "").strip()
            if name and name.lower().strip(".") not in TITLES and word_hit(name):
                hits.append(f"{where} name: {name}")
        for label, value in (("claim number", party.claim_number), ("NPI", party.npi)):
            if value and _alnum(value) in alnum:
                hits.append(f"{where} {label}: {value}")
        if party.date_of_birth:
            day = party.date_of_birth
            for spelling in (
                f"{day.month:02d}/{day.day:02d}/{day.year}",
                f"{day.month}/{day.day}/{day.year}",
                day.isoformat(),
                f"{MONTHS[day.month - 1]} {day.day}, {day.year}",
            ):
                if spelling.lower() in squashed:
                    hits.append(f"{where} date of birth: {spelling}")
        address = party.mailing_address.strip()
        if address:
            street = address.splitlines()[0].split(",")[0]
            for value in {address, street}:
                if _squash(value) in squashed:
                    hits.append(f"{where} address: {value}")
        if party.email and party.email.lower() in squashed:
            hits.append(f"{where} email: {party.email}")
    return hits
