"""Reads for the reviewer's workspace and clinical QA: who may see what, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Case as DbCase
from django.db.models import Exists, F, OuterRef, Prefetch, Subquery, Value, When

from cases.models import Case, CaseEvent, CaseStatus
from core.clock import today
from determinations.models import Determination, DeterminationStatus, GuidelineEntry, ItemDecision
from reviewers.models import Assignment, Reviewer

# The states in which the assigned reviewer may open the case file.
REVIEWER_CASE_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW, CaseStatus.QA_REVIEW)
# The states that make up the reviewer's work queue.
REVIEWER_QUEUE_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW)


@dataclass(frozen=True)
class QueueRow:
    case: Case
    assignment: Assignment | None
    determination: Determination | None
    days_left: int | None
    # The reviewer's queue: QA's comment when QA returned this reviewer's determination.
    returned_by_qa: str | None = None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


@dataclass(frozen=True)
class QueuePage:
    """One page of a queue: the paginator's page (for the pager) and its rows."""

    page_obj: Page
    rows: list[QueueRow]


def days_left(*, due: date | None, on: date | None = None) -> int | None:
    return (due - (on or today())).days if due else None


def reviewer_of(*, user: User) -> Reviewer | None:
    if not user.is_authenticated:
        return None
    return Reviewer.objects.filter(user_id=user.pk).first()


def _urgency_order(prefix: str = "") -> list:
    # Earliest deadline first; at the same deadline an expedited case goes first.
    return [
        F(f"{prefix}determination_due").asc(nulls_last=True),
        # "expedited" sorts before "standard".
        F(f"{prefix}priority").asc(),
        F(f"{prefix}received_on").asc(),
        F(f"{prefix}id").asc(),
    ]


def reviewer_queue(*, reviewer: Reviewer, page: str | int | None = None, per_page: int = 50) -> QueuePage:
    """One page of the reviewer's active assignments in assigned, in review or QA review (2 queries:
    count and rows): the work to do first, most urgent first, then those with clinical QA.

    A case whose determination by this reviewer QA returned carries QA's comment (a subquery on
    the one current determination of the case, so still 2 queries)."""
    returned = Determination.objects.current().filter(
        case_id=OuterRef("case_id"), reviewer_id=OuterRef("reviewer_id"), status=DeterminationStatus.RETURNED
    )
    assignments = (
        Assignment.objects.active()
        .filter(reviewer=reviewer, case__status__in=REVIEWER_CASE_STATUSES)
        .select_related("case")
        .annotate(qa_returned=Exists(returned), qa_comment=Subquery(returned.values("qa_comment")[:1]))
        .order_by(
            DbCase(When(case__status=CaseStatus.QA_REVIEW, then=Value(1)), default=Value(0)),
            *_urgency_order("case__"),
            "id",
        )
    )
    page_obj = Paginator(assignments, per_page).get_page(page)
    on = today()
    rows = [
        QueueRow(
            case=a.case,
            assignment=a,
            determination=None,
            days_left=days_left(due=a.case.determination_due, on=on),
            returned_by_qa=_returned_comment(a),
        )
        for a in page_obj
    ]
    return QueuePage(page_obj=page_obj, rows=rows)


def _returned_comment(assignment: Assignment) -> str | None:
    """QA's comment when QA returned the reviewer's determination (annotated by reviewer_queue)."""
    if not assignment.qa_returned:  # type: ignore[attr-defined]  # annotated by reviewer_queue
        return None
    return assignment.qa_comment or ""  # type: ignore[attr-defined]  # annotated by reviewer_queue


def assignment_for_reviewer(
    *, user: User, case_id: int, statuses: tuple[str, ...] = REVIEWER_CASE_STATUSES
) -> Assignment | None:
    """The user's active assignment on the case, when the case is in one of `statuses`; else None."""
    if not user.is_authenticated:
        return None
    return (
        Assignment.objects.held_by(user_id=user.pk)
        .select_related("case", "reviewer")
        .filter(case_id=case_id, case__status__in=statuses)
        .first()
    )


def case_file(*, case_id: int) -> Case:
    """The case with everything its file page shows (parties, items, documents, timeline)."""
    return Case.objects.prefetch_related(
        "parties",
        "disputed_items",
        "documents",
        Prefetch("events", queryset=CaseEvent.objects.order_by("at", "id")),
    ).get(pk=case_id)


def current_determination(*, case_id: int) -> Determination | None:
    """The case's determination that is not superseded, with its item decisions."""
    return (
        Determination.objects.current()
        .filter(case_id=case_id)
        .select_related("reviewer")
        .prefetch_related(Prefetch("items", queryset=ItemDecision.objects.select_related("disputed_item")))
        .first()
    )


def guideline_suggestions() -> list[str]:
    return list(GuidelineEntry.objects.filter(active=True).values_list("citation", flat=True))


def qa_queue(*, page: str | int | None = None, per_page: int = 50) -> QueuePage:
    """One page of the cases in QA review with their determination, most urgent first (3 queries:
    count, the page's ids, its rows).

    Approved determinations stay listed until their letter is issued (the case then leaves
    QA review), so QA sees a letter that is late in coming.
    """
    ordered_ids = (
        Determination.objects.filter(
            case__status=CaseStatus.QA_REVIEW,
            status__in=[DeterminationStatus.SUBMITTED, DeterminationStatus.APPROVED],
        )
        .order_by(
            F("status").desc(),  # "submitted" before "approved": work to do first
            *_urgency_order("case__"),
            "id",
        )
        .values_list("pk", flat=True)
    )
    # The page's ids are sorted over the two narrow tables alone; only those 50 rows are then
    # read with their case and reviewer (joining the reviewer to every row in QA before the sort
    # cost more than the sort: issue 11).
    page_obj = Paginator(ordered_ids, per_page).get_page(page)
    ids = list(page_obj.object_list)
    by_id = Determination.objects.select_related("case", "reviewer").in_bulk(ids)
    on = today()
    rows = [
        QueueRow(
            case=by_id[pk].case,
            assignment=None,
            determination=by_id[pk],
            days_left=days_left(due=by_id[pk].case.determination_due, on=on),
        )
        for pk in ids
        if pk in by_id
    ]
    return QueuePage(page_obj=page_obj, rows=rows)


def determination_for_qa(*, determination_id: int) -> Determination | None:
    """The determination with its case file, for the QA page."""
    return (
        Determination.objects.select_related("case", "reviewer", "approved_by")
        .prefetch_related(
            Prefetch("items", queryset=ItemDecision.objects.select_related("disputed_item")),
            "case__parties",
            "case__disputed_items",
            "case__documents",
            Prefetch("case__events", queryset=CaseEvent.objects.order_by("at", "id")),
        )
        .current()
        .filter(pk=determination_id)
        .first()
    )
