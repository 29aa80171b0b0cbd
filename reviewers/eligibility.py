"""Whether a reviewer may be assigned a case on a given date (domain.md, "Reviewers").

Pure functions over already-loaded rows, so one case can be screened against many reviewers
without a query per reviewer. `reviewers.selectors` loads the rows; `reviewers.picking` holds the SQL form of
the same rules (used to shortlist quickly); tests check the two agree.

Decisions where the rules leave room:
- A license is valid through its expiry date: one expiring today still counts today.
- "More than five years in practice": the fifth anniversary of `in_practice_since` is not
  enough; the day after is. A practice started on 29 February reaches its fifth
  anniversary on 1 March.
- The weekly-hours attestation is current for 365 days: attested 365 days ago passes,
  366 days ago fails. An attestation dated in the future is treated as a data error.
- A case with several disputed items needs a reviewer with, for EVERY item, a board
  certification acceptable for that item (one certification may cover several items).
- A specialty rule with a body region applies to an item whose body part contains every
  word of the region ("spine" covers "lumbar spine"); a rule with a blank region applies
  to every item of its category. A category without any rule cannot be matched: the
  reason says to add a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from cases.models import ItemCategory
from reviewers.models import Reviewer, ReviewerStatus

MIN_WEEKLY_HOURS = Decimal("24")
ATTESTATION_VALID_DAYS = 365
PRACTICE_YEARS = 5
CALIFORNIA = "CA"
# Staff are warned this many days before a license expires or an attestation lapses.
WARNING_DAYS = 30


def normalize_specialty(value: str) -> str:
    # Kept to what SQL can do identically (LOWER(TRIM(...))) so both forms agree.
    return (value or "").strip().lower()


def _region_words(value: str) -> list[str]:
    return [w for w in "".join(c if c.isalnum() else " " for c in (value or "").lower()).split() if w]


def region_applies(*, rule_region: str, body_part: str) -> bool:
    """A blank rule region applies to every body part; otherwise every word must appear."""
    wanted = _region_words(rule_region)
    if not wanted:
        return True
    present = set(_region_words(body_part))
    return all(word in present for word in wanted)


def practice_threshold(*, in_practice_since: date) -> date:
    """The fifth anniversary of practice: a reviewer qualifies only on a later date."""
    try:
        return in_practice_since.replace(year=in_practice_since.year + PRACTICE_YEARS)
    except ValueError:  # 29 February in a year whose fifth successor is not a leap year
        return date(in_practice_since.year + PRACTICE_YEARS, 3, 1)


def practiced_long_enough(*, in_practice_since: date, on: date) -> bool:
    return on > practice_threshold(in_practice_since=in_practice_since)


def latest_practice_start(*, on: date) -> date:
    """The latest `in_practice_since` that qualifies on `on` (for SQL filters)."""
    candidate = date(on.year - PRACTICE_YEARS, on.month, 1) + timedelta(days=on.day - 1)
    # Walk back at most a few days to the last start whose threshold falls before `on`.
    while not practiced_long_enough(in_practice_since=candidate, on=on):
        candidate -= timedelta(days=1)
    return candidate


def attestation_current(*, attested_on: date, on: date) -> bool:
    age = (on - attested_on).days
    return 0 <= age <= ATTESTATION_VALID_DAYS


def earliest_current_attestation(*, on: date) -> date:
    return on - timedelta(days=ATTESTATION_VALID_DAYS)


def license_valid(*, license, on: date) -> bool:
    return bool(license.active and license.unrestricted and license.expires_on >= on)


@dataclass(frozen=True)
class ItemRequirement:
    """The specialties acceptable for one disputed item (normalized), and how to name them."""

    label: str
    acceptable: frozenset[str]
    acceptable_display: tuple[str, ...]


def item_requirements(
    *, items: Iterable[tuple[str, str]], rules: Iterable[tuple[str, str, str]]
) -> list[ItemRequirement]:
    """For each (category, body_part) item, its acceptable specialties from (category, region, specialty)."""
    rules = list(rules)
    requirements: list[ItemRequirement] = []
    for category, body_part in items:
        display: dict[str, str] = {}
        for rule_category, region, specialty in rules:
            if rule_category == category and region_applies(rule_region=region, body_part=body_part):
                display.setdefault(normalize_specialty(specialty), specialty.strip())
        category_label = ItemCategory(category).label if category in ItemCategory.values else category
        label = f"{category_label} ({body_part})" if body_part else category_label
        requirements.append(
            ItemRequirement(
                label=label,
                acceptable=frozenset(display),
                acceptable_display=tuple(sorted(display.values())),
            )
        )
    return requirements


def ineligibility_reasons(
    *,
    reviewer,
    licenses: Sequence,
    certifications: Sequence,
    open_cases: int,
    requirements: Sequence[ItemRequirement],
    on: date,
    require_california: bool,
) -> list[str]:
    """Every reason the reviewer may not be assigned on `on`; empty when they may.

    `reviewer` needs status, max_open_cases, in_practice_since, weekly_practice_hours and
    hours_attested_on; licenses need state, active, unrestricted, expires_on;
    certifications need specialty.
    """
    reasons: list[str] = []
    if reviewer.status != ReviewerStatus.ACTIVE:
        reasons.append("Suspended.")
    valid = [lic for lic in licenses if license_valid(license=lic, on=on)]
    if not valid:
        if not licenses:
            reasons.append("No medical license on record.")
        else:
            reasons.append("No active, unrestricted, unexpired medical license.")
    elif require_california and not any(lic.state == CALIFORNIA for lic in valid):
        reasons.append("No valid California license (required by this IMRO).")
    held = {normalize_specialty(c.specialty) for c in certifications}
    for requirement in requirements:
        if not requirement.acceptable:
            reasons.append(
                f"No specialty rule covers {requirement.label}: add one in the admin (Specialty rules)."
            )
        elif not held & requirement.acceptable:
            reasons.append(
                f"No board certification acceptable for {requirement.label} "
                f"(needs one of: {', '.join(requirement.acceptable_display)})."
            )
    if not practiced_long_enough(in_practice_since=reviewer.in_practice_since, on=on):
        reasons.append(
            f"Not more than {PRACTICE_YEARS} years in practice "
            f"(since {reviewer.in_practice_since.isoformat()})."
        )
    if Decimal(reviewer.weekly_practice_hours) < MIN_WEEKLY_HOURS:
        reasons.append(
            f"Practices {reviewer.weekly_practice_hours} hours a week; "
            f"at least {MIN_WEEKLY_HOURS} are required."
        )
    if not attestation_current(attested_on=reviewer.hours_attested_on, on=on):
        if reviewer.hours_attested_on > on:
            reasons.append("Practice-hours attestation is dated in the future.")
        else:
            reasons.append(
                f"Practice-hours attestation is out of date (last {reviewer.hours_attested_on.isoformat()}; "
                f"renewed at least every {ATTESTATION_VALID_DAYS} days)."
            )
    if open_cases >= reviewer.max_open_cases:
        reasons.append(f"At capacity: {open_cases} open cases of {reviewer.max_open_cases}.")
    return reasons


def require_california() -> bool:
    return bool(getattr(settings, "REVIEWER_REQUIRE_CALIFORNIA_LICENSE", False))


_EPOCH = datetime(1, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


def picking_order(*, open_cases: int, last_assigned_at: datetime | None, reviewer_number: str) -> tuple:
    """Fewest open cases, then longest since the last assignment (never assigned first), then number."""
    return (open_cases, last_assigned_at is not None, last_assigned_at or _EPOCH, reviewer_number)


def credential_warnings(*, reviewer: Reviewer, on: date) -> list[str]:
    """Licenses expiring within 30 days and attestations due, for staff (credentials prefetched)."""
    warnings: list[str] = []
    soon = on + timedelta(days=WARNING_DAYS)
    for lic in reviewer.licenses.all():
        if lic.active and on <= lic.expires_on <= soon:
            warnings.append(f"License {lic.state} {lic.number} expires on {lic.expires_on.isoformat()}.")
        elif lic.active and lic.expires_on < on:
            warnings.append(f"License {lic.state} {lic.number} expired on {lic.expires_on.isoformat()}.")
    due = reviewer.hours_attested_on + timedelta(days=ATTESTATION_VALID_DAYS)
    if due < on:
        warnings.append(f"Practice-hours attestation lapsed on {due.isoformat()}.")
    elif due <= soon:
        warnings.append(f"Practice-hours attestation is due by {due.isoformat()}.")
    return warnings
