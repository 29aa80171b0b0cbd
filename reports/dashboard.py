"""The operations dashboard: a handful of aggregate queries, each served by an index.

Counts only: no case is named, so the page writes no access-log row. Each section is a list
of rows that the template shows as a table (the numbers a screen reader reads) and that
static/js/dashboard-charts.js draws from that same table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case as Conditional
from django.db.models import Count, DateField, F, FloatField, Q, Sum, Value, When
from django.db.models.functions import Cast, TruncMonth

from cases.models import OPEN_STATUSES, Case, CaseStatus
from determinations.models import Delivery, DeliveryStatus
from reports.models import DecisionDay, DecisionDimension, ReceivedDay
from reports.periods import Period, default_period, month_starts
from reviewers.models import Reviewer, ReviewerStatus

S = CaseStatus

# Age of an open case, in days since the application was received: (label, at most; None: any).
AGE_BUCKETS: list[tuple[str, int | None]] = [
    ("0 to 7 days", 7),
    ("8 to 14 days", 14),
    ("15 to 30 days", 30),
    ("31 to 45 days", 45),
    ("over 45 days", None),
]
WORKLOAD_BUCKETS = ["No open cases", "Under half", "Half or more", "At capacity"]
BUSIEST_REVIEWERS = 10


@dataclass(frozen=True)
class WorkItem:
    label: str
    count: int
    overdue: int | None = None
    status: str = ""  # the queue it opens (cases:queues?status=), "" for none


@dataclass(frozen=True)
class OpenCount:
    status: str
    overdue: bool
    received_on: date
    count: int


def open_case_counts() -> list[OpenCount]:
    """The open cases counted by state, overdue and day received: one query, read in the order of
    the `report_case_open_board` index alone (no sort, no per-row expression; `COUNT(*)`, as
    `COUNT(id)` would read each case's row for an id the index does not hold). Today's work and
    the ageing table are both folded from it in Python (a few hundred rows)."""
    return [
        OpenCount(status, overdue, received_on, n)
        for status, overdue, received_on, n in Case.objects.filter(status__in=OPEN_STATUSES)
        .values("status", "overdue", "received_on")
        .annotate(n=Count("*"))
        .order_by("status", "overdue", "received_on")
        .values_list("status", "overdue", "received_on", "n")
    ]


def todays_work(*, today: date, open_counts: list[OpenCount] | None = None) -> list[WorkItem]:
    """Open cases by state and overdue (`open_case_counts`, given or read), applications
    received today, deliveries waiting for the post: three queries, two with `open_counts`."""
    by_status: dict[str, list[int]] = {status: [0, 0] for status in OPEN_STATUSES}
    for row in open_counts if open_counts is not None else open_case_counts():
        by_status[row.status][0] += row.count
        if row.overdue:
            by_status[row.status][1] += row.count
    received_today = Case.objects.filter(received_on=today).count()
    to_post = Delivery.objects.filter(status=DeliveryStatus.TO_POST).count()

    def total(*statuses: str) -> tuple[int, int]:
        return sum(by_status[s][0] for s in statuses), sum(by_status[s][1] for s in statuses)

    eligibility = total(S.RECEIVED, S.ELIGIBILITY_REVIEW)
    records = total(S.AWAITING_RECORDS)
    ready = total(S.READY_FOR_ASSIGNMENT)
    review = total(S.ASSIGNED, S.IN_REVIEW)
    qa = total(S.QA_REVIEW)
    return [
        WorkItem("Received today", received_today),
        WorkItem("Awaiting eligibility", eligibility[0], eligibility[1], S.ELIGIBILITY_REVIEW),
        WorkItem("Awaiting records", records[0], records[1], S.AWAITING_RECORDS),
        WorkItem("Ready, no reviewer yet", ready[0], ready[1], S.READY_FOR_ASSIGNMENT),
        WorkItem("With a reviewer", review[0], review[1], S.IN_REVIEW),
        WorkItem("In QA", qa[0], qa[1], S.QA_REVIEW),
        WorkItem("Letters to post", to_post),
    ]


def _age_bucket(received_on: date, today: date) -> int:
    """The index of the AGE_BUCKETS row of a case received that day."""
    for index, (_label, most) in enumerate(AGE_BUCKETS):
        if most is not None and received_on >= today - timedelta(days=most):
            return index
    return len(AGE_BUCKETS) - 1


@dataclass(frozen=True)
class AgeingRow:
    status: str
    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


def ageing(*, today: date, open_counts: list[OpenCount] | None = None) -> list[AgeingRow]:
    """Open cases by state and age bucket, folded from `open_case_counts` (given or read)."""
    found: dict[tuple[str, int], int] = defaultdict(int)
    for row in open_counts if open_counts is not None else open_case_counts():
        found[(row.status, _age_bucket(row.received_on, today))] += row.count
    labels = dict(CaseStatus.choices)
    return [
        AgeingRow(status, str(labels[status]), [found.get((status, b), 0) for b in range(len(AGE_BUCKETS))])
        for status in OPEN_STATUSES
    ]


@dataclass(frozen=True)
class DueDay:
    day: date | None  # None: the row of cases already past their deadline
    count: int


def due_this_week(*, today: date) -> list[DueDay]:
    """Open cases by their next deadline: already overdue, then each of the next seven days."""
    last = today + timedelta(days=6)
    rows = dict(
        Case.objects.filter(status__in=OPEN_STATUSES, next_deadline__lte=last)
        .annotate(
            day=Conditional(
                When(next_deadline__lt=today, then=Value(None)),
                default=F("next_deadline"),
                output_field=DateField(),
            )
        )
        .values("day")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("day", "n")
    )
    return [DueDay(None, rows.get(None, 0))] + [
        DueDay(today + timedelta(days=n), rows.get(today + timedelta(days=n), 0)) for n in range(7)
    ]


@dataclass(frozen=True)
class Workload:
    reviewers: int
    open_cases: int
    capacity: int
    buckets: list[int]
    busiest: list[tuple[str, int, int]]  # (reviewer number, open cases, maximum)

    @property
    def use_percent(self) -> float | None:
        return round(100.0 * self.open_cases / self.capacity, 1) if self.capacity else None


def reviewer_workload() -> Workload:
    """Active reviewers' open cases against their maximum: one aggregate, and the ten busiest."""
    active = Reviewer.objects.filter(status=ReviewerStatus.ACTIVE)
    totals = active.aggregate(
        reviewers=Count("pk"),
        held=Sum("open_cases", default=0),
        capacity=Sum("max_open_cases", default=0),
        idle=Count("pk", filter=Q(open_cases=0)),
        full=Count("pk", filter=Q(open_cases__gte=F("max_open_cases"))),
        half=Count(
            "pk",
            filter=Q(open_cases__gt=0, open_cases__lt=F("max_open_cases"))
            & Q(open_cases__gte=Cast(F("max_open_cases"), FloatField()) / 2),
        ),
    )
    under_half = totals["reviewers"] - totals["idle"] - totals["full"] - totals["half"]
    busiest = list(
        active.filter(open_cases__gt=0)
        .annotate(load=Cast(F("open_cases"), FloatField()) / F("max_open_cases"))
        .order_by("-load", "-open_cases", "reviewer_number")
        .values_list("reviewer_number", "open_cases", "max_open_cases")[:BUSIEST_REVIEWERS]
    )
    return Workload(
        reviewers=totals["reviewers"],
        open_cases=totals["held"],
        capacity=totals["capacity"],
        buckets=[totals["idle"], under_half, totals["half"], totals["full"]],
        busiest=busiest,
    )


@dataclass(frozen=True)
class TrendMonth:
    month: date
    received: int
    decided: int
    items: int
    overturned: int

    @property
    def overturn_rate(self) -> float | None:
        return round(100.0 * self.overturned / self.items, 1) if self.items else None


def monthly_trend(*, today: date) -> tuple[Period, list[TrendMonth]]:
    """The last twelve months: applications received, determinations issued, and the overturn rate
    of their items. Two grouped queries over the daily rollups (reports.rollups): about 365 rows each."""
    period = default_period(today=today)
    received = dict(
        ReceivedDay.objects.filter(day__range=(period.start, period.end))
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(n=Sum("gross"))
        .order_by()
        .values_list("month", "n")
    )
    # Decided and overturned from the daily rollup (reports.rollups): about 365 rows.
    decided = {
        row["month"]: row
        for row in DecisionDay.objects.filter(
            dimension=DecisionDimension.ALL, day__range=(period.start, period.end)
        )
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(determinations=Sum("determinations"), items=Sum("items"), overturned=Sum("overturned"))
        .order_by()
    }
    months = []
    for month in month_starts(period):
        row = decided.get(month, {})
        months.append(
            TrendMonth(
                month,
                received.get(month, 0),
                row.get("determinations", 0),
                row.get("items", 0),
                row.get("overturned", 0),
            )
        )
    return period, months
