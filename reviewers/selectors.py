"""Reads for reviewer screening and assignment, in a fixed number of queries.

`case_screening` loads what a case needs checked (its items' acceptable specialties, the
names a reviewer must not be affiliated with, who already had the case). `evaluate_reviewers`
screens every reviewer with the Python rules of `reviewers.eligibility` and
`reviewers.conflicts` (staff pages, manual assignment, the summary when nobody qualifies);
`shortlist_reviewers` applies the same eligibility rules in SQL and returns the next few
reviewers in picking order, so automatic assignment does not load every reviewer per case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    JSONField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.functions import Coalesce, JSONArray, Lower, Trim
from django.utils import timezone

from cases import deadlines
from cases.models import Case, CaseEvent, CaseStatus, DisputedItem, Party, PartyRole
from reviewers import eligibility
from reviewers.conflicts import CaseConflictTargets, conflict_reasons, conflict_targets
from reviewers.models import (
    PICKING_ORDER,
    Affiliation,
    Assignment,
    AssignmentStatus,
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
    # How each earlier reviewer's assignment ended, in words (see `assignment_outcome`).
    previous_outcomes: dict[int, str] = field(default_factory=dict)


def specialty_rules() -> list[tuple[str, str, str]]:
    return list(SpecialtyRule.objects.values_list("category", "body_region", "specialty"))


class JSONRows(Aggregate):
    """The aggregated values as one JSON array: jsonb_agg on PostgreSQL, json_group_array on SQLite."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def _json_rows(queryset: QuerySet, *, group_by: str, fields: tuple[str, ...]) -> Subquery:
    """The outer row's related rows as a JSON array of arrays (NULL when there are none)."""
    return Subquery(
        queryset.order_by().values(group_by).annotate(rows=JSONRows(JSONArray(*fields))).values("rows")[:1],
        output_field=JSONField(),
    )


# ---- Queries compiled once per process -------------------------------------------------
# For the automatic picker, building and compiling its querysets costs more Python time than
# the database takes to run them. Their SQL depends on a few values only (an id, the
# acceptable specialties, the date), so each shape is compiled once per process and run
# again with the id put in its parameter slot. The querysets stay the definition.

_SLOT = -918_273_645  # stands for the per-call id while compiling; no row has this id
_COMPILED_LIMIT = 1024


@dataclass(frozen=True)
class _CompiledQuery:
    sql: str
    params: list
    slot: int | None  # where the per-call value goes in `params`
    model_fields: int  # the first columns are the model's fields, in `from_db` order
    names: list[str]  # attnames, then annotation names
    converters: dict[int, tuple[list, Any]]  # as SQLCompiler.get_converters returns them


_compiled: dict[tuple, _CompiledQuery] = {}


def _compile(key: tuple, build: Callable[[], QuerySet]) -> _CompiledQuery:
    key = (connection.vendor, *key)
    found = _compiled.get(key)
    if found is None:
        queryset = build()
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        params = list(params)
        names = [alias or column.target.attname for column, _, alias in compiler.select]
        klass_info = compiler.klass_info or {}
        found = _CompiledQuery(
            sql=sql,
            params=params,
            slot=params.index(_SLOT) if _SLOT in params else None,
            model_fields=len(klass_info.get("select_fields", ())),
            names=names,
            converters=compiler.get_converters([column for column, _, _ in compiler.select]),
        )
        if len(_compiled) >= _COMPILED_LIMIT:
            _compiled.clear()
        _compiled[key] = found
    return found


def _fetch(
    key: tuple, build: Callable[[], QuerySet], *, value: Any = None
) -> tuple[_CompiledQuery, list[list]]:
    """Run `build()`'s SQL (compiled on first use of `key`) with `value` in its `_SLOT`; the rows
    come converted to Python values as the ORM would convert them."""
    compiled = _compile(key, build)
    params = compiled.params
    if compiled.slot is not None:
        params = list(params)
        params[compiled.slot] = value
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = [list(row) for row in cursor.fetchall()]
    for row in rows:
        for position, (converters, expression) in compiled.converters.items():
            converted = row[position]
            for converter in converters:
                converted = converter(converted, expression, connection)
            row[position] = converted
    return compiled, rows


def _instances(model, compiled: _CompiledQuery, rows: list[list]) -> list:
    """Model instances from `_fetch` rows, with the annotations set as attributes."""
    count = compiled.model_fields
    field_names = compiled.names[:count]
    annotations = compiled.names[count:]
    instances = []
    for row in rows:
        instance = model.from_db(connection.alias, field_names, row[:count])
        for name, annotation in zip(annotations, row[count:], strict=True):
            setattr(instance, name, annotation)
        instances.append(instance)
    return instances


def fetch_scalar(*, key: tuple, build: Callable[[], QuerySet], value: Any) -> Any:
    """The first column of the first row of the compiled `build()` run for `value`, or None."""
    _, rows = _fetch(key, build, value=value)
    return rows[0][0] if rows else None


# ---- Specialty rules, cached per process ----------------------------------------------
# Every automatic assignment needs the rules; staff rarely change them. The case query of
# the automatic path reads this fingerprint along (no extra query) and the cached rules and
# the requirements built from them are used while it is unchanged: adding a rule raises the
# count or the highest id, editing one raises the latest `changed_at`, deleting one lowers
# the count. (A bulk `QuerySet.update()` of rules would go unnoticed: the admin saves rows.)


def rules_fingerprint_annotations() -> dict[str, Subquery]:
    def scalar(function: str, column: str, output_field) -> Subquery:
        # A plain function rather than an aggregate, so the subquery has no GROUP BY.
        aggregate = Func(F(column), function=function, output_field=output_field)
        return Subquery(SpecialtyRule.objects.order_by().annotate(v=aggregate).values("v"))

    return {
        "rules_count": scalar("COUNT", "id", IntegerField()),
        "rules_max_id": scalar("MAX", "id", IntegerField()),
        "rules_changed_at": scalar("MAX", "changed_at", DateTimeField()),
    }


class _RulesCache:
    def __init__(self) -> None:
        self.fingerprint: tuple | None = None
        self.rules: list[tuple[str, str, str]] = []
        self.requirements: dict[tuple, list[eligibility.ItemRequirement]] = {}

    def requirements_for(self, *, items: tuple[tuple[str, str], ...], fingerprint: tuple) -> list:
        if fingerprint != self.fingerprint:
            self.rules = specialty_rules()
            self.requirements = {}
            self.fingerprint = fingerprint
        found = self.requirements.get(items)
        if found is None:
            if len(self.requirements) > 4096:  # item combinations are few; bound it anyway
                self.requirements.clear()
            found = eligibility.item_requirements(items=items, rules=self.rules)
            self.requirements[items] = found
        # ItemRequirement is frozen; the list is copied so no caller can change the cache.
        return list(found)


_rules_cache = _RulesCache()


@dataclass(frozen=True)
class CaseFacts:
    """What `case_facts_annotations` read along with the case row (see `case_facts`)."""

    items: list[tuple[str, str]]  # (category, body_part) in letter order
    formulary_only: bool
    parties: list[tuple[str, str, str, str]]
    has_assignments: bool
    rules_fingerprint: tuple


def case_facts_annotations() -> dict[str, Any]:
    """Annotations that bring a case's items, parties, whether it had assignments and the rules'
    fingerprint in the same query as the case row (the automatic picker's locking read)."""
    return {
        "item_rows": _json_rows(
            DisputedItem.objects.filter(case_id=OuterRef("pk")),
            group_by="case_id",
            fields=("position", "category", "body_part", "formulary_drug"),
        ),
        "party_rows": _json_rows(
            Party.objects.filter(case_id=OuterRef("pk")),
            group_by="case_id",
            fields=("id", "role", "name", "organization", "npi"),
        ),
        "has_assignments": Exists(Assignment.objects.filter(case_id=OuterRef("pk"))),
        **rules_fingerprint_annotations(),
    }


def lock_case_with_facts(*, case_id: int) -> Case | None:
    """The case row locked FOR UPDATE with `case_facts_annotations` (one query), or None.

    Call inside transaction.atomic; the caller decodes the facts with `case_facts`.
    """

    def build() -> QuerySet:
        return (
            Case.objects.select_for_update(of=("self",))
            .annotate(**case_facts_annotations())
            .filter(pk=_SLOT)
            .order_by()
        )

    compiled, rows = _fetch(("case_with_facts",), build, value=case_id)
    return next(iter(_instances(Case, compiled, rows)), None)


def case_facts(*, case: Case) -> CaseFacts:
    """Decode what `case_facts_annotations` put on `case`."""
    items = sorted(case.item_rows or [])
    parties = sorted(case.party_rows or [])
    return CaseFacts(
        items=[(category, body_part) for _, category, body_part, _ in items],
        formulary_only=deadlines.is_formulary_only(
            (category, bool(formulary)) for _, category, _, formulary in items
        ),
        parties=[(role, name, organization, npi) for _, role, name, organization, npi in parties],
        has_assignments=bool(case.has_assignments),
        rules_fingerprint=(case.rules_count, case.rules_max_id, case.rules_changed_at),
    )


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
        party_rows = Party.objects.filter(case_id=case.pk).values_list("role", "name", "organization", "npi")
        requirements = eligibility.item_requirements(items=items, rules=specialty_rules())
    else:
        party_rows = facts.parties
        requirements = _rules_cache.requirements_for(
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
    if screening.requirements:
        # One subquery for all items: the reviewer's certifications, grouped, must cover each
        # item (MAX over a per-item match). Being grouped, PostgreSQL keeps it a per-row check
        # along the picking-order index instead of planning one join per item, which cost
        # more to plan than to run.
        covered = {
            f"item_{index}": Max(
                DbCase(
                    When(normalized__in=sorted(requirement.acceptable), then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
            for index, requirement in enumerate(screening.requirements)
        }
        certifications = (
            BoardCertification.objects.filter(reviewer_id=OuterRef("pk"))
            .annotate(normalized=Lower(Trim("specialty")))
            .order_by()
            .values("reviewer_id")
            .annotate(**covered)
            .filter(**dict.fromkeys(covered, 1))
        )
        reviewers = reviewers.filter(Exists(certifications))
    excluded = set(screening.previous_reviewer_ids)
    if screening.active_assignment is not None:
        excluded.add(screening.active_assignment.reviewer_id)
    if excluded:
        reviewers = reviewers.exclude(pk__in=sorted(excluded))
    # The stored counter, so the picker can walk reviewers in load order by index; the
    # chosen reviewer's count is taken again from Assignment under a lock before offering.
    return reviewers.filter(open_cases__lt=F("max_open_cases"))


def shortlist_reviewers(
    *, screening: CaseScreening, on: date, limit: int, offset: int = 0
) -> list[tuple[Reviewer, list[tuple[str, str]]]]:
    """The next `limit` eligible reviewers in picking order, each with their (name, identifier)
    affiliations in name order (one query: the affiliations come as a JSON array per row).

    Eligibility is decided by the SQL filter here (tests hold it to the Python rules), so
    only the conflict screen is left to run on the short list.
    """
    if any(not requirement.acceptable for requirement in screening.requirements):
        return []
    excluded = set(screening.previous_reviewer_ids)
    if screening.active_assignment is not None:
        excluded.add(screening.active_assignment.reviewer_id)

    def build() -> QuerySet:
        ordered = (
            eligible_reviewers_sql(screening=screening, on=on)
            .annotate(
                affiliation_rows=_json_rows(
                    Affiliation.objects.filter(reviewer_id=OuterRef("pk")),
                    group_by="reviewer_id",
                    fields=("name", "id", "identifier"),
                )
            )
            .order_by(*PICKING_ORDER)
        )
        return ordered[offset : offset + limit]

    # Everything eligible_reviewers_sql reads, so one key is one SQL text.
    key = (
        "shortlist",
        on,
        require_california(),
        tuple(tuple(sorted(requirement.acceptable)) for requirement in screening.requirements),
        tuple(sorted(excluded)),
        limit,
        offset,
    )
    compiled, rows = _fetch(key, build)
    return [
        (
            reviewer,
            [(name, identifier) for name, _, identifier in sorted(reviewer.affiliation_rows or [])],
        )
        for reviewer in _instances(Reviewer, compiled, rows)
    ]


def lock_reviewer(*, reviewer_id: int, skip_locked: bool = False) -> bool:
    """Lock the reviewer row FOR UPDATE (inside transaction.atomic); False when `skip_locked`
    and another transaction holds it, or when there is no such reviewer."""

    def build() -> QuerySet:
        return (
            Reviewer.objects.select_for_update(skip_locked=skip_locked)
            .filter(pk=_SLOT)
            .order_by()
            .values("pk")
        )

    return fetch_scalar(key=("lock_reviewer", skip_locked), build=build, value=reviewer_id) is not None


def open_case_count(*, reviewer_id: int) -> int:
    """Active assignments of one reviewer, counted now (one query)."""

    def build() -> QuerySet:
        return (
            Assignment.objects.filter(reviewer_id=_SLOT, active=True)
            .order_by()
            .values("reviewer_id")
            .annotate(n=Count("id"))
            .values("n")
        )

    return fetch_scalar(key=("open_case_count",), build=build, value=reviewer_id) or 0


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


# ---- Assignment history (the candidates page) -------------------------------------------

REASSIGNED_PREFIX = "Reassigned by staff: "
REPLACED_PREFIX = "Replaced by staff: "
_CASE_ENDED = {CaseStatus.WITHDRAWN: "withdrawn", CaseStatus.TERMINATED: "terminated"}


@dataclass(frozen=True)
class AssignmentOutcome:
    """How an assignment stands or ended, in the words staff read."""

    key: str  # offered, accepted, declined, decided, reassigned, replaced, ended
    label: str
    detail: str = ""


def assignment_outcome(*, assignment: Assignment, case: Case) -> AssignmentOutcome:
    """Offered, accepted, declined, decided the case, reassigned or replaced by staff, or ended.

    An accepted assignment that is no longer active was released when the letter was issued
    (the review was completed), unless the case was then withdrawn or terminated.
    """
    status = assignment.status
    note = assignment.decline_reason
    if assignment.active:
        if status == AssignmentStatus.ACCEPTED:
            return AssignmentOutcome("accepted", "Accepted: reviewing the case")
        return AssignmentOutcome("offered", "Offered: waiting for the reviewer's answer")
    if status == AssignmentStatus.DECLINED:
        return AssignmentOutcome("declined", "Declined it", note)
    if status == AssignmentStatus.ACCEPTED:
        ended = _CASE_ENDED.get(case.status)
        if ended is not None and not _decided(case=case):
            return AssignmentOutcome("ended", f"Ended when the case was {ended}")
        return AssignmentOutcome("decided", "Decided it")
    if note.startswith(REPLACED_PREFIX):
        return AssignmentOutcome("replaced", "Was replaced by staff", note.removeprefix(REPLACED_PREFIX))
    if note.startswith(REASSIGNED_PREFIX):
        return AssignmentOutcome(
            "reassigned", "Was reassigned by staff", note.removeprefix(REASSIGNED_PREFIX)
        )
    ended = _CASE_ENDED.get(case.status)
    return AssignmentOutcome("ended", f"Ended when the case was {ended}" if ended else "Ended", note)


def _decided(*, case: Case) -> bool:
    # A decided case is never withdrawn or terminated afterwards (those steps need an open case).
    return case.status in (CaseStatus.DETERMINATION_ISSUED, CaseStatus.CLOSED)


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
    entered = CaseStatus.DETERMINATION_ISSUED if _decided(case=case) else status
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
