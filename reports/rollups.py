"""The reports' rollups (DecisionDay, LetterClock, SubmissionClock): written here, by the periodic task only.

Why a rollup here and indexes elsewhere: the decisions report and the dashboard's trend count
item decisions by treatment category (on the disputed item), by the reviewer's specialty and by
the case's priority: live, each count joins a year of item decisions to their disputed items,
determinations and cases, tens of milliseconds at 20,000 cases and ten times that at 200,000
(bench/reports_explain.py). Counted once per day of issue, a year is about 365 x 45 small rows.
An issued determination's decisions never change (determinations.models locks them), so a day
once counted stays true: the refresh recounts only the days of determinations changed since the
last refresh (their `updated_at`: a letter issued, an import of past cases), and today.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery

from cases.models import Case, CaseEvent, CaseStatus
from core import clock
from determinations.models import Decision, Determination, ItemDecision
from reports.aggregates import DaysBetween
from reports.models import (
    DecisionDay,
    DecisionDimension,
    LetterClock,
    ReceivedDay,
    RollupState,
    SubmissionClock,
)
from reviewers.models import Assignment, AssignmentStatus, BoardCertification

S = CaseStatus
DECISIONS = "decision_days"
# The wording cases.eligibility gives a duplicate-filing reason; the ineligible transition's
# event records the finding's reasons (tests/reports check it through the real services).
DUPLICATE_REASON_MARK = "A duplicate filing"
# A determination saved while the last refresh ran is recounted by the next one.
OVERLAP = timedelta(minutes=5)
DAYS_PER_BATCH = 62

_FIGURES = {
    "items": Count("pk"),
    "upheld": Count("pk", filter=Q(decision=Decision.UPHELD)),
    "overturned": Count("pk", filter=Q(decision=Decision.OVERTURNED)),
}


def primary_specialties(reviewer_ids: list[int]) -> dict[int, str]:
    """Each reviewer's first board certification (by its order): one query."""
    found: dict[int, str] = {}
    for reviewer_id, specialty in (
        BoardCertification.objects.filter(reviewer_id__in=reviewer_ids)
        .order_by("reviewer_id", "position", "id")
        .values_list("reviewer_id", "specialty")
    ):
        found.setdefault(reviewer_id, specialty)
    return found


def _count_days(days: list[date]) -> list[DecisionDay]:
    items = ItemDecision.objects.filter(
        determination__issued_on__in=days, decision__in=[Decision.UPHELD, Decision.OVERTURNED]
    )
    rows: list[DecisionDay] = []
    issued: dict[date, int] = {
        day: n
        for day, n in Determination.objects.filter(issued_on__in=days)
        .values("issued_on")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("issued_on", "n")
        if day is not None
    }
    totals: dict[date, dict] = {
        r["determination__issued_on"]: r
        for r in items.values("determination__issued_on").annotate(**_FIGURES).order_by()
    }
    for day in sorted(set(issued) | set(totals)):
        figures = totals.get(day, {"items": 0, "upheld": 0, "overturned": 0})
        rows.append(
            DecisionDay(
                day=day,
                dimension=DecisionDimension.ALL,
                key="",
                determinations=issued.get(day, 0),
                items=figures["items"],
                upheld=figures["upheld"],
                overturned=figures["overturned"],
            )
        )
    for dimension, field in [
        (DecisionDimension.CATEGORY, "disputed_item__category"),
        (DecisionDimension.PRIORITY, "determination__case__priority"),
    ]:
        for r in items.values("determination__issued_on", field).annotate(**_FIGURES).order_by():
            rows.append(
                DecisionDay(
                    day=r["determination__issued_on"],
                    dimension=dimension,
                    key=r[field],
                    items=r["items"],
                    upheld=r["upheld"],
                    overturned=r["overturned"],
                )
            )
    by_reviewer = list(
        items.values("determination__issued_on", "determination__reviewer_id").annotate(**_FIGURES).order_by()
    )
    specialties = primary_specialties(
        sorted({r["determination__reviewer_id"] for r in by_reviewer if r["determination__reviewer_id"]})
    )
    by_specialty: dict[tuple[date, str], DecisionDay] = {}
    for r in by_reviewer:
        name = specialties.get(r["determination__reviewer_id"], "")
        day = r["determination__issued_on"]
        row = by_specialty.setdefault(
            (day, name), DecisionDay(day=day, dimension=DecisionDimension.SPECIALTY, key=name)
        )
        row.items += r["items"]
        row.upheld += r["upheld"]
        row.overturned += r["overturned"]
    rows.extend(by_specialty.values())
    return rows


@transaction.atomic
def refresh_decision_days(*, days: Iterable[date]) -> int:
    """Recount the given days of issue; returns the rows written."""
    wanted = sorted(set(days))
    written = 0
    for start in range(0, len(wanted), DAYS_PER_BATCH):
        batch = wanted[start : start + DAYS_PER_BATCH]
        DecisionDay.objects.filter(day__in=batch).delete()
        written += len(DecisionDay.objects.bulk_create(_count_days(batch)))
    return written


def refresh_letter_clocks(*, determination_ids: list[int] | None) -> int:
    """Rewrite the LetterClock rows of these determinations (None: of every one)."""
    issued = Determination.objects.filter(issued_on__isnull=False)
    stale = LetterClock.objects.all()
    if determination_ids is not None:
        issued = issued.filter(pk__in=determination_ids)
        stale = stale.filter(determination_id__in=determination_ids)
    stale.delete()
    rows = issued.annotate(
        noarfi=DaysBetween(F("mailed_on"), F("case__notice_sent_on")),
        records=DaysBetween(F("mailed_on"), F("case__records_complete_on")),
        late=DaysBetween(F("issued_on"), F("case__determination_due")),
    ).values(
        "pk",
        "case_id",
        "case__case_number",
        "case__records_complete_on",
        "case__priority",
        "issued_on",
        "mailed_on",
        "case__determination_due",
        "noarfi",
        "records",
        "late",
    )
    clocks = [
        LetterClock(
            determination_id=row["pk"],
            case_id=row["case_id"],
            case_number=row["case__case_number"],
            records_complete_on=row["case__records_complete_on"],
            priority=row["case__priority"],
            issued_on=row["issued_on"],
            mailed_on=row["mailed_on"],
            determination_due=row["case__determination_due"],
            noarfi_days=row["noarfi"],
            records_days=row["records"],
            days_late=row["late"],
        )
        for row in rows.iterator(chunk_size=2000)
    ]
    return len(LetterClock.objects.bulk_create(clocks, batch_size=2000))


def refresh_submission_clocks(*, determination_ids: list[int] | None) -> int:
    """Rewrite the SubmissionClock rows of these determinations (None: of every one)."""
    submitted = Determination.objects.filter(submitted_at__isnull=False, reviewer__isnull=False)
    stale = SubmissionClock.objects.all()
    if determination_ids is not None:
        submitted = submitted.filter(pk__in=determination_ids)
        stale = stale.filter(determination_id__in=determination_ids)
    stale.delete()
    accepted_at = (
        Assignment.objects.filter(
            case=OuterRef("case"),
            reviewer=OuterRef("reviewer"),
            status__in=[AssignmentStatus.ACCEPTED, AssignmentStatus.ENDED],
            responded_at__isnull=False,
        )
        .order_by("-responded_at")
        .values("responded_at")[:1]
    )
    rows = submitted.annotate(accepted_at=Subquery(accepted_at)).values_list(
        "pk", "reviewer_id", "submitted_at", "accepted_at"
    )
    clocks = [
        SubmissionClock(
            determination_id=pk,
            reviewer_id=reviewer_id,
            submitted_at=at,
            accept_days=(at - accepted).total_seconds() / 86400 if accepted is not None else None,
        )
        for pk, reviewer_id, at, accepted in rows.iterator(chunk_size=2000)
        if at is not None  # the filter above; for the type checker
    ]
    return len(SubmissionClock.objects.bulk_create(clocks, batch_size=2000))


INELIGIBLE_REASONS: list[tuple[str, str, Q]] = [
    ("unsigned", "Not signed", Q(signed=False)),
    ("untimely", "Untimely", Q(received_on__gt=F("application_due"))),
    ("ur_decision_missing", "UR decision not attached", Q(ur_decision_attached=False)),
    ("not_medical_necessity", "Not medical necessity (CNC)", Q(ur_conditionally_noncertified=True)),
    ("liability_disputed", "Liability disputed", Q(liability_disputed=True)),
]


def _duplicate_finding() -> Exists:
    """The case's ineligible event names an earlier IMR of the same dispute (cases.eligibility)."""
    return Exists(
        CaseEvent.objects.filter(
            case=OuterRef("pk"), to_status=S.INELIGIBLE, reason__contains=DUPLICATE_REASON_MARK
        )
    )


def volume_figures() -> dict[str, Any]:
    """The counts of the applications of a group of cases (ReceivedDay's columns)."""
    ineligible = Q(status=CaseStatus.INELIGIBLE)
    override = ineligible & Q(eligibility_confirmed=False) & ~Q(eligibility_override_reason="")
    return {
        "gross": Count("pk"),
        "duplicates": Count("pk", filter=ineligible & Q(_duplicate_finding())),
        "eligible": Count("pk", filter=Q(eligible_on__isnull=False)),
        "ineligible": Count("pk", filter=ineligible),
        **{key: Count("pk", filter=ineligible & condition) for key, _label, condition in INELIGIBLE_REASONS},
        "staff_override": Count("pk", filter=override),
    }


@transaction.atomic
def refresh_received_days(*, days: Iterable[date]) -> int:
    """Recount the applications received on the given days; returns the rows written."""
    wanted = sorted(set(days))
    written = 0
    figures = volume_figures()
    for start in range(0, len(wanted), DAYS_PER_BATCH):
        batch = wanted[start : start + DAYS_PER_BATCH]
        ReceivedDay.objects.filter(day__in=batch).delete()
        counted = (
            Case.objects.filter(received_on__in=batch).values("received_on").annotate(**figures).order_by()
        )
        rows = [ReceivedDay(day=row["received_on"], **{key: row[key] for key in figures}) for row in counted]
        written += len(ReceivedDay.objects.bulk_create(rows))
    return written


def refresh_changed(*, full: bool = False) -> dict[str, int]:
    """The periodic refresh: recount the days of determinations changed since the last run, and
    today (everything when `full` or never refreshed). Runs alone (the state row is locked)."""
    started = clock.now()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(name=DECISIONS)
        since: datetime | None = None if full else state.refreshed_through
        determinations = Determination.objects.filter(issued_on__isnull=False)
        if since is not None:
            determinations = determinations.filter(updated_at__gte=since - OVERLAP)
        changed = list(determinations.values_list("pk", "issued_on"))
        days = {issued_on for _pk, issued_on in changed if issued_on is not None}
        days.add(clock.today())
        if since is None:
            DecisionDay.objects.all().delete()
        written = refresh_decision_days(days=days)
        letters = refresh_letter_clocks(
            determination_ids=None if since is None else [pk for pk, _day in changed]
        )
        submitted = Determination.objects.filter(submitted_at__isnull=False)
        if since is not None:
            submitted = submitted.filter(updated_at__gte=since - OVERLAP)
        submissions = refresh_submission_clocks(
            determination_ids=None if since is None else list(submitted.values_list("pk", flat=True))
        )
        cases = Case.objects.all()
        if since is not None:
            cases = cases.filter(updated_at__gte=since - OVERLAP)
        else:
            ReceivedDay.objects.all().delete()
        received_days = set(cases.values_list("received_on", flat=True).distinct())
        received = refresh_received_days(days=received_days)
        state.refreshed_through = started
        state.refreshed_at = clock.now()
        state.save()
    return {
        "days": len(days),
        "rows": written,
        "letters": letters,
        "submissions": submissions,
        "received_days": received,
    }


def decisions_refreshed_at() -> datetime | None:
    return RollupState.objects.filter(name=DECISIONS).values_list("refreshed_at", flat=True).first()
