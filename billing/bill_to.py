"""Who an invoice is addressed to: one place, so a later issue can swap it for organizations.

Today a case is billed to its claims-administrator party, and cases are grouped by that
party's name, normalized (`bill_to_key`): case, punctuation and spacing do not split one
administrator into two invoices ("Golden State Claims Services" and "GOLDEN STATE CLAIMS
SERVICES." are one). When organizations arrive, `bill_to_key` and `BillTo.from_party` are the
two functions to replace (the key becomes the organization's id).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cases.models import PartyRole

BILL_TO_ROLE = PartyRole.CLAIMS_ADMINISTRATOR
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def bill_to_key(name: str) -> str:
    """The grouping key of a claims administrator's name: accents, case, punctuation and
    spacing removed ("Golden State Claims Services, Inc." -> "golden state claims services inc")."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").casefold()
    return _NOT_WORD.sub(" ", folded).strip()[:200]


@dataclass(frozen=True)
class BillTo:
    key: str
    name: str
    email: str
    mailing_address: str

    @classmethod
    def from_party(cls, *, name: str, email: str, mailing_address: str) -> BillTo:
        return cls(
            key=bill_to_key(name),
            name=" ".join(name.split()),
            email=email.strip(),
            mailing_address=mailing_address.strip(),
        )
