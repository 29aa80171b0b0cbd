"""Reads for reviewer screening and assignment, in a fixed number of queries.

`case_screening` loads what a case needs checked (its items' acceptable specialties, the
names a reviewer must not be affiliated with, who already had the case). `evaluate_reviewers`
screens every reviewer with the Python rules of `reviewers.eligibility` and
`reviewers.conflicts` (staff pages, manual assignment, the summary when nobody qualifies);
`shortlist_reviewers` applies the same eligibility rules in SQL and returns the next few
reviewers in picking order, so automatic assignment does not load every reviewer per case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower, Trim
from django.utils import timezone

from cases.models import Case, DisputedItem, Party, PartyRole
from reviewers import eligibility
from reviewers.conflicts import CaseConflictTargets, conflict_reasons, conflict_targets
from reviewers.models import (
    PICKING_ORDER,
    Affiliation,
    Assignment,
    BoardCertification,
    License,
    Reviewer,
    ReviewerStatus,
    SpecialtyRule,
)

PARTY_ROLE_LABELS = {value: str(label).lower() for value, label in PartyRole.choices}


def require_california() -> bool:
    return bool(getattr(settings, "REVIEWER_REQUIRE_CALIFORNIA_LICENSE", False))


@dataclass
class CaseScreening:
    """What every reviewer is checked against for one case."""

    case: Case
    requirements: list[eligibility.ItemRequirement]
    targets: CaseConflictTargets
    target_index: dict[str, str]
    # Reviewers who held the case before (declined, or ended by a remand): never again.
    previous_reviewer_ids: set[int] = field(default_factory=set)
    active_assignment: Assignment | None = None


def specialty_rules() -> list[tuple[str, str, str]]:
    return list(SpecialtyRule.objects.values_list("category", "body_region", "specialty"))


def case_screening(*, case: Case) -> CaseScreening:
    """Load the case's items, parties, specialty rules and earlier assignments (4 queries)."""
    items = list(
        DisputedItem.objects.filter(case_id=case.pk).order_by("position").values_list("category", "body_part")
    )
    parties = [
        (PARTY_ROLE_LABELS.get(role, role), name, organization, npi)
        for role, name, organization, npi in Party.objects.filter(case_id=case.pk).values_list(
            "role", "name", "organization", "npi"
        )
    ]
    targets = conflict_targets(
        parties=parties, ur_reviewer_name=case.ur_reviewer_name, ur_organization=case.ur_organization
    )
    previous: set[int] = set()
    active: Assignment | None = None
    for assignment in Assignment.objects.filter(case_id=case.pk).select_related("reviewer"):
        if assignment.active:
            active = assignment
        else:
            previous.add(assignment.reviewer_id)
    return CaseScreening(
        case=case,
        requirements=eligibility.item_requirements(items=items, rules=specialty_rules()),
        targets=targets,
        target_index=targets.keys_to_labels(),
        previous_reviewer_ids=previous,
        active_assignment=active,
    )


def open_case_counts(*, reviewer_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Active assignments per reviewer, in one aggregate query."""
    assignments = Assignment.objects.filter(active=True)
    if reviewer_ids is not None:
        assignments = assignments.filter(reviewer_id__in=list(reviewer_ids))
    return dict(
        assignments.order_by().values("reviewer_id").annotate(n=Count("id")).values_list("reviewer_id", "n")
    )


def open_count_subquery() -> Subquery:
    """Active assignments of the outer reviewer, counted from Assignment (the authority)."""
    return Subquery(
        Assignment.objects.filter(reviewer_id=OuterRef("pk"), active=True)
        .order_by()
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def with_open_count(reviewers: QuerySet[Reviewer]) -> QuerySet[Reviewer]:
    """Annotate `open_count` (active assignments, counted now) in the same query."""
    return reviewers.annotate(open_count=Coalesce(open_count_subquery(), Value(0)))


def with_credentials(reviewers: QuerySet[Reviewer]) -> QuerySet[Reviewer]:
    """Licenses, certifications and affiliations in one query each."""
    return reviewers.prefetch_related(
        Prefetch("licenses", queryset=License.objects.order_by("position", "id")),
        Prefetch("certifications", queryset=BoardCertification.objects.order_by("position", "id")),
        Prefetch("affiliations", queryset=Affiliation.objects.order_by("name", "id")),
    )


@dataclass
class CandidateReport:
    """One reviewer screened for one case."""

    reviewer: Reviewer
    open_cases: int
    reasons: list[str]
    chosen: bool = False

    @property
    def eligible(self) -> bool:
        return not self.reasons

    def sort_key(self) -> tuple:
        return picking_order(
            open_cases=self.open_cases,
            last_assigned_at=self.reviewer.last_assigned_at,
            reviewer_number=self.reviewer.reviewer_number,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "reviewer_id": self.reviewer.pk,
            "reviewer_number": self.reviewer.reviewer_number,
            "eligible": self.eligible,
            "excluded": not self.eligible,
            "chosen": self.chosen,
            "open_cases": self.open_cases,
            "max_open_cases": self.reviewer.max_open_cases,
            "last_assigned_at": (
                self.reviewer.last_assigned_at.isoformat() if self.reviewer.last_assigned_at else None
            ),
            "reasons": list(self.reasons),
        }


_EPOCH = datetime(1, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


def picking_order(*, open_cases: int, last_assigned_at: datetime | None, reviewer_number: str) -> tuple:
    """Fewest open cases, then longest since the last assignment (never assigned first), then number."""
    return (open_cases, last_assigned_at is not None, last_assigned_at or _EPOCH, reviewer_number)


def screen_conflicts(*, reviewer: Reviewer, screening: CaseScreening) -> list[str]:
    """The case-specific reasons: held the case before, or affiliated with a party."""
    reasons: list[str] = []
    if reviewer.pk in screening.previous_reviewer_ids:
        reasons.append(
            "Had this case before (declined it, or the review was remanded): "
            "a different reviewer is required."
        )
    if screening.active_assignment is not None and screening.active_assignment.reviewer_id == reviewer.pk:
        reasons.append("Already holds this case.")
    return reasons + conflict_reasons(
        affiliations=[(a.name, a.identifier) for a in reviewer.affiliations.all()],
        targets=screening.targets,
        index=screening.target_index,
    )


def screen_reviewer(*, reviewer: Reviewer, open_cases: int, screening: CaseScreening, on: date) -> list[str]:
    """Every reason `reviewer` (with credentials prefetched) may not take the case."""
    reasons = eligibility.ineligibility_reasons(
        reviewer=reviewer,
        licenses=list(reviewer.licenses.all()),
        certifications=list(reviewer.certifications.all()),
        open_cases=open_cases,
        requirements=screening.requirements,
        on=on,
        require_california=require_california(),
    )
    return screen_conflicts(reviewer=reviewer, screening=screening) + reasons


def evaluate_reviewers(
    *, screening: CaseScreening, on: date, reviewers: QuerySet[Reviewer] | None = None
) -> list[CandidateReport]:
    """Screen every reviewer (or those given) against the case, in picking order (5 queries)."""
    reviewers = Reviewer.objects.all() if reviewers is None else reviewers
    loaded = list(with_credentials(with_open_count(reviewers.select_related(None))))
    reports = [
        CandidateReport(
            reviewer=r,
            open_cases=r.open_count,
            reasons=screen_reviewer(reviewer=r, open_cases=r.open_count, screening=screening, on=on),
        )
        for r in loaded
    ]
    reports.sort(key=lambda report: (not report.eligible, report.sort_key()))
    return reports


def eligible_reviewers_sql(*, screening: CaseScreening, on: date) -> QuerySet[Reviewer]:
    """The eligibility rules (not the conflict screen) as one SQL filter, annotated with open_cases."""
    if any(not requirement.acceptable for requirement in screening.requirements):
        return Reviewer.objects.none()
    valid_license = License.objects.filter(
        reviewer_id=OuterRef("pk"), active=True, unrestricted=True, expires_on__gte=on
    )
    if require_california():
        valid_license = valid_license.filter(state=eligibility.CALIFORNIA)
    reviewers = Reviewer.objects.filter(
        Exists(valid_license),
        status=ReviewerStatus.ACTIVE,
        in_practice_since__lte=eligibility.latest_practice_start(on=on),
        weekly_practice_hours__gte=eligibility.MIN_WEEKLY_HOURS,
        hours_attested_on__gte=eligibility.earliest_current_attestation(on=on),
        hours_attested_on__lte=on,
    )
    certifications = BoardCertification.objects.annotate(normalized=Lower(Trim("specialty")))
    for requirement in screening.requirements:
        reviewers = reviewers.filter(
            Exists(
                certifications.filter(
                    reviewer_id=OuterRef("pk"), normalized__in=sorted(requirement.acceptable)
                )
            )
        )
    excluded = set(screening.previous_reviewer_ids)
    if screening.active_assignment is not None:
        excluded.add(screening.active_assignment.reviewer_id)
    if excluded:
        reviewers = reviewers.exclude(pk__in=sorted(excluded))
    # The stored counter, so the picker can walk reviewers in load order by index; the
    # chosen reviewer's count is taken again from Assignment under a lock before offering.
    return reviewers.filter(open_cases__lt=F("max_open_cases"))


def shortlist_reviewers(*, screening: CaseScreening, on: date, limit: int, offset: int = 0) -> list[Reviewer]:
    """The next `limit` eligible reviewers in picking order, affiliations prefetched (2 queries).

    Eligibility is decided by the SQL filter here (tests hold it to the Python rules), so
    only the conflict screen is left to run on the short list.
    """
    ordered = eligible_reviewers_sql(screening=screening, on=on).order_by(*PICKING_ORDER)
    affiliations = Prefetch("affiliations", queryset=Affiliation.objects.order_by("name", "id"))
    return list(ordered.prefetch_related(affiliations)[offset : offset + limit])


def reviewers_with_load() -> QuerySet[Reviewer]:
    """Reviewers with `open_count` annotated and their user, for lists (one query)."""
    return with_open_count(Reviewer.objects.select_related("user")).order_by("reviewer_number")


def credential_warnings(*, reviewer: Reviewer, on: date) -> list[str]:
    """Licenses expiring within 30 days and attestations due, for staff (credentials prefetched)."""
    warnings: list[str] = []
    soon = on + timedelta(days=eligibility.WARNING_DAYS)
    for lic in reviewer.licenses.all():
        if lic.active and on <= lic.expires_on <= soon:
            warnings.append(f"License {lic.state} {lic.number} expires on {lic.expires_on.isoformat()}.")
        elif lic.active and lic.expires_on < on:
            warnings.append(f"License {lic.state} {lic.number} expired on {lic.expires_on.isoformat()}.")
    due = reviewer.hours_attested_on + timedelta(days=eligibility.ATTESTATION_VALID_DAYS)
    if due < on:
        warnings.append(f"Practice-hours attestation lapsed on {due.isoformat()}.")
    elif due <= soon:
        warnings.append(f"Practice-hours attestation is due by {due.isoformat()}.")
    return warnings


def licenses_expiring_q(*, on: date) -> Q:
    """Reviewers with an active license expiring within the warning window (or expired)."""
    return Q(
        licenses__active=True,
        licenses__expires_on__lte=on + timedelta(days=eligibility.WARNING_DAYS),
    )


def attestation_due_q(*, on: date) -> Q:
    return Q(
        hours_attested_on__lte=on
        - timedelta(days=eligibility.ATTESTATION_VALID_DAYS - eligibility.WARNING_DAYS)
    )
