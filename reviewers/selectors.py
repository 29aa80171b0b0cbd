"""Reads for reviewer screening and assignment, in a fixed number of queries.

`case_screening` loads what a case needs checked (its items' acceptable specialties, the
names a reviewer must not be affiliated with, who already had the case). `evaluate_reviewers`
screens every reviewer with the Python rules of `reviewers.eligibility` and
`reviewers.conflicts` (staff pages, manual assignment, the summary when nobody qualifies).
The automatic picker's SQL (the same eligibility rules in SQL, compiled once per process) is
in `reviewers.picking`; the row locks are in `reviewers.services.locks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from cases.models import Case, CaseEvent, CaseStatus, DisputedItem, Party, PartyRole
from reviewers import eligibility
from reviewers.conflicts import CaseConflictTargets, conflict_reasons, conflict_targets, screen_conflicts
from reviewers.models import Affiliation, Assignment, BoardCertification, License, Reviewer
from reviewers.outcomes import AssignmentOutcome, assignment_outcome, is_decided
from reviewers.picking import (
    CaseFacts,
    eligible_with_affiliations,
    rules_cache,
    specialty_rules,
)

PARTY_ROLE_LABELS = {value: str(label).lower() for value, label in PartyRole.choices}


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
    # How each earlier reviewer's assignment ended, in words (see `assignment_outcome`).
    previous_outcomes: dict[int, str] = field(default_factory=dict)


def case_screening(*, case: Case, facts: CaseFacts | None = None) -> CaseScreening:
    """Load the case's items, parties, specialty rules and earlier assignments (4 queries).

    With `facts` (read along with the case row), only the earlier assignments are read, and
    only when the case had any; the specialty rules come from the per-process cache.
    """
    if facts is None:
        items = list(
            DisputedItem.objects.filter(case_id=case.pk)
            .order_by("position")
            .values_list("category", "body_part")
        )
        party_rows: Iterable[tuple[str, str, str, str]] = Party.objects.filter(case_id=case.pk).values_list(
            "role", "name", "organization", "npi"
        )
        requirements = eligibility.item_requirements(items=items, rules=specialty_rules())
    else:
        party_rows = facts.parties
        requirements = rules_cache.requirements_for(
            items=tuple(facts.items), fingerprint=facts.rules_fingerprint
        )
    parties = [
        (PARTY_ROLE_LABELS.get(role, role), name, organization, npi)
        for role, name, organization, npi in party_rows
    ]
    targets = conflict_targets(
        parties=parties, ur_reviewer_name=case.ur_reviewer_name, ur_organization=case.ur_organization
    )
    previous: set[int] = set()
    outcomes: dict[int, str] = {}
    active: Assignment | None = None
    if facts is None or facts.has_assignments:
        for assignment in Assignment.objects.filter(case_id=case.pk).select_related("reviewer"):
            if assignment.active:
                active = assignment
            else:
                previous.add(assignment.reviewer_id)
                outcomes.setdefault(
                    assignment.reviewer_id, assignment_outcome(assignment=assignment, case=case).label
                )
    return CaseScreening(
        case=case,
        requirements=requirements,
        targets=targets,
        target_index=targets.keys_to_labels(),
        previous_reviewer_ids=previous,
        active_assignment=active,
        previous_outcomes=outcomes,
    )


def open_case_counts(*, reviewer_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Active assignments per reviewer, in one aggregate query."""
    assignments = Assignment.objects.active()
    if reviewer_ids is not None:
        assignments = assignments.filter(reviewer_id__in=list(reviewer_ids))
    return dict(
        assignments.order_by().values("reviewer_id").annotate(n=Count("id")).values_list("reviewer_id", "n")
    )


def open_count_subquery() -> Subquery:
    """Active assignments of the outer reviewer, counted from Assignment (the authority)."""
    return Subquery(
        Assignment.objects.active()
        .filter(reviewer_id=OuterRef("pk"))
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
        return eligibility.picking_order(
            open_cases=self.open_cases,
            last_assigned_at=self.reviewer.last_assigned_at,
            reviewer_number=self.reviewer.reviewer_number,
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
        require_california=eligibility.require_california(),
    )
    return screen_conflicts(reviewer=reviewer, screening=screening) + reasons


def evaluate_reviewers(
    *, screening: CaseScreening, on: date, reviewers: QuerySet[Reviewer] | None = None
) -> list[CandidateReport]:
    """Screen every reviewer (or those given) against the case, in picking order (5 queries)."""
    reviewers = Reviewer.objects.all() if reviewers is None else reviewers
    loaded = list(with_credentials(with_open_count(reviewers.select_related(None))))
    reports = []
    for r in loaded:
        open_cases: int = r.open_count  # type: ignore[attr-defined]  # annotated by with_open_count
        reports.append(
            CandidateReport(
                reviewer=r,
                open_cases=open_cases,
                reasons=screen_reviewer(reviewer=r, open_cases=open_cases, screening=screening, on=on),
            )
        )
    reports.sort(key=lambda report: (not report.eligible, report.sort_key(), report.reviewer.pk))
    return reports


class CandidateList:
    """Every reviewer for one case, for a Paginator: the qualified ones first in picking order,
    then the others by reviewer number. Who qualifies is decided in SQL (`picking.
    eligible_reviewers_sql`, the rules the automatic picker uses) and only the reviewers of the
    page asked for are screened in Python, so each shows its reasons: at 3,000 reviewers a page
    costs what it costs at 30 (the qualified ids, a count, then `evaluate_reviewers` over one
    page of reviewers). The conflict screen runs over the affiliations of the reviewers the SQL
    finds qualified. The others' ids are read only for a page that shows some of them (they
    were all read, 3,000 in reviewer-number order, on every page).
    """

    def __init__(self, *, screening: CaseScreening, on: date) -> None:
        self.screening = screening
        self.on = on
        # The qualified reviewers in picking order, each with their affiliations as one JSON
        # array (one query: an `IN` of a thousand ids cost more to build than to run).
        eligible = eligible_with_affiliations(screening=screening, on=on, whole_list=True)
        eligible_rows = list(eligible.values_list("pk", "affiliation_rows"))
        eligible_ids = [pk for pk, _ in eligible_rows]
        # The conflict screen, over the affiliations of the qualified reviewers only.
        conflicted = {
            reviewer_id
            for reviewer_id, pairs in eligible_rows
            if pairs
            and conflict_reasons(
                affiliations=[(name, identifier) for name, _id, identifier in pairs],
                targets=screening.targets,
                index=screening.target_index,
            )
        }
        self.eligible_ids: list[int] = [pk for pk in eligible_ids if pk not in conflicted]
        self.total = Reviewer.objects.count()

    def __len__(self) -> int:
        return self.total

    def count(self) -> int:
        return self.total

    @property
    def eligible_count(self) -> int:
        return len(self.eligible_ids)

    def _ids(self, window: slice) -> list[int]:
        start, stop = window.start or 0, window.stop if window.stop is not None else self.total
        qualified = len(self.eligible_ids)
        ids = self.eligible_ids[start:stop]
        if stop > qualified:
            others = (
                Reviewer.objects.exclude(pk__in=self.eligible_ids)
                .order_by("reviewer_number", "pk")
                .values_list("pk", flat=True)
            )
            ids += others[max(start - qualified, 0) : stop - qualified]
        return ids

    def __getitem__(self, window: slice) -> list[CandidateReport]:
        ids = self._ids(window)
        position = {pk: index for index, pk in enumerate(ids)}
        reports = evaluate_reviewers(
            screening=self.screening, on=self.on, reviewers=Reviewer.objects.filter(pk__in=ids)
        )
        return sorted(reports, key=lambda report: position[report.reviewer.pk])


def reviewers_with_load() -> QuerySet[Reviewer]:
    """Reviewers with `open_count` annotated and their user, for lists (one query)."""
    return with_open_count(Reviewer.objects.select_related("user")).order_by("reviewer_number", "pk")


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


# ---- Assignment history (the candidates page) -------------------------------------------


@dataclass(frozen=True)
class AssignmentHistoryRow:
    assignment: Assignment
    outcome: AssignmentOutcome


def assignment_history(*, case: Case) -> list[AssignmentHistoryRow]:
    """Every assignment of the case, newest first, with how it stands or ended (1 query)."""
    assignments = Assignment.objects.filter(case_id=case.pk).select_related("reviewer", "assigned_by")
    return [
        AssignmentHistoryRow(
            assignment=assignment, outcome=assignment_outcome(assignment=assignment, case=case)
        )
        for assignment in assignments.order_by("-assigned_at", "-id")
    ]


_NO_REVIEWER_YET = {
    CaseStatus.RECEIVED,
    CaseStatus.ELIGIBILITY_REVIEW,
    CaseStatus.AWAITING_RECORDS,
}


def no_current_assignment_note(*, case: Case) -> str:
    """Why nobody holds the case now, e.g. `None: the determination was issued on Mar 24, 2015.`

    Reads the latest step into the state that explains it (1 query, none when not needed).
    """
    status = case.status
    if status == CaseStatus.READY_FOR_ASSIGNMENT:
        return "None: the case is waiting for a reviewer."
    if status in _NO_REVIEWER_YET:
        return f"None: the case is not ready for assignment yet ({case.get_status_display().lower()})."
    entered = CaseStatus.DETERMINATION_ISSUED if is_decided(case=case) else status
    on = (
        CaseEvent.objects.filter(case_id=case.pk, to_status=entered)
        .exclude(from_status=entered)
        .order_by("-effective_on", "-id")
        .values_list("effective_on", flat=True)
        .first()
    )
    when = f" on {on:%b} {on.day}, {on.year}" if on else ""
    if status == CaseStatus.DETERMINATION_ISSUED:
        return f"None: the determination was issued{when}."
    if status == CaseStatus.CLOSED:
        return f"None: the determination was issued{when} and the case is closed."
    since = f" since {on:%b} {on.day}, {on.year}" if on else ""
    return f"None: the case is {case.get_status_display().lower()}{since}."
