"""Reads of cases that know who may see what."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, models
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.timesince import timesince

from cases.eligibility import (
    claim_number_of,
    same_treatment,
    same_ur_decision,
    treatment_key,
    ur_decision_key,
)
from cases.models import (
    EXPEDITED_FIRST,
    IN_STATE_SINCE,
    ITEM_CATEGORY_BITS,
    OPEN_STATUSES,
    QUEUE_DEADLINE,
    AccessLogEntry,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    DisputedItem,
    Document,
    Party,
    PartyRole,
)
from cases.steps import STEPS
from core.keyset import KeysetPage, SortKey, seek


def cases_visible_to(*, user: User) -> QuerySet[Case]:
    """Staff and QA with `view_all_cases` see every case; a reviewer only the cases assigned to them."""
    cases = Case.objects.all()
    if not user.is_authenticated:
        return cases.none()
    if user.has_perm("cases.view_all_cases"):
        return cases
    return cases.filter(assignments__reviewer__user=user, assignments__active=True)


def document_visible_to(*, user: User, document_id: int) -> Document | None:
    """The document with its case, or None when it does not exist or `user` may not see its case."""
    return (
        Document.objects.select_related("case")
        .filter(pk=document_id, case__in=cases_visible_to(user=user))
        .first()
    )


# ---- Work queues, the case page and the deadline digest ----------------------------------

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class DeadlineRow:
    label: str
    due: date | None
    days_left: int | None  # while pending; negative when overdue
    current: bool  # the deadline the case works against now
    met_on: date | None = None  # the day the step was done, once it was
    done: bool = False  # the step is behind the case (or will not happen any more)
    done_label: str = "done"

    @property
    def overdue(self) -> bool:
        return not self.done and self.days_left is not None and self.days_left < 0

    @property
    def days_late(self) -> int:
        """How late the step was done (0 when on time)."""
        if self.met_on is None or self.due is None:
            return 0
        return max((self.met_on - self.due).days, 0)


# The tabs count each state's cases (and its overdue ones) up to this many and show "1000+"
# beyond: an exact count reads every index entry of the state (95,000 closed cases in a year),
# a capped one at most this many, so the tabs cost the same at any size. At 5,000 the 24 counts
# read about 55,000 index entries on every view of a queue, some 20 ms of the page's 50 ms of
# CPU at 200,000 cases; at 1,000 about 12,000. The dashboard has the open states' exact counts.
QUEUE_COUNT_CAP = 1_000


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, already checked (cases.views.queues): empty means no filter.
    `reviewer_id` is the reviewer whose number was asked for (`queue_reviewer_id`)."""

    priority: str = ""
    category: str = ""
    overdue: bool = False
    reviewer_id: int | None = None


NO_FILTERS = QueueFilters()


def _assignment_model() -> type[models.Model]:
    # The reviewers app stands above cases: its assignments are read by the reverse relation.
    return Case._meta.get_field("assignments").related_model  # type: ignore[return-value]


def queue_reviewer_id(*, reviewer_number: str) -> int | None:
    """The id of the reviewer with that number (case-insensitive), or None when there is none."""
    reviewer_model = _assignment_model()._meta.get_field("reviewer").related_model
    return (
        reviewer_model._default_manager.filter(reviewer_number__iexact=reviewer_number.strip())  # type: ignore[union-attr]
        .values_list("pk", flat=True)
        .first()
    )


def with_item_category(cases: QuerySet[Case], category: str) -> QuerySet[Case]:
    """The cases with a disputed item of `category` (a value of ItemCategory): on PostgreSQL by
    the case's category bits (migration 0013: no probe of the items), elsewhere by `EXISTS`."""
    if connection.vendor == "postgresql" and category in ITEM_CATEGORY_BITS:
        bits = RawSQL(
            "item_categories & %s", [ITEM_CATEGORY_BITS[category]], output_field=models.IntegerField()
        )
        return cases.alias(category_bit=bits).filter(category_bit__gt=0)
    return cases.filter(models.Exists(DisputedItem.objects.filter(case=OuterRef("pk"), category=category)))


def _filter_sql(filters: QueueFilters) -> tuple[str, list]:
    """The filters as SQL conditions on the cases table (for the counts), with their parameters.
    Only quoted table names are written into the SQL; every value is a parameter."""
    table = connection.ops.quote_name(Case._meta.db_table)
    sql, params = " AND consolidated_into_id IS NULL", cast(list[str | int], [])
    if filters.priority:
        sql += " AND priority = %s"
        params.append(filters.priority)
    if filters.overdue:
        sql += " AND overdue"
    if filters.category and connection.vendor == "postgresql" and filters.category in ITEM_CATEGORY_BITS:
        # The case's category bits (kept by triggers, migration 0013): the condition of the
        # category's partial index `case_counts_<category>`, written as a literal so the planner
        # matches it; the bit comes from the whitelist, never from the request.
        sql += f" AND (item_categories & {int(ITEM_CATEGORY_BITS[filters.category])}) > 0"
    elif filters.category:
        items = connection.ops.quote_name(DisputedItem._meta.db_table)
        sql += f" AND EXISTS (SELECT 1 FROM {items} i WHERE i.case_id = {table}.id AND i.category = %s)"  # noqa: S608
        params.append(filters.category)
    if filters.reviewer_id is not None:
        assignments = connection.ops.quote_name(_assignment_model()._meta.db_table)
        sql += (
            f" AND EXISTS (SELECT 1 FROM {assignments} a WHERE a.case_id = {table}.id"  # noqa: S608
            " AND a.active AND a.reviewer_id = %s)"
        )
        params.append(filters.reviewer_id)
    return sql, params


def _capped_counts_sql(filter_sql: str) -> str:
    """One statement: per state, its cases and its overdue cases, each counted up to the cap.

    Written once as SQL: built through the ORM, the 24 subqueries cost ~20 ms of Python on
    every view, for SQL that runs in under 1 ms. Plain SQL that SQLite runs too.
    """
    table = connection.ops.quote_name(Case._meta.db_table)
    part = "(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE status = %s{filters}{extra} LIMIT %s) capped)"
    parts = [
        part.format(table=table, filters=filter_sql, extra=extra)
        for _status in CaseStatus.values
        for extra in ("", " AND overdue")
    ]
    return f"SELECT {', '.join(parts)}"


def queue_counts(*, user: User, filters: QueueFilters = NO_FILTERS) -> dict[str, dict[str, int | bool]]:
    """Per state: `total` cases and `overdue` ones under `filters`, each exact up to
    QUEUE_COUNT_CAP (`capped`, `overdue_capped`: at least that many). One query; without the
    item-category and reviewer filters each count is served by the `case_queue_counts` index
    alone; with a category filter, on PostgreSQL, by that category's partial index
    `case_counts_<category>` alone (cases/migrations/0013_scale_item_categories; SQLite probes
    each case's items). Consolidated cases are not counted (they are listed under their lead case). Only for
    users who see every case (the staff queues)."""
    if not user.has_perm("cases.view_all_cases"):
        raise PermissionError("The queue counts count every case.")
    filter_sql, filter_params = _filter_sql(filters)
    params: list = []
    for status in CaseStatus.values:
        params += [status, *filter_params, QUEUE_COUNT_CAP + 1, status, *filter_params, QUEUE_COUNT_CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute(_capped_counts_sql(filter_sql), params)
        numbers = list(cursor.fetchone())
    counts: dict[str, dict[str, int | bool]] = {}
    for index, status in enumerate(CaseStatus.values):
        total, overdue = numbers[2 * index], numbers[2 * index + 1]
        counts[status] = {
            "total": min(total, QUEUE_COUNT_CAP),
            "capped": total > QUEUE_COUNT_CAP,
            "overdue": min(overdue, QUEUE_COUNT_CAP),
            "overdue_capped": overdue > QUEUE_COUNT_CAP,
        }
    return counts


# The queues' order: nearest deadline first, cases without one last, then oldest first. The
# nullable deadline is read through COALESCE so the key is total, and the indexes in
# Case.Meta are on the very same expressions (keyset pages start inside them).
_QUEUE_KEYS = [
    SortKey("deadline_key", QUEUE_DEADLINE, date),
    SortKey("received_key", F("received_on"), date),
    SortKey("id_key", F("id"), int),
]
_EXPEDITED_FIRST = SortKey("expedited_key", EXPEDITED_FIRST, int)
_RECEIVED_KEYS = [SortKey("received_key", F("received_on"), date), SortKey("id_key", F("id"), int)]
_IN_STATE_KEYS = [SortKey("in_state_key", IN_STATE_SINCE, date), SortKey("id_key", F("id"), int)]


@dataclass(frozen=True)
class QueueSort:
    label: str
    keys: tuple[SortKey, ...]
    descending: bool = False


# The sorts the queue offers, each served by an index on its keys (one state's queue and the
# open queue; a descending sort reads the same index backwards): the deadline indexes of
# 0007, `case_queue_received`, `case_received_order`/`case_open_queue_received` and the
# days-in-state indexes of 0011. The columns read from other tables (employee, provider,
# reviewer) are not sortable: no index on the cases table can serve their order.
QUEUE_SORTS: dict[str, QueueSort] = {
    "deadline": QueueSort("Nearest deadline first", tuple(_QUEUE_KEYS)),
    "-deadline": QueueSort("Farthest deadline first", tuple(_QUEUE_KEYS), descending=True),
    "in_state": QueueSort("Longest in its state first", tuple(_IN_STATE_KEYS)),
    "-in_state": QueueSort("Newest in its state first", tuple(_IN_STATE_KEYS), descending=True),
    "received": QueueSort("Received, oldest first", tuple(_RECEIVED_KEYS)),
    "-received": QueueSort("Received, newest first", tuple(_RECEIVED_KEYS), descending=True),
}
DEFAULT_QUEUE_SORT = "deadline"


def queue_keys(*, status: str | None, sort: str = DEFAULT_QUEUE_SORT) -> list[SortKey]:
    """The ready-for-assignment queue lists expedited cases first in the default order: they
    have hours, not weeks."""
    keys = list(QUEUE_SORTS[sort].keys)
    if status == CaseStatus.READY_FOR_ASSIGNMENT and sort == DEFAULT_QUEUE_SORT:
        return [_EXPEDITED_FIRST, *keys]
    return keys


def _party(role: str, field: str) -> Subquery:
    return Subquery(Party.objects.filter(case=OuterRef("pk"), role=role).order_by().values(field)[:1])


def queue_cases(*, user: User, status: str | None, filters: QueueFilters = NO_FILTERS) -> QuerySet[Case]:
    """Cases of one state (or every open case) under `filters`, with the queue's columns,
    unordered: `queue_page` orders and pages them. A case consolidated into another is not
    listed on its own (it is reviewed under its lead case).

    Each column from another table (items, employee, claim number, provider, reviewer) is a
    correlated subquery per row shown, not a GROUP BY or a join over the whole queue.
    """
    cases = cases_visible_to(user=user).filter(consolidated_into__isnull=True)
    cases = cases.filter(status=status) if status else cases.filter(status__in=OPEN_STATUSES)
    assignments = _assignment_model()._default_manager
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.overdue:
        cases = cases.filter(overdue=True)
    if filters.category:
        cases = with_item_category(cases, filters.category)
    if filters.reviewer_id is not None:
        cases = cases.filter(
            models.Exists(
                assignments.filter(case=OuterRef("pk"), active=True, reviewer_id=filters.reviewer_id)
            )
        )
    items = (
        DisputedItem.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    reviewer = (
        assignments.filter(case=OuterRef("pk"), active=True)
        .order_by()
        .values("reviewer__reviewer_number")[:1]
    )
    return cases.annotate(
        item_count=Coalesce(Subquery(items, output_field=models.IntegerField()), Value(0)),
        employee_name=_party(PartyRole.EMPLOYEE, "name"),
        claim_number=_party(PartyRole.CLAIMS_ADMINISTRATOR, "claim_number"),
        provider_name=_party(PartyRole.REQUESTING_PROVIDER, "name"),
        reviewer_number=Subquery(reviewer, output_field=models.CharField()),
        in_state_since=IN_STATE_SINCE,
    ).order_by()


def queue_page(
    *,
    user: User,
    status: str | None,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
    sort: str = DEFAULT_QUEUE_SORT,
    filters: QueueFilters = NO_FILTERS,
) -> KeysetPage[Case]:
    """One page of a queue (`QUEUE_PAGE_SIZE` cases) in the `sort` order (a key of
    QUEUE_SORTS), by keyset (one query).

    Raises InvalidCursor for a cursor that does not parse.
    """
    return seek(
        queue_cases(user=user, status=status, filters=filters),
        keys=queue_keys(status=status, sort=sort),
        size=QUEUE_PAGE_SIZE,
        after=after,
        before=before,
        last=last,
        descending=QUEUE_SORTS[sort].descending,
    )


@dataclass(frozen=True)
class AssignmentWait:
    """Why a case ready for assignment is flagged in the queue, and how long it has waited."""

    flagged: bool
    reason: str
    since: datetime | None
    waited: timedelta | None

    @property
    def waited_text(self) -> str:
        """`1 day, 3 hours`; blank when the start of the wait is unknown."""
        if self.since is None or self.waited is None:
            return ""
        return timesince(self.since, self.since + self.waited)


def stale_after(*, case: Case) -> timedelta:
    """How long a case may wait for a reviewer before the queue flags it (settings)."""
    if case.is_expedited:
        return timedelta(hours=settings.ASSIGNMENT_STALE_HOURS_EXPEDITED)
    return timedelta(hours=settings.ASSIGNMENT_STALE_HOURS)


def assignment_wait(*, case: Case, now: datetime) -> AssignmentWait | None:
    """For a case ready for assignment: flagged when nobody qualifies or it waited too long.

    Reads only the case row (`ready_since`, the manual-assignment flag), so a queue page
    costs no extra query per case. None for a case in any other state.
    """
    if case.status != CaseStatus.READY_FOR_ASSIGNMENT:
        return None
    since = case.ready_since
    waited = max(now - since, timedelta(0)) if since is not None else None
    limit = stale_after(case=case)
    if case.needs_manual_assignment:
        reason = case.manual_assignment_reason or "No reviewer qualifies: assign one by hand."
        return AssignmentWait(flagged=True, reason=reason, since=since, waited=waited)
    if waited is not None and waited >= limit:
        hours = int(limit.total_seconds() // 3600)
        reason = f"Not picked up by any reviewer within {hours} hour{'s' if hours != 1 else ''}."
        return AssignmentWait(flagged=True, reason=reason, since=since, waited=waited)
    return AssignmentWait(flagged=False, reason="", since=since, waited=waited)


def date_assigned_from(*, events: Iterable[CaseEvent], reviewer_number: str | None) -> date | None:
    """The day the case was last assigned, to `reviewer_number` when an event names them.

    Read from the transition events into `assigned`: imported history carries them with the
    history's dates (an imported case may have no Assignment row, and the rows it has were
    written on the import day), and live assignments write one each. `events` are the case's
    transition events in any order.
    """
    into_assigned = sorted(
        (e for e in events if e.to_status == CaseStatus.ASSIGNED and e.from_status != CaseStatus.ASSIGNED),
        key=lambda e: (e.effective_on, e.pk),
        reverse=True,
    )
    for event in into_assigned:
        if reviewer_number and (event.data or {}).get("reviewer_number") == reviewer_number:
            return event.effective_on
    return into_assigned[0].effective_on if into_assigned else None


def date_assigned(*, case_id: int, reviewer_number: str | None) -> date | None:
    """`date_assigned_from` for one case (1 query): the letter's Date Assigned and the export's."""
    events = CaseEvent.objects.filter(
        case_id=case_id, kind=CaseEventKind.TRANSITION, to_status=CaseStatus.ASSIGNED
    ).only("effective_on", "from_status", "to_status", "data")
    return date_assigned_from(events=events, reviewer_number=reviewer_number)


def case_for_page(*, user: User, case_id: int) -> Case | None:
    """The case with everything its page shows, or None when `user` may not see it."""
    # Assignments belong to the reviewers app, which stands above cases: reached through the
    # reverse relation `Case.assignments` by name, never imported (as determinations below).
    assignment_model = cast(type[models.Model], Case._meta.get_field("assignments").related_model)
    return (
        cases_visible_to(user=user)
        .filter(pk=case_id)
        .select_related("consolidated_into")
        .prefetch_related(
            "parties",
            Prefetch("disputed_items", queryset=DisputedItem.objects.select_related("origin_case")),
            "consolidated_cases",
            "documents",
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("assignments", queryset=assignment_model._default_manager.select_related("reviewer")),
        )
        .first()
    )


def case_for_step_page(*, user: User, case_id: int) -> Case | None:
    """The case with what a step's page and its guards read (documents, consolidated cases)."""
    return (
        cases_visible_to(user=user)
        .filter(pk=case_id)
        .prefetch_related("documents", "consolidated_cases")
        .first()
    )


@dataclass(frozen=True)
class EarlierImrItem:
    description: str
    outcome: str  # "Upheld" / "Overturned" once the letter was issued, else ""


@dataclass(frozen=True)
class EarlierImr:
    """An earlier IMR on the same claim with a treatment of this case, for staff's information."""

    case_id: int
    case_number: str
    received_on: date
    ur_decision_date: date
    status_label: str
    same_ur_decision: bool  # the same dispute filed twice (the duplicate rule)
    items: list[EarlierImrItem]


# The determinations app stands above cases: its per-item decisions are read through the
# reverse relation `DisputedItem.decisions` by name, never imported.
_ISSUED_DETERMINATION = "issued"


def earlier_imrs_on_same_treatment(*, case: Case) -> list[EarlierImr]:
    """Every IMR received before `case` on its claim that disputed one of its treatments, oldest
    first, with each matching item's outcome where the letter was issued. One query.

    Reads the prefetched parties and disputed items of `case` when the page loaded them.
    """
    claim = claim_number_of(case)
    mine = [
        treatment_key(description=i.description, procedure_code=i.procedure_code, body_part=i.body_part)
        for i in case.disputed_items.all()
    ]
    if not claim or not mine:
        return []
    rows = (
        DisputedItem.objects.filter(
            case__parties__role=PartyRole.CLAIMS_ADMINISTRATOR, case__parties__claim_number=claim
        )
        .filter(
            Q(case__received_on__lt=case.received_on)
            | Q(case__received_on=case.received_on, case_id__lt=case.pk)
        )
        .exclude(case_id=case.pk)
        .annotate(
            # At most one issued determination per case, so at most one decision per item.
            outcome=Max(
                "decisions__decision", filter=Q(decisions__determination__status=_ISSUED_DETERMINATION)
            )
        )
        .order_by("case__received_on", "case_id", "position")
        .values_list(
            "case_id",
            "case__case_number",
            "case__received_on",
            "case__ur_decision_date",
            "case__ur_organization",
            "case__status",
            "description",
            "procedure_code",
            "body_part",
            "outcome",
        )
    )
    # The decision model is read through the relation: cases does not import determinations.
    decision_model = cast("type[models.Model]", DisputedItem._meta.get_field("decisions").related_model)
    outcome_labels = dict(cast(models.Field, decision_model._meta.get_field("decision")).flatchoices)
    mine_decision = ur_decision_key(decision_date=case.ur_decision_date, organization=case.ur_organization)
    found: dict[int, EarlierImr] = {}
    for (
        case_id,
        case_number,
        received_on,
        ur_decision_date,
        ur_organization,
        status,
        description,
        procedure_code,
        body_part,
        outcome,
    ) in rows:
        key = treatment_key(description=description, procedure_code=procedure_code, body_part=body_part)
        if not any(same_treatment(key, m) for m in mine):
            continue
        if case_id not in found:
            found[case_id] = EarlierImr(
                case_id=case_id,
                case_number=case_number,
                received_on=received_on,
                ur_decision_date=ur_decision_date,
                status_label=CaseStatus(status).label,
                same_ur_decision=same_ur_decision(
                    ur_decision_key(decision_date=ur_decision_date, organization=ur_organization),
                    mine_decision,
                ),
                items=[],
            )
        found[case_id].items.append(
            EarlierImrItem(
                description=description, outcome=outcome_labels.get(outcome, "") if outcome else ""
            )
        )
    return list(found.values())


_AFTER_ELIGIBILITY = {
    CaseStatus.INELIGIBLE,
    CaseStatus.AWAITING_RECORDS,
    CaseStatus.READY_FOR_ASSIGNMENT,
    CaseStatus.ASSIGNED,
    CaseStatus.IN_REVIEW,
    CaseStatus.QA_REVIEW,
    CaseStatus.DETERMINATION_ISSUED,
    CaseStatus.CLOSED,
}
_DECIDED = {CaseStatus.DETERMINATION_ISSUED, CaseStatus.CLOSED}
_ENDED = {CaseStatus.WITHDRAWN, CaseStatus.TERMINATED, CaseStatus.INELIGIBLE}


def deadline_rows(*, case: Case, on: date) -> list[DeadlineRow]:
    """Each stored deadline: pending ones count days left (negative: overdue), done ones say when."""
    status = case.status
    ended = status in _ENDED
    steps = [
        ("Application due", case.application_due, case.received_on, True),
        (
            "Eligibility information due",
            case.eligibility_info_due,
            case.eligible_on,
            status in _AFTER_ELIGIBILITY,
        ),
        ("NOARFI due", case.notice_due, case.notice_sent_on, case.notice_sent_on is not None),
        (
            "Medical records due",
            case.records_due,
            case.records_complete_on,
            case.records_complete_on is not None,
        ),
        ("Determination due", case.determination_due, None, status in _DECIDED),
        # The parties' deadline: it runs out, it is never "overdue" for the IMRO.
        ("Appeal period ends", case.appeal_due, None, case.appeal_due is not None and case.appeal_due < on),
    ]
    rows = []
    for label, due, met_on, done in steps:
        done = done or ended
        rows.append(
            DeadlineRow(
                label=label,
                due=due,
                days_left=(due - on).days if due and not done else None,
                current=due is not None and due == case.next_deadline and not done,
                met_on=met_on if done else None,
                done=done,
                done_label="ended" if label == "Appeal period ends" else "done",
            )
        )
    return rows


def cases_due_within(*, until: date) -> QuerySet[Case]:
    """Open cases whose next deadline is on or before `until` (overdue ones included)."""
    return (
        Case.objects.filter(status__in=OPEN_STATUSES, next_deadline__isnull=False, next_deadline__lte=until)
        .only("id", "case_number", "status", "priority", "next_deadline")
        .order_by("next_deadline", "case_number")
    )


@dataclass(frozen=True)
class AvailableAction:
    key: str
    label: str
    blocked: str = ""  # why the step cannot be taken yet (the button is shown disabled)
    rare: bool = False  # under "More actions" (its own page), not a primary button


def available_actions(*, case: Case, user: User, on: date) -> list[AvailableAction]:
    """The staff steps the case allows now, in the order they are usually taken.

    Reads the step table: a step whose guard blocks it is shown greyed out with the guard's
    reason (the same words the service refuses with), or left out when its row says so.
    """
    if not user.has_perm("cases.transition_case"):
        return []
    actions: list[AvailableAction] = []
    for step in STEPS.values():
        if case.status not in step.sources or not step.offered_to(user):
            continue
        blocked = step.blocked(case=case, on=on) or ""
        if blocked and step.hide_when_blocked:
            continue
        actions.append(AvailableAction(step.key, step.label, blocked, rare=step.rare))
    return actions


# ---- Staff search ---------------------------------------------------------------------------

SEARCH_PAGE_SIZE = 50


def exact_case_number_hit(*, user: User, query: str) -> Case | None:
    """The one case whose number is `query` (any letter case), when `user` may see it."""
    return cases_visible_to(user=user).filter(case_number=query.strip().upper()).only("pk").first()


def matching_case_ids(*, query: str) -> QuerySet:
    """The ids of the cases matching `query` by case number (prefix), claim number, employee or
    requesting provider name: `pk IN (union of one lookup per field)`, so PostgreSQL serves each
    branch from its own trigram GIN index (migration 0006); `icontains` becomes
    `UPPER(col) LIKE UPPER(...)` there and Django escapes `%` and `_`, so they match literally."""
    query = query.strip()
    parties = Party.objects.order_by()
    branches = [
        Case.objects.order_by().filter(case_number__startswith=query.upper()).values("pk"),
        parties.filter(role=PartyRole.CLAIMS_ADMINISTRATOR, claim_number__icontains=query).values("case_id"),
        # The employee's name is "First Last": it holds any part of the first or last name, so
        # one scan of the name index serves the employee and the requesting provider.
        parties.filter(
            role__in=[PartyRole.EMPLOYEE, PartyRole.REQUESTING_PROVIDER], name__icontains=query
        ).values("case_id"),
    ]
    return branches[0].union(*branches[1:])


# A search lists at most this many cases, newest first ("1000+" beyond: refine the search). The
# matching ids are read once, sorted by the day received (index-only lookups through
# `case_id_received`, migration 0014), and give the page and the count together: a common
# surname (2,500 matching cases of 200,000) was read twice before, once for the count.
SEARCH_MATCH_CAP = 1_000


def search_case_ids(*, user: User, query: str) -> list[int]:
    """The ids of the cases `user` may see matching `query`, newest first, at most
    SEARCH_MATCH_CAP + 1 (one more than the cap says there are more). One query."""
    query = query.strip()
    if not query:
        return []
    return list(
        cases_visible_to(user=user)
        .filter(pk__in=matching_case_ids(query=query))
        .order_by("-received_on", "-id")
        .values_list("pk", flat=True)[: SEARCH_MATCH_CAP + 1]
    )


def search_rows(*, user: User, ids: Sequence[int]) -> list[Case]:
    """The cases of one page of `search_case_ids`, in that order, with the employee's name and
    the claim number (subqueries per row): one query."""
    rows = {case.pk: case for case in search_cases_for_ids(user=user, ids=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def search_cases_for_ids(*, user: User, ids: Sequence[int]) -> QuerySet[Case]:
    parties = Party.objects.order_by()
    employee = parties.filter(case=OuterRef("pk"), role=PartyRole.EMPLOYEE)
    claims_admin = parties.filter(case=OuterRef("pk"), role=PartyRole.CLAIMS_ADMINISTRATOR)
    return (
        cases_visible_to(user=user)
        .filter(pk__in=list(ids))
        .annotate(
            employee_name=Subquery(employee.values("name")[:1]),
            claim_number=Subquery(claims_admin.values("claim_number")[:1]),
        )
        .only("pk", "case_number", "status", "received_on")
        .order_by("-received_on", "-id")
    )


def access_log_entries(
    *, start: date, end: date, case_number: str | None = None, username: str | None = None
) -> QuerySet[AccessLogEntry]:
    """The access log from `start` to `end` (whole days in TIME_ZONE, both included), oldest first,
    for one case and/or one user (by username)."""
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    entries = AccessLogEntry.objects.select_related("user", "case").filter(at__gte=since, at__lt=until)
    if case_number is not None:
        entries = entries.filter(case__case_number=case_number)
    if username is not None:
        entries = entries.filter(user__username=username)
    return entries.order_by("at", "id")


# ---- Consolidation ---------------------------------------------------------------------------

CONSOLIDATION_CANDIDATES_LIMIT = 20


def consolidation_candidates(*, case: Case) -> list[Case]:
    """Other open applications that could be consolidated into `case` now (same employee, date of
    injury and requesting physician, NOARFI not yet sent), at most CONSOLIDATION_CANDIDATES_LIMIT.

    Two queries (the cases by date of injury and employee name, their parties); none when `case`
    itself can take no consolidation. Reads the prefetched parties of `case`."""
    from cases.services.consolidation import CONSOLIDATE_STATUSES, why_not_consolidable

    if case.status not in CONSOLIDATE_STATUSES or case.consolidated_into_id is not None:
        return []
    employee = next((p for p in case.parties.all() if p.role == PartyRole.EMPLOYEE), None)
    if employee is None:
        return []
    others = (
        Case.objects.filter(
            injury_date=case.injury_date,
            status__in=CONSOLIDATE_STATUSES,
            consolidated_into__isnull=True,
            parties__role=PartyRole.EMPLOYEE,
            parties__name__iexact=employee.name,
        )
        .exclude(pk=case.pk)
        .prefetch_related("parties")
        .order_by("received_on", "id")[:CONSOLIDATION_CANDIDATES_LIMIT]
    )
    return [
        other for other in others if not why_not_consolidable(lead=case, other=other, check_members=False)
    ]
