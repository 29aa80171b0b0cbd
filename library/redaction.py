"""Redaction of a case's parties from the text the public reads.

`redactor_for(parties)` builds one regular expression from every party field of a case (names
in any letter case, with or without an honorific; claim numbers and NPIs with or without
punctuation; dates of birth in the usual spellings; mailing addresses and their street line;
email addresses) and replaces each hit with the party's role ("the injured worker"). Ages and
clinical facts are not party fields and stay, as in the letters the State publishes.

A person's name is also redacted word by word (a rationale may say "Ms. Example"); an
organization's name only whole, so "Coastal Physical Therapy" does not take the words
"physical therapy" out of a treatment. Over-redaction is the safe side: a surname that is also
an ordinary word is removed wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cases.models import Party, PartyRole

ROLE_WORDS: dict[str, str] = {
    PartyRole.EMPLOYEE: "the injured worker",
    PartyRole.ATTORNEY: "the employee's attorney",
    PartyRole.EMPLOYER: "the employer",
    PartyRole.CLAIMS_ADMINISTRATOR: "the claims administrator",
    PartyRole.REQUESTING_PROVIDER: "the requesting provider",
}
CLAIM_NUMBER_WORDS = "[claim number]"
NPI_WORDS = "[NPI]"
DATE_OF_BIRTH_WORDS = "[date of birth]"
ADDRESS_WORDS = "[address]"
EMAIL_WORDS = "[email address]"

HONORIFIC = r"(?:(?:mr|mrs|ms|miss|mx|dr|doctor|attorney|atty)\.?\s+)?"
# Words of a person's name that are titles, not the person.
NAME_NOISE = {
    "dr", "md", "do", "dc", "pt", "phd", "np", "pa", "jr", "sr", "ii", "iii", "esq", "mr", "mrs", "ms",
}  # fmt: skip
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def _literal(text: str) -> str:
    """A pattern for `text`: any run of spaces matches any whitespace, any apostrophe any apostrophe."""
    parts = []
    for chunk in re.split(r"(\s+|['\u2019`])", text.strip()):
        if not chunk:
            continue
        if chunk.isspace():
            parts.append(r"\s+")
        elif chunk in ("'", "\u2019", "`"):
            parts.append("['\u2019`]")
        else:
            parts.append(re.escape(chunk))
    return "".join(parts)


def _loose_alnum(text: str) -> str:
    """Letters and digits of `text` in order, anything not alphanumeric allowed between them
    (so GSC-07-118204 also matches GSC07118204 and GSC 07 118204)."""
    characters = [re.escape(ch) for ch in text if ch.isalnum()]
    return r"[\W_]*".join(characters)


def date_spellings(day: date) -> list[str]:
    """How a date of birth may be written in a record."""
    month = MONTHS[day.month - 1]
    return [
        f"{day.month:02d}/{day.day:02d}/{day.year}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day.month:02d}-{day.day:02d}-{day.year}",
        f"{day.month}-{day.day}-{day.year}",
        f"{day.month}/{day.day}/{day.year % 100:02d}",
        f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}",
        day.isoformat(),
        f"{month} {day.day}, {day.year}",
        f"{month} {day.day} {day.year}",
        f"{month[:3]} {day.day}, {day.year}",
        f"{month[:3]}. {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        f"{day.year}{day.month:02d}{day.day:02d}",
    ]


def _is_person(party: Party) -> bool:
    if party.role in (PartyRole.EMPLOYEE, PartyRole.ATTORNEY):
        return True
    if party.role == PartyRole.REQUESTING_PROVIDER:
        return bool(party.first_name or party.last_name) or bool(
            re.match(r"\s*(dr|doctor)\b", party.name, re.IGNORECASE)
        )
    return False


def name_words(party: Party) -> list[str]:
    """The words of a person's name that identify them (not 'Dr.', 'MD')."""
    words: list[str] = []
    for source in (party.name, party.first_name, party.last_name):
        for word in re.split(r"[\s,]+", source or ""):
            word = word.strip(".")
            if len(word) < 2 or word.lower() in NAME_NOISE:
                continue
            words.append(word)
            if "-" in word:
                words.extend(part for part in word.split("-") if len(part) >= 2)
    return words


def address_parts(address: str) -> list[str]:
    """The whole address, each line, and the street part of each line (before its first comma)."""
    address = address.strip()
    if not address:
        return []
    parts = [address]
    for line in address.splitlines():
        line = line.strip().rstrip(",")
        if not line:
            continue
        parts.append(line)
        street = line.split(",")[0].strip()
        if street and any(ch.isdigit() for ch in street):
            parts.append(street)
    return parts


def party_terms(party: Party) -> list[tuple[str, str]]:
    """(pattern, replacement) for every field of `party` that identifies someone."""
    role_words = ROLE_WORDS.get(party.role, "a party")
    terms: list[tuple[str, str]] = []
    names = [party.name, party.organization]
    if party.first_name and party.last_name:
        names.append(f"{party.first_name} {party.last_name}")
        names.append(f"{party.last_name}, {party.first_name}")
    for name in names:
        if name and len(name.strip()) >= 2:
            literal = _literal(name)
            # "Co." / "Inc." may be written without their period.
            literal = re.sub(r"\\\.$", r"\\.?", literal)
            terms.append((HONORIFIC + literal, role_words))
    if _is_person(party):
        for word in name_words(party):
            terms.append((HONORIFIC + _literal(word), role_words))
    if party.claim_number.strip():
        terms.append((_loose_alnum(party.claim_number), CLAIM_NUMBER_WORDS))
    if party.npi.strip():
        terms.append((_loose_alnum(party.npi), NPI_WORDS))
    if party.date_of_birth:
        for spelling in date_spellings(party.date_of_birth):
            terms.append((_literal(spelling), DATE_OF_BIRTH_WORDS))
    for part in address_parts(party.mailing_address):
        terms.append((_literal(part), ADDRESS_WORDS))
    if party.email.strip():
        terms.append((_literal(party.email), EMAIL_WORDS))
    return terms


@dataclass(frozen=True)
class Redactor:
    """Call with a text; returns it with every party field replaced."""

    pattern: re.Pattern[str] | None
    replacements: tuple[str, ...]

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = EMAIL.sub(EMAIL_WORDS, text)
        if self.pattern is None:
            return text
        return self.pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        index = match.lastindex or 0
        words = self.replacements[index - 1]
        before = match.string[: match.start()].rstrip()
        # Sentence-initial: capitalised ("The injured worker reports ..."); else as is.
        if not before or before[-1] in '.!?:\n("':
            return words[0].upper() + words[1:]
        return words


def redactor_for(parties: Iterable[Party]) -> Redactor:
    """One redactor for the parties of a case (longest patterns tried first)."""
    terms: list[tuple[str, str]] = []
    seen: set[str] = set()
    for party in parties:
        for pattern, words in party_terms(party):
            if pattern not in seen:
                seen.add(pattern)
                terms.append((pattern, words))
    if not terms:
        return Redactor(pattern=None, replacements=())
    terms.sort(key=lambda term: len(term[0]), reverse=True)
    alternation = "|".join(f"({pattern})" for pattern, _words in terms)
    # A hit never starts or ends inside a word (or inside a longer number).
    compiled = re.compile(rf"(?<![\w])(?:{alternation})(?![\w])", re.IGNORECASE)
    return Redactor(pattern=compiled, replacements=tuple(words for _pattern, words in terms))
