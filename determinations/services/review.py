"""The physician reviewer's determination and its clinical QA.

Every write here is one transaction that locks the case, then the determination (the
same order as `determinations.services.letters`, so the two never deadlock), checks who
may do it, writes, and records a CaseEvent. Letters are issued by a task enqueued on
commit, never inside the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.errors import GuardError
from cases.models import Case, CaseEventKind, CaseStatus
from cases.services.workflow import lock_case, record_case_event, transition_case
from core import clock, outbox
from determinations.jobs import ISSUE_LETTER
from determinations.models import Decision, Determination, DeterminationStatus, ItemDecision
from reviewers.models import Assignment, AssignmentStatus

# Long enough for any real summary or rationale (the seed letter's are under 2,000
# characters); a bound so a pasted record cannot bloat a letter. A guideline is a citation.
SUMMARY_MAX = 20000
GUIDELINE_MAX = 500
RATIONALE_MAX = 20000
QA_COMMENT_MAX = 5000
EDITABLE_STATUSES = (DeterminationStatus.DRAFT, DeterminationStatus.RETURNED)


class ReviewError(GuardError):
    """A determination write that cannot be carried out.

    `errors` lists (field path, message) for the form: paths are `summary` or
    `items[<disputed item id>].<decision|reviewer_guideline|rationale>`; an empty path is
    about the determination as a whole.
    """

    def __init__(self, message: str, *, errors: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])


class StaleDraftError(ReviewError):
    """The form was loaded from an older version of the draft than the one stored."""


@dataclass(frozen=True)
class ItemInput:
    disputed_item_id: int
    decision: str = ""
    reviewer_guideline: str = ""
    rationale: str = ""


def too_long(*, what: str, limit: int, length: int) -> str:
    """The message for text over its limit (the review form uses the same words)."""
    return f"Keep {what} to at most {limit:,} characters; it has {length:,}."


def item_field(*, disputed_item_id: int, field: str) -> str:
    return f"items[{disputed_item_id}].{field}"


def _accepted_assignment(*, case: Case, by: User) -> Assignment:
    assignment = (
        Assignment.objects.held_by(user_id=by.pk).select_related("reviewer").filter(case=case).first()
        if by is not None and by.is_authenticated
        else None
    )
    if assignment is None:
        raise ReviewError(f"Case {case.case_number} is not assigned to you.")
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise ReviewError(f"Accept case {case.case_number} before you write its determination.")
    return assignment


def _lock_current_determination(*, case: Case) -> Determination | None:
    return Determination.objects.select_for_update().current().filter(case=case).first()


def _editable_determination(*, case: Case, assignment: Assignment) -> Determination:
    """The reviewer's current draft (or returned) determination, created on first save."""
    if case.status != CaseStatus.IN_REVIEW:
        raise ReviewError(
            f"Case {case.case_number} (status: {case.get_status_display()}): "
            "its determination can be changed only while the case is in review."
        )
    determination = _lock_current_determination(case=case)
    if determination is not None and determination.reviewer_id != assignment.reviewer_id:
        if determination.status not in EDITABLE_STATUSES:
            raise ReviewError(f"Case {case.case_number} already has a determination by another reviewer.")
        # A reassigned case starts a fresh determination: a new reviewer neither sees nor
        # inherits the draft of the one who left.
        determination.status = DeterminationStatus.SUPERSEDED
        determination.save(update_fields=["status", "updated_at"])
        determination = None
    if determination is None:
        return Determination.objects.create(case=case, reviewer=assignment.reviewer)
    if determination.status not in EDITABLE_STATUSES:
        raise ReviewError(
            f"The determination for case {case.case_number} is "
            f"{determination.get_status_display().lower()}; it can no longer be changed."
        )
    return determination


def _clean_inputs(
    *, case: Case, summary: str, items: list[ItemInput]
) -> tuple[str, dict[int, ItemInput], list[tuple[str, str]]]:
    """Strip and bound the inputs; errors here are refused even for a draft."""
    errors: list[tuple[str, str]] = []
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        errors.append(
            ("summary", too_long(what="the clinical case summary", limit=SUMMARY_MAX, length=len(summary)))
        )
    item_ids = set(case.disputed_items.values_list("pk", flat=True))
    cleaned: dict[int, ItemInput] = {}
    for item in items:
        if item.disputed_item_id not in item_ids:
            errors.append(
                ("", f"Disputed item {item.disputed_item_id} is not part of case {case.case_number}.")
            )
            continue
        decision = (item.decision or "").strip()
        guideline = (item.reviewer_guideline or "").strip()
        rationale = (item.rationale or "").strip()
        field = item.disputed_item_id
        if decision not in ("", *Decision.values):
            errors.append(
                (item_field(disputed_item_id=field, field="decision"), "Choose Upheld or Overturned.")
            )
        if len(guideline) > GUIDELINE_MAX:
            errors.append(
                (
                    item_field(disputed_item_id=field, field="reviewer_guideline"),
                    too_long(what="the guideline", limit=GUIDELINE_MAX, length=len(guideline)),
                )
            )
        if len(rationale) > RATIONALE_MAX:
            errors.append(
                (
                    item_field(disputed_item_id=field, field="rationale"),
                    too_long(what="the rationale", limit=RATIONALE_MAX, length=len(rationale)),
                )
            )
        cleaned[field] = ItemInput(field, decision, guideline, rationale)
    return summary, cleaned, errors


def _ensure_current(*, determination: Determination, expected_version: int | None) -> None:
    """Refuse a write from a form loaded before the draft's last save (another tab or window)."""
    if expected_version is None or expected_version == determination.version:
        return
    changed_at = timezone.localtime(determination.updated_at).strftime("%H:%M")
    raise StaleDraftError(
        f"This draft was changed in another tab or window at {changed_at}; your text is below — "
        "copy what you need and reload the page. Nothing was saved."
    )


def _write(*, determination: Determination, summary: str, items: dict[int, ItemInput]) -> None:
    determination.clinical_case_summary = summary
    determination.version += 1
    determination.save(update_fields=["clinical_case_summary", "version", "updated_at"])
    existing = {row.disputed_item_id: row for row in determination.items.all()}
    for item in items.values():
        row = existing.get(item.disputed_item_id) or ItemDecision(
            determination=determination, disputed_item_id=item.disputed_item_id
        )
        row.decision = item.decision
        row.reviewer_guideline = item.reviewer_guideline
        row.rationale = item.rationale
        row.save()


def save_draft(
    *,
    case_id: int,
    by: User,
    summary: str,
    items: list[ItemInput],
    expected_version: int | None = None,
) -> Determination:
    """Save whatever the reviewer has written so far; nothing is required.

    `expected_version` is the draft's version the form was loaded with (0 before the first
    save); StaleDraftError when the draft was saved since. None skips the check (scripts).
    """
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        assignment = _accepted_assignment(case=case, by=by)
        # State first: "you can no longer change this" matters more than field errors.
        determination = _editable_determination(case=case, assignment=assignment)
        _ensure_current(determination=determination, expected_version=expected_version)
        summary, cleaned, errors = _clean_inputs(case=case, summary=summary, items=items)
        if errors:
            raise ReviewError("The draft was not saved: correct the fields marked below.", errors=errors)
        _write(determination=determination, summary=summary, items=cleaned)
        record_case_event(
            case=case,
            by=by,
            kind=CaseEventKind.DETERMINATION_DRAFT_SAVED,
            reason="Determination draft saved",
            data={"determination_id": determination.pk},
        )
    return determination


def _completeness_errors(*, case: Case, summary: str, items: dict[int, ItemInput]) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if not summary:
        errors.append(("summary", "Write the clinical case summary."))
    for disputed in case.disputed_items.order_by("position"):
        item = items.get(disputed.pk) or ItemInput(disputed.pk)
        label = f"item {disputed.position}"
        if not item.decision:
            errors.append(
                (
                    item_field(disputed_item_id=disputed.pk, field="decision"),
                    f"Choose Upheld or Overturned for {label}.",
                )
            )
        if not item.reviewer_guideline:
            errors.append(
                (
                    item_field(disputed_item_id=disputed.pk, field="reviewer_guideline"),
                    f"Cite the guideline the decision on {label} is based on.",
                )
            )
        if not item.rationale:
            errors.append(
                (
                    item_field(disputed_item_id=disputed.pk, field="rationale"),
                    f"Write the rationale for {label}.",
                )
            )
    return errors


def submit_determination(
    *,
    case_id: int,
    by: User,
    summary: str,
    items: list[ItemInput],
    expected_version: int | None = None,
) -> Determination:
    """Save and submit the determination to clinical QA; the case moves to QA review.

    Refused, with nothing written, unless the summary and every disputed item's decision,
    guideline and rationale are filled in, or (StaleDraftError) when the draft was saved
    since the form was loaded at `expected_version`.
    """
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        assignment = _accepted_assignment(case=case, by=by)
        determination = _editable_determination(case=case, assignment=assignment)
        _ensure_current(determination=determination, expected_version=expected_version)
        summary, cleaned, errors = _clean_inputs(case=case, summary=summary, items=items)
        errors += _completeness_errors(case=case, summary=summary, items=cleaned)
        if errors:
            # Raising inside the atomic block also rolls back a determination created above.
            raise ReviewError(
                "The determination was not submitted: complete the fields marked below.", errors=errors
            )
        _write(determination=determination, summary=summary, items=cleaned)
        resubmitted = determination.status == DeterminationStatus.RETURNED
        determination.status = DeterminationStatus.SUBMITTED
        determination.submitted_at = clock.now()
        determination.save(update_fields=["status", "submitted_at", "updated_at"])
        transition_case(
            case_id=case.pk,
            to=CaseStatus.QA_REVIEW,
            by=by,
            expected_from=CaseStatus.IN_REVIEW,
            reason="Determination resubmitted to clinical QA"
            if resubmitted
            else "Determination submitted to clinical QA",
            data={"determination_id": determination.pk},
        )
    return determination


def _lock_for_qa(*, determination_id: int, by: User) -> Determination:
    if by is None or not by.is_authenticated or not by.has_perm("determinations.qa_determination"):
        raise ReviewError("You do not have permission to review determinations in QA.")
    case_id = Determination.objects.filter(pk=determination_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise ReviewError(f"Determination {determination_id} does not exist.")
    case = lock_case(case_id=case_id)
    determination = (
        Determination.objects.select_for_update(of=("self",))
        .select_related("reviewer")
        .get(pk=determination_id)
    )
    determination.case = case
    if determination.status != DeterminationStatus.SUBMITTED or case.status != CaseStatus.QA_REVIEW:
        raise ReviewError(
            f"The determination for case {case.case_number} is "
            f"{determination.get_status_display().lower()} (case status: {case.get_status_display()}); "
            "only a submitted determination can be approved or returned."
        )
    if determination.reviewer is not None and determination.reviewer.user_id == by.pk:
        raise ReviewError("You cannot review your own determination in QA.")
    return determination


def qa_approve(*, determination_id: int, by: User) -> Determination:
    """Approve the determination; its letter is issued by a task once this commits.

    The case stays in QA review until the letter is issued (the task moves it on).
    """
    with transaction.atomic():
        determination = _lock_for_qa(determination_id=determination_id, by=by)
        determination.status = DeterminationStatus.APPROVED
        determination.approved_by = by
        determination.approved_at = clock.now()
        determination.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        record_case_event(
            case=determination.case,
            by=by,
            kind=CaseEventKind.DETERMINATION_APPROVED,
            reason="Determination approved by clinical QA",
            data={"determination_id": determination.pk},
        )
        # An outbox row in this transaction: the approval and the letter's issue stand or fall
        # together, whatever the broker does after the commit.
        outbox.enqueue(
            ISSUE_LETTER,
            payload={"determination_id": determination_id},
            key=f"determination:{determination_id}",
            by=by,
            cause=f"QA approved the determination of case {determination.case.case_number}",
        )
    return determination


def qa_return(*, determination_id: int, by: User, comment: str) -> Determination:
    """Send the determination back to its reviewer with a comment; the case returns to review."""
    comment = (comment or "").strip()
    if not comment:
        raise ReviewError(
            "Say what the reviewer should change.", errors=[("comment", "A comment is required.")]
        )
    if len(comment) > QA_COMMENT_MAX:
        raise ReviewError(
            "The comment is too long.",
            errors=[("comment", f"Keep the comment under {QA_COMMENT_MAX} characters.")],
        )
    with transaction.atomic():
        determination = _lock_for_qa(determination_id=determination_id, by=by)
        determination.status = DeterminationStatus.RETURNED
        determination.qa_comment = comment
        determination.save(update_fields=["status", "qa_comment", "updated_at"])
        transition_case(
            case_id=determination.case_id,
            to=CaseStatus.IN_REVIEW,
            by=by,
            expected_from=CaseStatus.QA_REVIEW,
            reason=comment,
            data={"determination_id": determination.pk},
        )
    return determination
