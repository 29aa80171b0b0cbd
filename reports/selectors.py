"""The regulator's reports: pure reads, each a few aggregate queries over a period.

Volumes, decisions, clocks, late determinations and reviewer productivity read the daily and
per-letter rollups that reports.rollups keeps (refreshed by a periodic task: flat at any number
of cases); late records reads the cases through its index.

Each report returns a `ReportResult` (columns and rows, the same for the page, the CSV and the
command's JSON). Only `late_determinations` lists cases: its result carries their ids, and the
caller writes an access-log row for each (reports.views, the `report` command).

What counts where (the choices domain.md leaves open):
- volumes: cases by the month their application was received. Eligible: found eligible (by
  staff's confirmation or override: `eligible_on` is set). Ineligible: the case ended
  ineligible. A case ineligible for several reasons counts under each. Duplicates removed:
  ineligible cases whose finding named an earlier IMR of the same dispute; unique = gross -
  duplicates.
- decisions: the item decisions of determinations issued in the period (a later superseded
  one included: its letter went out); overturn rate = overturned / items decided.
- clocks: letters mailed in the period (`Determination.mailed_on`), in calendar days from the
  NOARFI sent (`notice_sent_on`) and from the records complete (`records_complete_on`; after a
  remand, from the remand). The Division counts these clocks in calendar days, so weekends and
  holidays count as days (the tests check a period across a holiday).
- late determinations: issued after the case's determination due date.
- late records: cases whose NOARFI was sent in the period and whose records came after
  `records_due` (or are still missing); penalties by cases.deadlines ($500 a day, at most
  $5,000 a case).
- reviewer productivity: determinations submitted to QA in the period, by reviewer number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils import timezone

from cases import deadlines
from cases.models import Case, CaseEvent, CaseStatus, ItemCategory, Party, PartyRole, Priority
from determinations.models import DeterminationStatus
from reports.aggregates import EMPTY, DaysBetween, Summary, summaries
from reports.errors import ReportError
from reports.models import DecisionDay, LetterClock, ReceivedDay, SubmissionClock
from reports.models import DecisionDimension as D
from reports.periods import Period, month_starts
from reports.rollups import INELIGIBLE_REASONS, decisions_refreshed_at, volume_figures
from reviewers.models import Reviewer

S = CaseStatus
NOT_RECORDED = "Not recorded"
CURRENT_DETERMINATION_STATUSES = [
    s for s in DeterminationStatus.values if s != DeterminationStatus.SUPERSEDED
]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | int | days | percent | usd | date | month: how the page and the CSV write it.
    kind: str = "int"


@dataclass
class ReportResult:
    kind: str
    title: str
    period: Period
    columns: list[Column]
    rows: list[list[Any]]
    # Rows in all (a listing page shows `limit` of them from `offset`).
    total_rows: int = 0
    # The cases whose data the rows show (an access-log row each), in row order.
    case_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [{c.key: value for c, value in zip(self.columns, row, strict=True)} for row in self.rows]


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: str
    description: str
    build: Callable[..., ReportResult]
    lists_cases: bool = False


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _days(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


# ---- Monthly volumes ----


def _refreshed_note() -> str:
    refreshed = decisions_refreshed_at()
    when = timezone.localtime(refreshed).strftime("%m/%d/%Y %H:%M") if refreshed else "never"
    return f"Counted by the periodic rollup, last brought up to date {when}."


def monthly_volumes(
    *, period: Period, today: date, limit: int | None = None, offset: int = 0
) -> ReportResult:
    """From the ReceivedDay rollup (reports.rollups): one query over a row a day."""
    figures = volume_figures()
    found = {
        row["month"]: row
        for row in ReceivedDay.objects.filter(day__range=(period.start, period.end))
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(**{key: Sum(key) for key in figures})
        .order_by("month")
    }
    rows = []
    totals: dict[str, int] = defaultdict(int)
    for month in month_starts(period):
        row = found.get(month, {})
        values = {key: int(row.get(key, 0)) for key in figures}
        values["unique"] = values["gross"] - values["duplicates"]
        values["pending"] = values["gross"] - values["eligible"] - values["ineligible"]
        for key, value in values.items():
            totals[key] += value
        rows.append([month, *(values[key] for key in _VOLUME_KEYS)])
    rows.append(["Total", *(totals[key] for key in _VOLUME_KEYS)])
    return ReportResult(
        kind="volumes",
        title=KINDS["volumes"].title,
        period=period,
        columns=VOLUME_COLUMNS,
        rows=rows,
        total_rows=len(rows),
        notes=[
            "Months of the date the application was received. A case ineligible for several reasons "
            "counts under each reason.",
            _refreshed_note(),
        ],
    )


VOLUME_COLUMNS = [
    Column("month", "Month", "month"),
    Column("gross", "Applications (gross)"),
    Column("duplicates", "Duplicates removed"),
    Column("unique", "Unique applications"),
    Column("eligible", "Eligible"),
    Column("ineligible", "Ineligible"),
    *(Column(key, f"Ineligible: {label}") for key, label, _q in INELIGIBLE_REASONS),
    Column("duplicates_reason", "Ineligible: duplicate IMR"),
    Column("staff_override", "Ineligible: staff override"),
    Column("pending", "Eligibility pending"),
]
_VOLUME_KEYS = [
    "gross",
    "duplicates",
    "unique",
    "eligible",
    "ineligible",
    *(key for key, _label, _q in INELIGIBLE_REASONS),
    "duplicates",
    "staff_override",
    "pending",
]


# ---- Decisions and overturn rates ----


def decisions(*, period: Period, today: date, limit: int | None = None, offset: int = 0) -> ReportResult:
    """From the daily rollup (reports.rollups): one query over about 45 rows a day."""
    found = {
        (r["dimension"], r["key"]): r
        for r in DecisionDay.objects.filter(day__range=(period.start, period.end))
        .values("dimension", "key")
        .annotate(items=Sum("items"), upheld=Sum("upheld"), overturned=Sum("overturned"))
        .order_by()
    }
    empty = {"items": 0, "upheld": 0, "overturned": 0}
    categories = dict(ItemCategory.choices)
    priorities = dict(Priority.choices)
    groups: list[tuple[str, str, dict[str, int]]] = [("All", "All items", found.get((D.ALL, ""), empty))]
    groups += sorted(
        (
            ("Treatment category", str(categories.get(key, key)), r)
            for (dim, key), r in found.items()
            if dim == D.CATEGORY
        ),
        key=lambda g: g[1],
    )
    groups += sorted(
        (
            ("Reviewer specialty", key or NOT_RECORDED, r)
            for (dim, key), r in found.items()
            if dim == D.SPECIALTY
        ),
        key=lambda g: g[1],
    )
    groups += [
        ("Priority", str(priorities[p]), found[(D.PRIORITY, p)])
        for p in Priority.values
        if (D.PRIORITY, p) in found
    ]
    rows = [
        [dimension, label, r["items"], r["upheld"], r["overturned"], _rate(r["overturned"], r["items"])]
        for dimension, label, r in groups
    ]
    return ReportResult(
        kind="decisions",
        title=KINDS["decisions"].title,
        period=period,
        columns=[
            Column("dimension", "By", "text"),
            Column("group", "Group", "text"),
            Column("items", "Items decided"),
            Column("upheld", "Upheld"),
            Column("overturned", "Overturned"),
            Column("overturn_rate", "Overturn rate (%)", "percent"),
        ],
        rows=rows,
        total_rows=len(rows),
        notes=[
            "Item decisions of the determinations issued in the period. A reviewer's specialty is "
            "their first board certification.",
            _refreshed_note(),
        ],
    )


# ---- The two DWC clocks ----

CLOCKS = [
    ("noarfi_to_letter", "NOARFI sent to letter mailed", "noarfi_days"),
    ("records_to_letter", "Records complete to letter mailed", "records_days"),
]


def clocks(*, period: Period, today: date, limit: int | None = None, offset: int = 0) -> ReportResult:
    """From the LetterClock rollup (reports.rollups): its `letter_clock_mailed` index holds the figures."""
    mailed = LetterClock.objects.filter(mailed_on__range=(period.start, period.end))
    priorities = dict(Priority.choices)
    values = {key: F(column) for key, _label, column in CLOCKS}
    # Two queries: every letter, and by priority (both clocks in each).
    overall = summaries(mailed, group=None, values=values).get(None, {})
    by_priority = summaries(mailed, group="priority", values=values)
    rows: list[list[Any]] = []
    for key, label, _start_field in CLOCKS:
        for group_label, figures in [
            ("All", overall),
            *((str(priorities[p]), by_priority.get(p, {})) for p in Priority.values),
        ]:
            rows.append(_clock_row(key, label, group_label, figures.get(key, EMPTY)))
    return ReportResult(
        kind="clocks",
        title=KINDS["clocks"].title,
        period=period,
        columns=[
            Column("clock", "Clock", "text"),
            Column("clock_label", "From → to", "text"),
            Column("priority", "Priority", "text"),
            Column("letters", "Letters"),
            Column("average_days", "Average (days)", "days"),
            Column("median_days", "Median (days)", "days"),
            Column("p90_days", "90th percentile (days)", "days"),
        ],
        rows=rows,
        total_rows=len(rows),
        notes=[
            "Letters mailed in the period, in calendar days (weekends and holidays count). "
            "Percentiles interpolate between the nearest letters, as PostgreSQL's percentile_cont.",
            _refreshed_note(),
        ],
    )


def _clock_row(key: str, label: str, group: str, summary: Summary) -> list[Any]:
    return [
        key,
        label,
        group,
        summary.count,
        _days(summary.average),
        _days(summary.median),
        _days(summary.p90),
    ]


# ---- Determinations decided after their due date ----


def late_determinations(
    *, period: Period, today: date, limit: int | None = None, offset: int = 0
) -> ReportResult:
    # From the LetterClock rollup: its partial index `letter_clock_late` holds only late letters.
    # In the index's order (issue date, then determination), so a page reads its rows and stops.
    late = LetterClock.objects.filter(issued_on__range=(period.start, period.end), days_late__gt=0).order_by(
        "issued_on", "pk"
    )
    listed = late[offset:] if limit is None else late[offset : offset + limit]
    values = list(
        listed.values_list(
            "case_id",
            "case_number",
            "priority",
            "records_complete_on",
            "determination_due",
            "issued_on",
            "days_late",
        )
    )
    # The whole listing (the CSV) is counted as it is read; a page counts apart.
    total = len(values) if limit is None and offset == 0 else late.count()
    priorities = dict(Priority.choices)
    rows = [
        [number, str(priorities.get(priority, priority)), complete, due, issued, days]
        for _id, number, priority, complete, due, issued, days in values
    ]
    notes = [
        "Determinations issued in the period after the case's determination due date.",
        _refreshed_note(),
    ]
    if limit is not None and total > limit:
        notes.append(f"{limit} rows a page; the CSV has all {total}.")
    return ReportResult(
        kind="late_determinations",
        title=KINDS["late_determinations"].title,
        period=period,
        columns=[
            Column("case_number", "Case", "text"),
            Column("priority", "Priority", "text"),
            Column("records_complete_on", "Records complete", "date"),
            Column("determination_due", "Due", "date"),
            Column("issued_on", "Issued", "date"),
            Column("days_late", "Days late"),
        ],
        rows=rows,
        total_rows=total,
        case_ids=[row[0] for row in values],
        notes=notes,
    )


# ---- Late records by claims administrator, with penalties ----


def late_records(*, period: Period, today: date, limit: int | None = None, offset: int = 0) -> ReportResult:
    end = Coalesce(F("records_complete_on"), Value(today))
    days_late = DaysBetween(end, F("records_due"))
    penalty = Least(
        days_late * Value(deadlines.RECORDS_LATE_PENALTY_PER_DAY_USD),
        Value(deadlines.RECORDS_LATE_PENALTY_MAX_USD),
        output_field=IntegerField(),
    )
    # The claims administrator's name looked up per late case (the `party_one_per_role` index),
    # rather than joining every claims administrator of every case.
    administrator = Subquery(
        Party.objects.filter(case=OuterRef("pk"), role=PartyRole.CLAIMS_ADMINISTRATOR).values("name")[:1]
    )
    late = (
        Case.objects.filter(notice_sent_on__range=(period.start, period.end), records_due__isnull=False)
        .filter(
            Q(records_complete_on__gt=F("records_due"))
            | Q(records_complete_on__isnull=True, status=S.AWAITING_RECORDS, records_due__lt=today)
        )
        .annotate(days_late=days_late, penalty=penalty, administrator=administrator)
    )
    grouped = (
        late.values("administrator")
        .annotate(
            cases=Count("pk"),
            still_missing=Count("pk", filter=Q(records_complete_on__isnull=True)),
            days=Sum("days_late"),
            penalties=Sum("penalty"),
        )
        .order_by("-penalties", "administrator")
    )
    rows = [
        [r["administrator"] or NOT_RECORDED, r["cases"], r["still_missing"], r["days"], r["penalties"]]
        for r in grouped
    ]
    total = [
        "Total",
        sum(r[1] for r in rows),
        sum(r[2] for r in rows),
        sum(r[3] for r in rows),
        sum(r[4] for r in rows),
    ]
    return ReportResult(
        kind="late_records",
        title=KINDS["late_records"].title,
        period=period,
        columns=[
            Column("claims_administrator", "Claims administrator", "text"),
            Column("cases", "Cases with late records"),
            Column("still_missing", "Records still missing"),
            Column("days_late", "Days late (sum)"),
            Column("penalty_usd", "Penalties (USD)", "usd"),
        ],
        rows=[*rows, total],
        total_rows=len(rows),
        notes=[
            "Cases whose NOARFI was sent in the period. Days late: after the records due date until "
            f"the records were complete (or until {today.isoformat()} while missing); penalty "
            f"${deadlines.RECORDS_LATE_PENALTY_PER_DAY_USD} a day, at most "
            f"${deadlines.RECORDS_LATE_PENALTY_MAX_USD:,} a case."
        ],
    )


# ---- Reviewer productivity ----


def reviewer_productivity(
    *, period: Period, today: date, limit: int | None = None, offset: int = 0
) -> ReportResult:
    """Submissions from the SubmissionClock rollup (its `submission_clock_at` index holds the
    figures); QA returns live, through the partial index of return events."""
    start, end = period.aware_bounds()
    submitted = SubmissionClock.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    figures = summaries(submitted, group="reviewer_id", values={"days": F("accept_days")})
    counts = dict(
        submitted.values("reviewer_id").annotate(n=Count("pk")).order_by().values_list("reviewer_id", "n")
    )
    returns = dict(
        CaseEvent.objects.filter(
            from_status=S.QA_REVIEW,
            to_status=S.IN_REVIEW,
            effective_on__range=(period.start, period.end),
            case__determinations__reviewer__isnull=False,
            case__determinations__status__in=CURRENT_DETERMINATION_STATUSES,
        )
        .values("case__determinations__reviewer_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("case__determinations__reviewer_id", "n")
    )
    reviewer_ids = sorted(set(counts) | set(returns))
    # Every reviewer's number in one scan of the reviewers (a few thousand rows): an `id IN (…)` of
    # 3,000 ids cost more to plan than the scan (66 ms at 200,000 cases).
    numbers = dict(Reviewer.objects.order_by().values_list("pk", "reviewer_number")) if reviewer_ids else {}
    rows = [
        [
            numbers.get(pk, ""),
            counts.get(pk, 0),
            _days(figures.get(pk, {}).get("days", EMPTY).median),
            returns.get(pk, 0),
        ]
        for pk in reviewer_ids
    ]
    rows.sort(key=lambda row: (-row[1], row[0]))
    total = len(rows)
    rows = rows[offset:] if limit is None else rows[offset : offset + limit]
    return ReportResult(
        kind="reviewer_productivity",
        title=KINDS["reviewer_productivity"].title,
        period=period,
        columns=[
            Column("reviewer_number", "Reviewer", "text"),
            Column("cases", "Determinations submitted"),
            Column("median_days", "Median days, acceptance to submission", "days"),
            Column("qa_returns", "QA returns"),
        ],
        rows=rows,
        total_rows=total,
        notes=[
            "Determinations submitted to QA in the period (the last submission counts), by reviewer "
            "number; QA returns in the period on their cases.",
            _refreshed_note(),
        ],
    )


KINDS: dict[str, ReportKind] = {
    kind.key: kind
    for kind in [
        ReportKind(
            "volumes",
            "Monthly volumes",
            "Applications received each month: gross, duplicates removed, unique, eligible, and "
            "ineligible by reason.",
            monthly_volumes,
        ),
        ReportKind(
            "decisions",
            "Decisions and overturn rates",
            "Item decisions upheld and overturned, by treatment category, reviewer specialty and priority.",
            decisions,
        ),
        ReportKind(
            "clocks",
            "The two DWC clocks",
            "Days from the NOARFI and from complete records to the letter mailed: average, median and "
            "90th percentile.",
            clocks,
        ),
        ReportKind(
            "late_determinations",
            "Determinations decided late",
            "Determinations issued after their due date, case by case.",
            late_determinations,
            lists_cases=True,
        ),
        ReportKind(
            "late_records",
            "Late records by claims administrator",
            "Medical records received after their due date, with the penalties ($500 a day, at most "
            "$5,000 a case).",
            late_records,
        ),
        ReportKind(
            "reviewer_productivity",
            "Reviewer productivity",
            "Determinations submitted, median days from acceptance to submission, and QA returns, by "
            "reviewer.",
            reviewer_productivity,
        ),
    ]
}


def report_kind(key: str) -> ReportKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ReportError(
            f"Unknown report {key!r}. The reports are: {', '.join(KINDS)}.", field="kind"
        ) from None


def run_report(
    *, kind: str, period: Period, today: date, limit: int | None = None, offset: int = 0
) -> ReportResult:
    """The report; over its default period, the one counted by the periodic refresh when there is
    one (reports.snapshots: the clocks, late records and productivity at 200,000 cases)."""
    spec = report_kind(kind)
    from reports.snapshots import snapshot_result  # it builds through this module

    counted = snapshot_result(kind=kind, period=period, today=today, limit=limit, offset=offset)
    return (
        counted if counted is not None else spec.build(period=period, today=today, limit=limit, offset=offset)
    )
