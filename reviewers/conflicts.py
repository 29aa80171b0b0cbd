"""Conflict-of-interest screening: a reviewer's recorded affiliations against a case's parties.

Names are compared after normalization (case, punctuation, "&"/"and", personal titles such as
"Dr." / "MD" / "DO" and corporate suffixes such as "Inc." / "LLC" / "Corp." removed), and also
with their words sorted, so "Treating, Alan" meets "Dr. Alan Treating". NPIs are compared
exactly (digits only). A false positive costs a staff member a manual assignment; a false
negative puts a conflicted physician on a binding decision, so the comparison leans wide.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewers.models import Reviewer
    from reviewers.selectors import CaseScreening

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Personal titles and degrees, dropped at either end of a name.
_TITLES = frozenset(
    {
        "dr",
        "doctor",
        "md",
        "do",
        "phd",
        "dc",
        "dpm",
        "dds",
        "dmd",
        "np",
        "pa",
        "rn",
        "mph",
        "facp",
        "faaos",
        "esq",
    }
)
# Corporate forms, dropped at the end of a name (repeatedly: "Foo Holdings Co., Inc.").
_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "pc",
        "pllc",
        "plc",
        "pa",
        "apc",
        "apmc",
        "lc",
        "the",
    }
)
# Dotted forms that would otherwise split into single letters ("P.C." -> "p c").
_DOTTED = {"m.d.": "md", "d.o.": "do", "p.c.": "pc", "l.l.c.": "llc", "l.l.p.": "llp", "ph.d.": "phd"}


def normalize_name(value: str) -> str:
    """The comparable form of a person or organization name ('' when nothing is left)."""
    text = (value or "").casefold().replace("&", " and ")
    for dotted, plain in _DOTTED.items():
        text = text.replace(dotted, f" {plain} ")
    words = [w for w in _NON_WORD.sub(" ", text).split() if w]
    while words and words[0] in _TITLES | {"the"}:
        words.pop(0)
    while words and (words[-1] in _SUFFIXES or words[-1] in _TITLES):
        words.pop()
    return " ".join(words)


@functools.lru_cache(maxsize=65536)
def name_keys(value: str) -> frozenset[str]:
    """The keys a name matches on: its normalized form and its words sorted.

    Cached: the picker screens the same employers, insurers and affiliations case after case.
    """
    normalized = normalize_name(value)
    if not normalized:
        return frozenset()
    return frozenset({normalized, " ".join(sorted(normalized.split()))})


def normalize_npi(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) == 10 else ""


@dataclass(frozen=True)
class PartyName:
    """One name on a case that a reviewer must not be affiliated with."""

    label: str  # what the exclusion message names, e.g. "claims administrator Golden State Claims"
    keys: frozenset[str]


@dataclass
class CaseConflictTargets:
    """Everything on a case a reviewer's affiliations are checked against, normalized once."""

    names: list[PartyName] = field(default_factory=list)
    npis: dict[str, str] = field(default_factory=dict)  # npi -> label

    def keys_to_labels(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for name in self.names:
            for key in name.keys:
                mapping.setdefault(key, name.label)
        return mapping


def conflict_targets(
    *, parties: Iterable[tuple[str, str, str, str]], ur_reviewer_name: str, ur_organization: str
) -> CaseConflictTargets:
    """Build the targets from (role label, name, organization, npi) rows and the UR names."""
    targets = CaseConflictTargets()
    for role_label, name, organization, npi in parties:
        for value in (name, organization):
            keys = name_keys(value)
            if keys:
                targets.names.append(PartyName(label=f"{role_label} {value.strip()}", keys=keys))
        npi_digits = normalize_npi(npi)
        if npi_digits:
            targets.npis[npi_digits] = f"{role_label} {name.strip()} (NPI {npi_digits})"
    for role_label, value in (("UR reviewer", ur_reviewer_name), ("UR organization", ur_organization)):
        keys = name_keys(value)
        if keys:
            targets.names.append(PartyName(label=f"{role_label} {value.strip()}", keys=keys))
    return targets


def conflict_reasons(
    *,
    affiliations: Iterable[tuple[str, str]],
    targets: CaseConflictTargets,
    index: dict[str, str] | None = None,
) -> list[str]:
    """Why (name, identifier) affiliations conflict with the case; empty when they do not.

    `index` is `targets.keys_to_labels()`, passed in when many reviewers are screened
    against the same case so it is built once.
    """
    index = targets.keys_to_labels() if index is None else index
    reasons: list[str] = []
    seen: set[str] = set()
    for name, identifier in affiliations:
        label = None
        npi_digits = normalize_npi(identifier)
        if npi_digits and npi_digits in targets.npis:
            label = targets.npis[npi_digits]
        else:
            for key in name_keys(name):
                if key in index:
                    label = index[key]
                    break
        if label and label not in seen:
            seen.add(label)
            reasons.append(f"Conflict of interest: affiliated with {label} (recorded as “{name}”).")
    return reasons


def screen_conflicts(
    *, reviewer: Reviewer, screening: CaseScreening, affiliations: list[tuple[str, str]] | None = None
) -> list[str]:
    """The case-specific reasons: held the case before, or affiliated with a party.

    `affiliations` are the reviewer's (name, identifier) pairs in name order when already
    loaded (the shortlist brings them); otherwise the prefetched `reviewer.affiliations`.
    """
    reasons: list[str] = []
    if reviewer.pk in screening.previous_reviewer_ids:
        how = screening.previous_outcomes.get(reviewer.pk, "Held it").lower()
        reasons.append(f"Had this case before ({how}): a different reviewer is required.")
    if screening.active_assignment is not None and screening.active_assignment.reviewer_id == reviewer.pk:
        reasons.append("Already holds this case.")
    if affiliations is None:
        affiliations = [(a.name, a.identifier) for a in reviewer.affiliations.all()]
    return reasons + conflict_reasons(
        affiliations=affiliations,
        targets=screening.targets,
        index=screening.target_index,
    )
