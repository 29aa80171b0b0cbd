"""The automatic picker's SQL: queries compiled once per process, the specialty rules cached
per process, the case's facts read along with its locked row, and the eligibility rules of
`reviewers.eligibility` in SQL form (`eligible_reviewers_sql`, `shortlist_reviewers`).

This module reaches into Django's query compiler (`get_compiler`, `klass_info`, converters),
so that dependency lives here and nowhere else. Reads only: the locking reads that use it are
in `reviewers.services.locks`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

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
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.functions import JSONArray, Lower, Trim

from cases import deadlines
from cases.models import Case, DisputedItem, Party
from reviewers import eligibility
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

if TYPE_CHECKING:
    from reviewers.selectors import CaseScreening


def specialty_rules() -> list[tuple[str, str, str]]:
    return list(SpecialtyRule.objects.values_list("category", "body_region", "specialty"))


class JSONRows(Aggregate):
    """The aggregated values as one JSON array: jsonb_agg on PostgreSQL, json_group_array on SQLite."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


def json_rows(queryset: QuerySet, *, group_by: str, fields: tuple[str, ...]) -> Subquery:
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

SLOT = -918_273_645  # stands for the per-call id while compiling; no row has this id
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
            slot=params.index(SLOT) if SLOT in params else None,
            model_fields=len(klass_info.get("select_fields", ())),
            names=names,
            converters=compiler.get_converters([column for column, _, _ in compiler.select]),
        )
        if len(_compiled) >= _COMPILED_LIMIT:
            _compiled.clear()
        _compiled[key] = found
    return found


def fetch_rows(
    key: tuple, build: Callable[[], QuerySet], *, value: Any = None
) -> tuple[_CompiledQuery, list[list]]:
    """Run `build()`'s SQL (compiled on first use of `key`) with `value` in its `SLOT`; the rows
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


def instances(model: type[Model], compiled: _CompiledQuery, rows: list[list]) -> list:
    """Model instances from `fetch_rows` rows, with the annotations set as attributes."""
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
    _, rows = fetch_rows(key, build, value=value)
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


rules_cache = _RulesCache()


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
        "item_rows": json_rows(
            DisputedItem.objects.filter(case_id=OuterRef("pk")),
            group_by="case_id",
            fields=("position", "category", "body_part", "formulary_drug"),
        ),
        "party_rows": json_rows(
            Party.objects.filter(case_id=OuterRef("pk")),
            group_by="case_id",
            fields=("id", "role", "name", "organization", "npi"),
        ),
        "has_assignments": Exists(Assignment.objects.filter(case_id=OuterRef("pk"))),
        **rules_fingerprint_annotations(),
    }


def case_facts(*, case: Case) -> CaseFacts:
    """Decode what `case_facts_annotations` put on `case`."""
    # The annotations are set on the instance by `instances` (not model fields): read them as such.
    row: dict[str, Any] = vars(case)
    items = sorted(row["item_rows"] or [])
    parties = sorted(row["party_rows"] or [])
    return CaseFacts(
        items=[(category, body_part) for _, category, body_part, _ in items],
        formulary_only=deadlines.is_formulary_only(
            (category, bool(formulary)) for _, category, _, formulary in items
        ),
        parties=[(role, name, organization, npi) for _, role, name, organization, npi in parties],
        has_assignments=bool(row["has_assignments"]),
        rules_fingerprint=(row["rules_count"], row["rules_max_id"], row["rules_changed_at"]),
    )


def eligible_reviewers_sql(
    *, screening: CaseScreening, on: date, whole_list: bool = False
) -> QuerySet[Reviewer]:
    """The eligibility rules (not the conflict screen) as one SQL filter, annotated with open_cases.

    `whole_list`: for every eligible reviewer at once (the candidates page) rather than the
    first few in picking order (the picker). The specialties are then matched by one semi-join
    per item, each read once over the certifications: at 3,000 reviewers, 12-13 ms of execution
    (planning 1 ms more) against 20-27 ms for the per-reviewer check below, which walks 1,900
    reviewers to find 220."""
    if any(not requirement.acceptable for requirement in screening.requirements):
        return Reviewer.objects.none()
    valid_license = License.objects.filter(
        reviewer_id=OuterRef("pk"), active=True, unrestricted=True, expires_on__gte=on
    )
    if eligibility.require_california():
        valid_license = valid_license.filter(state=eligibility.CALIFORNIA)
    reviewers = Reviewer.objects.filter(
        Exists(valid_license),
        status=ReviewerStatus.ACTIVE,
        in_practice_since__lte=eligibility.latest_practice_start(on=on),
        weekly_practice_hours__gte=eligibility.MIN_WEEKLY_HOURS,
        hours_attested_on__gte=eligibility.earliest_current_attestation(on=on),
        hours_attested_on__lte=on,
    )
    if screening.requirements and whole_list:
        for requirement in screening.requirements:
            certified = BoardCertification.objects.annotate(normalized=Lower(Trim("specialty"))).filter(
                normalized__in=sorted(requirement.acceptable)
            )
            reviewers = reviewers.filter(pk__in=certified.values("reviewer_id"))
    elif screening.requirements:
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


def eligible_with_affiliations(
    *, screening: CaseScreening, on: date, whole_list: bool = False
) -> QuerySet[Any]:
    """`eligible_reviewers_sql` in picking order, each reviewer's affiliations annotated as
    `affiliation_rows`: a JSON array of [name, id, identifier] (NULL for none), for the
    conflict screen, in the same query."""
    return (
        eligible_reviewers_sql(screening=screening, on=on, whole_list=whole_list)
        .annotate(
            affiliation_rows=json_rows(
                Affiliation.objects.filter(reviewer_id=OuterRef("pk")),
                group_by="reviewer_id",
                fields=("name", "id", "identifier"),
            )
        )
        .order_by(*PICKING_ORDER)
    )


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
        return eligible_with_affiliations(screening=screening, on=on)[offset : offset + limit]

    # Everything eligible_reviewers_sql reads, so one key is one SQL text.
    key = (
        "shortlist",
        on,
        eligibility.require_california(),
        tuple(tuple(sorted(requirement.acceptable)) for requirement in screening.requirements),
        tuple(sorted(excluded)),
        limit,
        offset,
    )
    compiled, rows = fetch_rows(key, build)
    return [
        (
            reviewer,
            [(name, identifier) for name, _, identifier in sorted(reviewer.affiliation_rows or [])],
        )
        for reviewer in instances(Reviewer, compiled, rows)
    ]


def open_case_count(*, reviewer_id: int) -> int:
    """Active assignments of one reviewer, counted now (one query)."""

    def build() -> QuerySet:
        return (
            Assignment.objects.active()
            .filter(reviewer_id=SLOT)
            .order_by()
            .values("reviewer_id")
            .annotate(n=Count("id"))
            .values("n")
        )

    return fetch_scalar(key=("open_case_count",), build=build, value=reviewer_id) or 0
