"""Rules about a party's identifiers and postal address, written once for the intake, the
import and the case page.

A mailing address is stored as text (`Party.mailing_address`): the street lines, then
"City, ST 12345" (USPS style), which the letters and the post tray print as they are. The case
page edits it as street, city, state and ZIP (`format_address`), and reads an address on file
back into those parts (`split_address`) when it follows that shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import luhn

from core.us_states import POSTAL_CODES

# The NPI check digit is a Luhn digit computed over the number prefixed with 80840
# (the health-industry issuer prefix), per the CMS NPI standard.
NPI_LUHN_PREFIX = "80840"
MAX_ADDRESS = 500  # a postal address, in characters
ZIP_PATTERN = re.compile(r"^[0-9]{5}(?:-[0-9]{4})?$")


def is_valid_npi(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{10}", value)) and luhn.is_valid(NPI_LUHN_PREFIX + value)


def zip_problem(value: str) -> str | None:
    """Why `value` is not a US ZIP code (12345 or 12345-6789), or None."""
    if not ZIP_PATTERN.fullmatch(value.strip()):
        return f"“{value.strip()}” is not a ZIP code: give 5 digits, or ZIP+4 as 12345-6789."
    return None


def state_problem(value: str) -> str | None:
    """Why `value` is not a USPS state code, or None."""
    if value.strip().upper() not in POSTAL_CODES:
        return f"“{value.strip()}” is not a US state: choose one of the USPS state codes (e.g. CA)."
    return None


@dataclass(frozen=True)
class AddressParts:
    street: str  # one or more lines
    city: str
    state: str  # a USPS code
    zip_code: str


def format_address(parts: AddressParts) -> str:
    """The stored text: the street lines, then "City, ST 12345"."""
    street = "\n".join(line.strip() for line in parts.street.splitlines() if line.strip())
    return f"{street}\n{parts.city.strip()}, {parts.state.strip().upper()} {parts.zip_code.strip()}"


# "…, Fresno, CA 93721" or "…\nFresno, CA 93721-1234": the city, state and ZIP end the address.
_LAST_PART = re.compile(
    r"^(?P<street>.+?)\s*[,\n]\s*(?P<city>[^,\n]+?)\s*,?\s+(?P<state>[A-Za-z]{2})\s+"
    r"(?P<zip>[0-9]{5}(?:-[0-9]{4})?)\s*$",
    re.DOTALL,
)


def split_address(text: str) -> AddressParts | None:
    """The parts of an address on file, or None when it does not end in "City, ST ZIP"."""
    match = _LAST_PART.match((text or "").strip())
    if match is None or match["state"].upper() not in POSTAL_CODES:
        return None
    street = "\n".join(line.strip() for line in match["street"].splitlines() if line.strip())
    return AddressParts(
        street=street, city=match["city"].strip(), state=match["state"].upper(), zip_code=match["zip"]
    )
