"""Assigning a reviewer to a case: automatically (the Celery task), by staff, or by reassignment.

Every path locks the case first, then the chosen reviewer, so two workers (or a worker and a
staff member) never give one case two reviewers nor push a reviewer past capacity. The
automatic path shortlists in SQL (`picking.shortlist_reviewers`) and re-checks the short
list with the Python rules and the conflict screen, so its cost does not grow with the
number of reviewers; the full per-reviewer screen runs only when nobody qualifies, to tell
staff why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce

from cases.models import Case, CaseEventKind, CaseStatus
from cases.services.workflow import lock_case, record_case_event, transition_case
from core import clock, outbox
from reviewers import picking, selectors
from reviewers.conflicts import screen_conflicts
from reviewers.errors import ReviewerError
from reviewers.jobs import NOTIFY_ASSIGNED_REVIEWER
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from reviewers.outcomes import REPLACED_PREFIX
from reviewers.selectors import CandidateReport, CaseScreening
from reviewers.services import locks

S = CaseStatus
# How many reviewers each shortlist query brings back; conflicts are rare, so one is the norm.
SHORTLIST_SIZE = 8
MANUAL_ASSIGNMENT_EVENT = CaseEventKind.MANUAL_ASSIGNMENT_NEEDED


def assign_case_automatically(*, case_id: int) -> Assignment | None:
    """Offer a ready case to the best qualified reviewer; None when not ready or nobody qualifies.

    Idempotent: a case already assigned (or no longer waiting) is left alone, so a retried
    or duplicated task assigns once. One transaction; the case row comes locked with its
    items, parties and the specialty rules' fingerprint in one query, so the usual path is
    lock case, shortlist, lock and count the reviewer, insert the offer, update the
    reviewer, save the case and write its event.
    """
    with transaction.atomic():
        case = locks.lock_case_with_facts(case_id=case_id)
        if case is None or case.status != S.READY_FOR_ASSIGNMENT:
            return None
        facts = picking.case_facts(case=case)
        screening = selectors.case_screening(case=case, facts=facts)
        if screening.active_assignment is not None:
            if screening.active_assignment.status != AssignmentStatus.ACCEPTED:
                return None
            _end_previous_review(screening=screening)
        on = clock.today()
        considered, chosen = _pick(screening=screening, on=on)
        if chosen is None:
            _flag_for_manual_assignment(case=case, screening=screening, on=on)
            return None
        return _offer(
            case=case,
            reviewer=chosen.reviewer,
            by=None,
            candidates=[candidate_json(report) for report in considered],
            reason=f"Assigned automatically to reviewer {chosen.reviewer.reviewer_number}",
            open_before=chosen.open_cases,
            formulary_only=facts.formulary_only,
        )


def assign_case_manually(*, case_id: int, reviewer_id: int, by: User) -> Assignment:
    """Staff offer a ready case to a reviewer of their choice; refused with the reasons if ineligible."""
    _require_permission(by=by)
    with transaction.atomic():
        case = _lock_case_or_error(case_id=case_id)
        if case.status != S.READY_FOR_ASSIGNMENT:
            raise ReviewerError(
                f"Case {case.case_number} is {case.get_status_display().lower()}, not ready for assignment."
                + (" Use Reassign to give it to another reviewer." if case.status == S.ASSIGNED else "")
            )
        screening = selectors.case_screening(case=case)
        if screening.active_assignment is not None:
            if screening.active_assignment.status != AssignmentStatus.ACCEPTED:
                raise ReviewerError(f"Case {case.case_number} already has a reviewer; use Reassign.")
            _end_previous_review(screening=screening)
        return _assign_chosen(case=case, screening=screening, reviewer_id=reviewer_id, by=by, reason="")


def reassign_case(*, case_id: int, reviewer_id: int, by: User, reason: str) -> Assignment:
    """Staff take an offered (not yet accepted) case from its reviewer and offer it to another.

    The former reviewer's assignment is ended and kept, so the picker never offers the case
    back to them. A case in review cannot be moved back to `assigned` by the workflow, so
    a reviewer who already accepted must decline or staff must handle it outside this step.
    """
    _require_permission(by=by)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewerError("Give the reason for reassigning the case.", field="reason")
    with transaction.atomic():
        case = _lock_case_or_error(case_id=case_id)
        if case.status == S.READY_FOR_ASSIGNMENT:
            screening = selectors.case_screening(case=case)
            if screening.active_assignment is not None:
                _end_previous_review(screening=screening)
            return _assign_chosen(
                case=case, screening=screening, reviewer_id=reviewer_id, by=by, reason=reason
            )
        if case.status != S.ASSIGNED:
            raise ReviewerError(
                f"Case {case.case_number} is {case.get_status_display().lower()}: only a case offered to a "
                "reviewer who has not accepted yet can be reassigned."
            )
        screening = selectors.case_screening(case=case)
        current = screening.active_assignment
        if current is None:
            raise ReviewerError(f"Case {case.case_number} has no active assignment to reassign.")
        if current.reviewer_id == reviewer_id:
            raise ReviewerError(f"Reviewer {current.reviewer.reviewer_number} already holds this case.")
        end_assignments(
            case=case,
            assignments=[current],
            responded_at=clock.now(),
            decline_reason=f"Reassigned by staff: {reason}",
        )
        screening.previous_reviewer_ids.add(current.reviewer_id)
        screening.active_assignment = None
        transition_case(
            case_id=case.pk,
            to=S.READY_FOR_ASSIGNMENT,
            by=by,
            reason=f"Reassignment from reviewer {current.reviewer.reviewer_number}: {reason}",
            expected_from=S.ASSIGNED,
            data={"assignment_id": current.pk, "reviewer_number": current.reviewer.reviewer_number},
            locked_case=case,
        )
        # The task enqueued by that step finds the case assigned again and does nothing.
        return _assign_chosen(case=case, screening=screening, reviewer_id=reviewer_id, by=by, reason=reason)


REPLACE_REASON_MAX = 2000


def replace_reviewer(
    *,
    case_id: int,
    by: User,
    reason: str,
    reviewer_id: int | None = None,
    expected_from: str | None = None,
) -> Assignment:
    """Staff take a case in review from the reviewer who accepted it and offer it to another.

    The case moves in_review → assigned with the new offer, in one transaction: the replaced
    reviewer's assignment is ended and kept (with the reason), their open-case counter is
    recounted, and the picker never offers them the case again; they lose access to it at
    once. Their draft determination stays on file, unseen by the new reviewer (it is
    superseded when the new reviewer first saves). With no `reviewer_id` the next qualified
    reviewer is picked as for automatic assignment; when nobody qualifies the step is refused
    with the reasons and nothing changes (the case keeps its reviewer), so staff can choose
    one by hand: a case in review without a reviewer would have nowhere to go.
    """
    _require_permission(by=by)
    reason = (reason or "").strip()
    if not reason:
        raise ReviewerError("Give the reason for replacing the reviewer.", field="reason")
    if len(reason) > REPLACE_REASON_MAX:
        raise ReviewerError(f"Keep the reason under {REPLACE_REASON_MAX} characters.", field="reason")
    with transaction.atomic():
        case = _lock_case_or_error(case_id=case_id)
        if expected_from is not None and case.status != expected_from:
            raise ReviewerError(
                f"Case {case.case_number} was changed by someone else: it is now "
                f"{case.get_status_display().lower()}. Reload the page to see its current state."
            )
        if case.status != S.IN_REVIEW:
            raise ReviewerError(
                f"Case {case.case_number} is {case.get_status_display().lower()}: only the reviewer of a "
                "case in review (who accepted it) can be replaced."
                + (
                    " Use Reassign for a case offered but not yet accepted."
                    if case.status == S.ASSIGNED
                    else ""
                )
            )
        screening = selectors.case_screening(case=case)
        current = screening.active_assignment
        if current is None or current.status != AssignmentStatus.ACCEPTED:
            raise ReviewerError(f"Case {case.case_number} has no reviewer who accepted it to replace.")
        old_number = current.reviewer.reviewer_number
        if reviewer_id is not None and reviewer_id == current.reviewer_id:
            raise ReviewerError(
                f"Reviewer {old_number} is the reviewer being replaced: choose another one.", field="reviewer"
            )
        end_assignments(case=case, assignments=[current], decline_reason=f"{REPLACED_PREFIX}{reason}")
        screening.previous_reviewer_ids.add(current.reviewer_id)
        screening.previous_outcomes[current.reviewer_id] = "Was replaced by staff"
        screening.active_assignment = None
        extra = {"replaced_assignment_id": current.pk, "replaced_reviewer_number": old_number}
        text = f"Reviewer {old_number} replaced by staff"
        if reviewer_id is not None:
            return _assign_chosen(
                case=case,
                screening=screening,
                reviewer_id=reviewer_id,
                by=by,
                reason=reason,
                text=f"{text}; offered to reviewer {{number}}",
                expected_from=S.IN_REVIEW,
                extra_data=extra,
            )
        on = clock.today()
        considered, chosen = _pick(screening=screening, on=on)
        if chosen is None:
            # Raising rolls the whole step back: the reviewer keeps the case.
            summary = summarize_exclusions(reports=selectors.evaluate_reviewers(screening=screening, on=on))
            raise ReviewerError(
                f"Reviewer {old_number} was not replaced: no other reviewer qualifies automatically. "
                f"{summary} Choose a reviewer by hand."
            )
        number = chosen.reviewer.reviewer_number
        return _offer(
            case=case,
            reviewer=chosen.reviewer,
            by=by,
            candidates=[candidate_json(report) for report in considered],
            reason=f"{text}; offered to reviewer {number}: {reason}",
            open_before=chosen.open_cases,
            expected_from=S.IN_REVIEW,
            extra_data=extra,
        )


# ---- internals -------------------------------------------------------------------------


def _require_permission(*, by: User) -> None:
    if by is None or not by.is_authenticated or not by.has_perm("reviewers.add_assignment"):
        raise ReviewerError("You do not have permission to assign reviewers.")


def _lock_case_or_error(*, case_id: int) -> Case:
    try:
        return lock_case(case_id=case_id)
    except Case.DoesNotExist:
        raise ReviewerError("This case does not exist.") from None


def _end_previous_review(*, screening: CaseScreening) -> None:
    """A remanded case still shows the earlier reviewer's assignment: end it (a new reviewer is due)."""
    previous = screening.active_assignment
    assert previous is not None  # the caller ends only an assignment that is there
    end_assignments(case=screening.case, assignments=[previous])
    screening.previous_reviewer_ids.add(previous.reviewer_id)
    screening.active_assignment = None


def end_assignments(
    *,
    case: Case,
    status: str | None = AssignmentStatus.ENDED,
    decline_reason: str | None = None,
    responded_at: datetime | None = None,
    assignments: Iterable[Assignment] | None = None,
) -> list[Assignment]:
    """End the reviewer's hold on `case`: the one place assignments end.

    Ends `assignments` (the caller's locked rows of this case) or else every active
    assignment of the case (locked here): they become inactive, with `status` (None keeps
    it: an issued letter leaves the assignment `accepted`, the record of who reviewed) and
    the reason and answer time when given. Then it recounts the open-case counter of their
    reviewers, so the counter stays true. Call inside the transaction that changes the case;
    returns the assignments ended (their instances updated too).
    """
    if assignments is None:
        ended = list(Assignment.objects.active().select_for_update().filter(case=case).order_by("pk"))
    else:
        ended = list(assignments)
        if any(assignment.case_id != case.pk for assignment in ended):
            raise ValueError(f"Only assignments of case {case.pk} can be ended with it.")
    if not ended:
        return []
    changes: dict[str, object] = {"active": False}
    if status is not None:
        changes["status"] = status
    if decline_reason is not None:
        changes["decline_reason"] = decline_reason
    if responded_at is not None:
        changes["responded_at"] = responded_at
    Assignment.objects.filter(pk__in=[assignment.pk for assignment in ended]).update(**changes)
    for assignment in ended:
        for name, value in changes.items():
            setattr(assignment, name, value)
    refresh_open_cases(reviewer_ids=sorted({assignment.reviewer_id for assignment in ended}))
    return ended


def refresh_open_cases(*, reviewer_ids: list[int]) -> None:
    """Recount the stored open-case counter of these reviewers from Assignment (one query).

    `end_assignments` calls it for every assignment that ends; elsewhere it only repairs a
    counter found behind (and the import of a case history, which creates assignments).
    """
    if reviewer_ids:
        Reviewer.objects.filter(pk__in=reviewer_ids).update(
            open_cases=Coalesce(selectors.open_count_subquery(), Value(0))
        )


def _lock_reviewer_and_count(*, reviewer_id: int, skip_locked: bool = False) -> int | None:
    """Lock the reviewer row, then count their open cases in a fresh snapshot (after the lock).

    With `skip_locked`, None when another transaction holds the row (it is assigning this
    reviewer a case right now): the picker moves on rather than queueing behind it.
    """
    if not locks.lock_reviewer(reviewer_id=reviewer_id, skip_locked=skip_locked):
        return None
    return picking.open_case_count(reviewer_id=reviewer_id)


def _pick(*, screening: CaseScreening, on: date) -> tuple[list[CandidateReport], CandidateReport | None]:
    considered: list[CandidateReport] = []
    busy: list[CandidateReport] = []
    offset = 0
    while True:
        batch = picking.shortlist_reviewers(screening=screening, on=on, limit=SHORTLIST_SIZE, offset=offset)
        for reviewer, affiliations in batch:
            reasons = screen_conflicts(reviewer=reviewer, screening=screening, affiliations=affiliations)
            report = CandidateReport(reviewer=reviewer, open_cases=reviewer.open_cases, reasons=reasons)
            considered.append(report)
            if reasons:
                continue
            # Another worker offering this reviewer a case right now: try the next one first.
            if _try_offer_slot(report=report, skip_locked=True) is None:
                busy.append(report)
                continue
            if report.chosen:
                return considered, report
        if len(batch) < SHORTLIST_SIZE:
            break
        offset += SHORTLIST_SIZE
    # Everyone qualified was busy: wait for them in order rather than flag the case.
    for report in busy:
        if _try_offer_slot(report=report, skip_locked=False) and report.chosen:
            return considered, report
    for report in busy:
        if not report.chosen and not report.reasons:
            report.reasons.append("Being offered another case at this moment.")
    return considered, None


def _try_offer_slot(*, report: CandidateReport, skip_locked: bool) -> bool | None:
    """Lock the reviewer and check capacity; None when skipped as locked, else whether chosen."""
    reviewer = report.reviewer
    open_now = _lock_reviewer_and_count(reviewer_id=reviewer.pk, skip_locked=skip_locked)
    if open_now is None:
        return None
    report.open_cases = open_now
    if open_now >= reviewer.max_open_cases:
        # Another case took their last slot, or the counter fell behind: fix it, move on.
        refresh_open_cases(reviewer_ids=[reviewer.pk])
        report.reasons.append(f"At capacity: {open_now} open cases of {reviewer.max_open_cases}.")
        return False
    report.chosen = True
    return True


def _assign_chosen(
    *,
    case: Case,
    screening: CaseScreening,
    reviewer_id: int,
    by: User,
    reason: str,
    text: str = "",
    expected_from: str = S.READY_FOR_ASSIGNMENT,
    extra_data: dict | None = None,
) -> Assignment:
    on = clock.today()
    if not Reviewer.objects.filter(pk=reviewer_id).exists():
        raise ReviewerError("This reviewer does not exist.", field="reviewer")
    _lock_reviewer_and_count(reviewer_id=reviewer_id)
    [report] = selectors.evaluate_reviewers(
        screening=screening, on=on, reviewers=Reviewer.objects.filter(pk=reviewer_id)
    )
    number = report.reviewer.reviewer_number
    if report.reasons:
        raise ReviewerError(
            f"Reviewer {number} cannot take case {case.case_number}: " + " ".join(report.reasons),
            field="reviewer",
            reasons=report.reasons,
        )
    report.chosen = True
    # `text` may name the chosen reviewer as `{number}`.
    text = (text or "Assigned by staff to reviewer {number}").format(number=number)
    text += f": {reason}" if reason else ""
    return _offer(
        case=case,
        reviewer=report.reviewer,
        by=by,
        candidates=[candidate_json(report)],
        reason=text,
        expected_from=expected_from,
        extra_data=extra_data,
    )


def _offer(
    *,
    case: Case,
    reviewer: Reviewer,
    by: User | None,
    candidates: list[dict],
    reason: str,
    open_before: int | None = None,
    formulary_only: bool | None = None,
    expected_from: str = S.READY_FOR_ASSIGNMENT,
    extra_data: dict | None = None,
) -> Assignment:
    """Create the offer, update the reviewer and move the case (both rows locked by the caller).

    `open_before` is the reviewer's active assignments counted under their lock, when the
    caller did so: the stored counter becomes that plus this offer without counting again.
    """
    now = clock.now()
    assignment = Assignment.objects.create(
        case=case,
        reviewer=reviewer,
        status=AssignmentStatus.OFFERED,
        active=True,
        assigned_by=by if by is not None and by.is_authenticated else None,
        candidates=candidates,
    )
    open_now = (
        Coalesce(selectors.open_count_subquery(), Value(0)) if open_before is None else Value(open_before + 1)
    )
    Reviewer.objects.filter(pk=reviewer.pk).update(last_assigned_at=now, open_cases=open_now)
    reviewer.last_assigned_at = now
    if case.needs_manual_assignment:
        Case.objects.filter(pk=case.pk).update(needs_manual_assignment=False, manual_assignment_reason="")
        case.needs_manual_assignment = False
        case.manual_assignment_reason = ""
    transition_case(
        case_id=case.pk,
        to=S.ASSIGNED,
        by=by,
        reason=reason,
        expected_from=expected_from,
        data={
            "assignment_id": assignment.pk,
            "reviewer_number": reviewer.reviewer_number,
            **(extra_data or {}),
        },
        locked_case=case,
        formulary_only=formulary_only,
    )
    outbox.enqueue(
        NOTIFY_ASSIGNED_REVIEWER,
        payload={"assignment_id": assignment.pk},
        key=f"assignment:{assignment.pk}",
        by=by,
        cause=f"case {case.case_number} offered to reviewer {reviewer.reviewer_number}",
    )
    return assignment


def _reason_kind(reason: str) -> str:
    """Group reasons for the summary: the words before any detail in parentheses or after a colon."""
    return reason.split(" (")[0].split(":")[0].rstrip(".")


def summarize_exclusions(*, reports: list[CandidateReport]) -> str:
    if not reports:
        return "No reviewers are on record."
    kinds = Counter(kind for report in reports for kind in {_reason_kind(r) for r in report.reasons})
    parts = [f"{kind}: {count}" for kind, count in kinds.most_common()]
    return f"No reviewer qualifies ({len(reports)} considered): " + "; ".join(parts) + "."


def _flag_for_manual_assignment(*, case: Case, screening: CaseScreening, on: date) -> None:
    reports = selectors.evaluate_reviewers(screening=screening, on=on)
    summary = summarize_exclusions(reports=reports)
    if case.needs_manual_assignment and case.manual_assignment_reason == summary:
        return
    Case.objects.filter(pk=case.pk).update(needs_manual_assignment=True, manual_assignment_reason=summary)
    case.needs_manual_assignment = True
    case.manual_assignment_reason = summary
    record_case_event(
        case=case,
        by=None,
        kind=MANUAL_ASSIGNMENT_EVENT,
        reason=summary,
        data={"considered": len(reports)},
    )


def candidate_json(report: CandidateReport) -> dict[str, Any]:
    """One screened reviewer as recorded with the assignment (`Assignment.candidates`)."""
    reviewer = report.reviewer
    return {
        "reviewer_id": reviewer.pk,
        "reviewer_number": reviewer.reviewer_number,
        "eligible": report.eligible,
        "excluded": not report.eligible,
        "chosen": report.chosen,
        "open_cases": report.open_cases,
        "max_open_cases": reviewer.max_open_cases,
        "last_assigned_at": reviewer.last_assigned_at.isoformat() if reviewer.last_assigned_at else None,
        "reasons": list(report.reasons),
    }
