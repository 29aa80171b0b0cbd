"""The named workflow steps staff take on a case, each one transaction.

Each service locks the case, checks its guards (raising `GuardError` with a message for
the user), moves the case through `transition_case` (which writes the CaseEvent and
recomputes the deadlines) and enqueues side effects on commit. `expected_from` is the
state the user saw: when someone else moved the case first, the step is refused.

Guards chosen here (domain.md leaves them open):
- the NOARFI is sent only after staff confirmed the case eligible (by confirming the
  finding or overriding it with a written reason);
- records are complete only when at least one medical record is on file: the
  determination clock starts then, and a reviewer with nothing to read cannot start;
- withdrawal, termination, override and remand need a written reason (they end or
  redirect work that others did);
- a case is closed only after its appeal period (from the letter's mailing) has run, since
  a closed case can no longer be remanded.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.eligibility import EligibilityFinding, evaluate_eligibility
from cases.errors import GuardError, TransitionNotAllowedError
from cases.models import OPEN_STATUSES, Case, CaseEventKind, CaseStatus, DocumentKind, NoticeMethod, Priority
from cases.services.workflow import (
    lock_case,
    record_case_event,
    refresh_deadlines,
    status_label,
    today,
    transition_case,
)

S = CaseStatus
MAX_REASON_LENGTH = 5000


def _require_reason(reason: str, *, what: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise GuardError(f"Write the reason for {what}.", field="reason")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise GuardError(f"The reason is too long (at most {MAX_REASON_LENGTH} characters).", field="reason")
    return cleaned


def _require_status(*, case: Case, allowed: Collection[str], step: str, expected_from: str | None) -> None:
    if expected_from is not None and case.status != expected_from:
        raise TransitionNotAllowedError(
            f"Case {case.case_number} was changed by someone else: it is now "
            f"{status_label(case.status)}, no longer {status_label(expected_from)}. "
            "Reload the page to see its current state."
        )
    if case.status not in allowed:
        raise TransitionNotAllowedError(
            f"Case {case.case_number} is {status_label(case.status)}: it cannot {step} now."
        )


def _finding_reasons(finding: EligibilityFinding) -> list[str]:
    return [reason.message for reason in finding.reasons]


def start_eligibility_review(*, case_id: int, by: User, expected_from: str | None = None) -> Case:
    return transition_case(
        case_id=case_id,
        to=S.ELIGIBILITY_REVIEW,
        by=by,
        reason="Eligibility review started",
        expected_from=expected_from,
    )


def confirm_eligibility(*, case_id: int, by: User, expected_from: str | None = None) -> Case:
    """Staff accept the computed finding: eligible cases wait for the NOARFI, others end ineligible."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case,
            allowed=[S.ELIGIBILITY_REVIEW],
            step="have its eligibility confirmed",
            expected_from=expected_from,
        )
        if case.eligibility_confirmed is not None:
            raise GuardError(f"The eligibility of case {case.case_number} was already decided.")
        finding = evaluate_eligibility(case=case)
        reasons = _finding_reasons(finding)
        case.eligibility_confirmed = finding.eligible
        if not finding.eligible:
            case.save(update_fields=["eligibility_confirmed", "updated_at"])
            return transition_case(
                case_id=case.pk,
                to=S.INELIGIBLE,
                by=by,
                reason="Ineligible: " + " ".join(reasons),
                expected_from=S.ELIGIBILITY_REVIEW,
                data={"finding": {"eligible": False, "reasons": reasons}, "confirmed": True},
            )
        _mark_eligible(case=case)
        record_case_event(
            case=case,
            by=by,
            kind=CaseEventKind.ELIGIBILITY_CONFIRMED,
            reason="Eligible for IMR",
            data={"finding": {"eligible": True, "reasons": []}},
        )
    return case


def _mark_eligible(*, case: Case) -> None:
    case.eligible_on = today()
    refresh_deadlines(case=case)
    case.save()


def override_eligibility(
    *,
    case_id: int,
    by: User,
    eligible: bool,
    reason: str,
    expected_from: str | None = None,
) -> Case:
    """Staff decide against the computed finding, with a written reason that is logged."""
    reason = _require_reason(reason, what="overriding the eligibility finding")
    if not by.has_perm("cases.override_eligibility"):
        raise GuardError("You may not override eligibility findings.")
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case,
            allowed=[S.ELIGIBILITY_REVIEW],
            step="have its eligibility overridden",
            expected_from=expected_from,
        )
        finding = evaluate_eligibility(case=case)
        if finding.eligible == eligible:
            word = "eligible" if eligible else "ineligible"
            raise GuardError(f"The finding already says {word}: confirm it instead of overriding it.")
        reasons = _finding_reasons(finding)
        case.eligibility_confirmed = eligible
        case.eligibility_override_reason = reason
        data = {"finding": {"eligible": finding.eligible, "reasons": reasons}, "eligible": eligible}
        if eligible:
            _mark_eligible(case=case)
        else:
            case.save(update_fields=["eligibility_confirmed", "eligibility_override_reason", "updated_at"])
        record_case_event(case=case, by=by, kind=CaseEventKind.ELIGIBILITY_OVERRIDE, reason=reason, data=data)
        if not eligible:
            case = transition_case(
                case_id=case.pk,
                to=S.INELIGIBLE,
                by=by,
                reason=f"Found ineligible by staff override: {reason}",
                expected_from=S.ELIGIBILITY_REVIEW,
                data=data,
            )
    return case


def send_notice_of_assignment(
    *, case_id: int, by: User, method: str, expected_from: str | None = None
) -> Case:
    """Record that the NOARFI went to the parties; the records clock starts from it."""
    if method not in NoticeMethod.values:
        raise GuardError("Choose how the notice was sent: mail or electronic.", field="method")
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case,
            allowed=[S.ELIGIBILITY_REVIEW],
            step="have its NOARFI sent",
            expected_from=expected_from,
        )
        if case.eligibility_confirmed is not True:
            raise GuardError(
                "Confirm the case eligible (or override the finding) before sending the notice of assignment."
            )
        return transition_case(
            case_id=case.pk,
            to=S.AWAITING_RECORDS,
            by=by,
            reason="Notice of assignment and request for information sent by "
            f"{NoticeMethod(method).label.lower()}",
            expected_from=S.ELIGIBILITY_REVIEW,
            data={"notice_method": method},
        )


def mark_records_complete(
    *, case_id: int, by: User, on: date | None = None, expected_from: str | None = None
) -> Case:
    """The records are in: the determination clock starts and the case goes to assignment."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case,
            allowed=[S.AWAITING_RECORDS],
            step="have its records marked complete",
            expected_from=expected_from,
        )
        on = on or today()
        if on > today():
            raise GuardError("The records cannot be complete on a date in the future.", field="on")
        if case.notice_sent_on and on < case.notice_sent_on:
            raise GuardError(
                "The records cannot be complete before the notice was sent "
                f"({case.notice_sent_on.isoformat()}).",
                field="on",
            )
        if not case.documents.filter(kind=DocumentKind.MEDICAL_RECORD).exists():
            raise GuardError("Add at least one medical record document before marking the records complete.")
        return transition_case(
            case_id=case.pk,
            to=S.READY_FOR_ASSIGNMENT,
            by=by,
            reason="Application and medical records complete",
            expected_from=S.AWAITING_RECORDS,
            on=on,
        )


def _end_active_assignments(*, case: Case) -> list[int]:
    # Imported here: the reviewers app builds on cases, not the other way round.
    from reviewers.models import Assignment, AssignmentStatus

    active = list(Assignment.objects.select_for_update().filter(case=case, active=True))
    for assignment in active:
        assignment.active = False
        assignment.status = AssignmentStatus.ENDED
        assignment.save(update_fields=["active", "status"])
    if active:
        from reviewers.services.assignment import refresh_open_cases

        refresh_open_cases(reviewer_ids=[assignment.reviewer_id for assignment in active])
    return [assignment.pk for assignment in active]


def _end_case(*, case_id: int, by: User, to: str, reason: str, step: str, expected_from: str | None) -> Case:
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(case=case, allowed=OPEN_STATUSES, step=step, expected_from=expected_from)
        ended = _end_active_assignments(case=case)
        return transition_case(
            case_id=case.pk,
            to=to,
            by=by,
            reason=reason,
            expected_from=case.status,
            data={"ended_assignment_ids": ended} if ended else None,
        )


def withdraw(*, case_id: int, by: User, reason: str, expected_from: str | None = None) -> Case:
    reason = _require_reason(reason, what="the withdrawal")
    return _end_case(
        case_id=case_id,
        by=by,
        to=S.WITHDRAWN,
        reason=reason,
        step="be withdrawn",
        expected_from=expected_from,
    )


def terminate(*, case_id: int, by: User, reason: str, expected_from: str | None = None) -> Case:
    """The claims administrator authorized the disputed treatment: the review ends."""
    reason = _require_reason(reason, what="the termination")
    return _end_case(
        case_id=case_id,
        by=by,
        to=S.TERMINATED,
        reason=reason,
        step="be terminated",
        expected_from=expected_from,
    )


def convert_to_expedited(
    *, case_id: int, by: User, certification_note: str, expected_from: str | None = None
) -> Case:
    """The treating physician certified an imminent, serious threat: shorter clocks, parties told."""
    note = _require_reason(certification_note, what="the conversion (the physician's certification)")
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case, allowed=OPEN_STATUSES, step="be made expedited", expected_from=expected_from
        )
        if case.priority == Priority.EXPEDITED:
            raise GuardError(f"Case {case.case_number} is already expedited.")
        previous = {
            "records_due": _iso(case.records_due),
            "determination_due": _iso(case.determination_due),
        }
        case.priority = Priority.EXPEDITED
        case.expedited_on = today()
        refresh_deadlines(case=case)
        case.save()
        record_case_event(
            case=case,
            by=by,
            kind=CaseEventKind.CONVERTED_TO_EXPEDITED,
            reason=note,
            data={
                "previous": previous,
                "records_due": _iso(case.records_due),
                "determination_due": _iso(case.determination_due),
            },
        )
        from cases.tasks import notify_parties_expedited_task

        notify_parties_expedited_task.delay_on_commit(case.pk)
    return case


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def close_case(*, case_id: int, by: User, reason: str = "", expected_from: str | None = None) -> Case:
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case, allowed=[S.DETERMINATION_ISSUED], step="be closed", expected_from=expected_from
        )
        if case.appeal_due is None:
            raise GuardError("The letter has not been mailed yet: the appeal period has not started.")
        if case.appeal_due >= today():
            raise GuardError(
                f"The appeal period runs until {case.appeal_due.isoformat()}: close the case after that date."
            )
        return transition_case(
            case_id=case.pk,
            to=S.CLOSED,
            by=by,
            reason=(reason or "").strip() or "Closed after the appeal period",
            expected_from=S.DETERMINATION_ISSUED,
        )


def remand_case(*, case_id: int, by: User, order_reference: str, expected_from: str | None = None) -> Case:
    """A WCAB order: a new review by a different reviewer; the earlier letter stays on file."""
    from determinations.models import Determination, DeterminationStatus

    order_reference = _require_reason(order_reference, what="the remand (the WCAB order reference)")
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        _require_status(
            case=case, allowed=[S.DETERMINATION_ISSUED], step="be remanded", expected_from=expected_from
        )
        current = (
            Determination.objects.select_for_update()
            .filter(case=case)
            .exclude(status=DeterminationStatus.SUPERSEDED)
            .first()
        )
        superseded_id = None
        if current is not None:
            current.status = DeterminationStatus.SUPERSEDED
            current.save(update_fields=["status", "updated_at"])
            superseded_id = current.pk
        ended = _end_active_assignments(case=case)
        return transition_case(
            case_id=case.pk,
            to=S.READY_FOR_ASSIGNMENT,
            by=by,
            reason=f"Remanded by WCAB order {order_reference}",
            expected_from=S.DETERMINATION_ISSUED,
            data={
                "order_reference": order_reference,
                "superseded_determination_id": superseded_id,
                "excluded_reviewer_id": current.reviewer_id if current is not None else None,
                "ended_assignment_ids": ended,
                "remanded_at": timezone.now().isoformat(),
            },
        )
