"""The named workflow steps staff take on a case, each one transaction.

Each service locks the case, checks its row of the step table (`cases.steps.ensure_step`:
nobody moved the case, the state offers the step, the guard lets it through; else a
`GuardError` or `TransitionNotAllowedError` with a message for the user), moves the
case through `transition_case` (which writes the CaseEvent, runs the on-enter hooks and
recomputes the deadlines) and enqueues side effects on commit. `expected_from` is the
state the user saw: when someone else moved the case first, the step is refused.

Guards chosen (domain.md leaves them open; the rules themselves are in `cases.steps`):
- the NOARFI is sent only after staff confirmed the case eligible (by confirming the
  finding or overriding it with a written reason);
- records are complete only when at least one medical record is on file: the
  determination clock starts then, and a reviewer with nothing to read cannot start;
- withdrawal, termination, override and remand need a written reason (they end or
  redirect work that others did);
- a case is closed only after its appeal period (from the letter's mailing) has run, since
  a closed case can no longer be remanded.

Ending the reviewer's assignment (withdrawn, terminated, remanded) and superseding the
determination (remanded) are done by the reviewers and determinations apps from the
hooks they register on entering those states (`cases.hooks`).
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db import transaction

from cases import hooks
from cases.eligibility import EligibilityFinding, evaluate_eligibility
from cases.errors import GuardError
from cases.models import Case, CaseEventKind, CaseStatus, NoticeKind, NoticeMethod, Party, Priority
from cases.services.workflow import (
    lock_case,
    record_case_event,
    refresh_deadlines,
    transition_case,
)
from cases.steps import ensure_permitted, ensure_step
from core import clock
from core.clock import today

S = CaseStatus
MAX_REASON_LENGTH = 5000


def _require_reason(reason: str, *, what: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise GuardError(f"Write the reason for {what}.", field="reason")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise GuardError(f"The reason is too long (at most {MAX_REASON_LENGTH} characters).", field="reason")
    return cleaned


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
        ensure_step(case=case, key="confirm_eligibility", expected_from=expected_from, on=today())
        finding = evaluate_eligibility(case=case)
        reasons = _finding_reasons(finding)
        case.eligibility_confirmed = finding.eligible
        if not finding.eligible:
            case.save(update_fields=["eligibility_confirmed", "updated_at"])
            # Every reason found, with the right to appeal to the WCAB, to every party.
            return transition_case(
                case_id=case.pk,
                to=S.INELIGIBLE,
                by=by,
                reason="Ineligible: " + " ".join(reasons),
                expected_from=S.ELIGIBILITY_REVIEW,
                data={"finding": {"eligible": False, "reasons": reasons}, "confirmed": True},
                notice=NoticeKind.INELIGIBILITY,
                notice_reason="\n".join(reasons),
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
    ensure_permitted(key="override_eligibility", by=by)
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="override_eligibility", expected_from=expected_from, on=today())
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
                notice=NoticeKind.INELIGIBILITY,
                notice_reason=reason,
            )
    return case


def planned_notice_method(*, case: Case) -> str:
    """How the NOARFI goes out: electronic only when every party has an email address (each is
    then sent it by email), otherwise by mail, whose records clock is longer. The date and the
    method are recorded again from the deliveries actually made once they are all out."""
    parties = list(Party.objects.filter(case=case).values_list("email", flat=True))
    if parties and all(email.strip() for email in parties):
        return NoticeMethod.ELECTRONIC
    return NoticeMethod.MAIL


def send_notice_of_assignment(*, case_id: int, by: User, expected_from: str | None = None) -> Case:
    """Send the NOARFI to every party (email with the PDF, else the post tray); the records clock
    starts from it. One step: the notice, its deliveries and their outbox rows are written with
    the transition, or nothing is (a party with no address refuses the step, naming the party)."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="send_notice", expected_from=expected_from, on=today())
        method = planned_notice_method(case=case)
        return transition_case(
            case_id=case.pk,
            to=S.AWAITING_RECORDS,
            by=by,
            reason="Notice of assignment and request for information sent by "
            f"{NoticeMethod(method).label.lower()}",
            expected_from=S.ELIGIBILITY_REVIEW,
            data={"notice_method": method},
            notice=NoticeKind.NOARFI,
        )


def send_eligibility_notice(*, case_id: int, by: User, expected_from: str | None = None) -> Case:
    """Tell the parties the application was found eligible, when the NOARFI does not follow at once."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="send_eligibility_notice", expected_from=expected_from, on=today())
        data = hooks.send_notice(case=case, kind=NoticeKind.ELIGIBILITY, by=by, source=case.status)
        record_case_event(
            case=case, by=by, kind=CaseEventKind.NOTICE_ISSUED, reason=NoticeKind.ELIGIBILITY.label, data=data
        )
        return case


def mark_records_complete(
    *, case_id: int, by: User, on: date | None = None, expected_from: str | None = None
) -> Case:
    """The records are in: the determination clock starts and the case goes to assignment."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="records_complete", expected_from=expected_from, on=today())
        on = on or today()
        if on > today():
            raise GuardError("The records cannot be complete on a date in the future.", field="on")
        if case.notice_sent_on and on < case.notice_sent_on:
            raise GuardError(
                "The records cannot be complete before the notice was sent "
                f"({case.notice_sent_on.isoformat()}).",
                field="on",
            )
        return transition_case(
            case_id=case.pk,
            to=S.READY_FOR_ASSIGNMENT,
            by=by,
            reason="Application and medical records complete",
            expected_from=S.AWAITING_RECORDS,
            on=on,
        )


def _end_case(*, case_id: int, by: User, key: str, reason: str, expected_from: str | None) -> Case:
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        step = ensure_step(case=case, key=key, expected_from=expected_from, on=today())
        assert step.target is not None
        # The reviewers app ends the assignment from its hook on entering the end state; the
        # confirmation (the reason, the fee the claims administrator owes) goes with the step.
        return transition_case(
            case_id=case.pk,
            to=step.target,
            by=by,
            reason=reason,
            expected_from=case.status,
            locked_case=case,
            notice=NoticeKind.WITHDRAWAL if step.target == S.WITHDRAWN else NoticeKind.TERMINATION,
            notice_reason=reason,
        )


def withdraw(*, case_id: int, by: User, reason: str, expected_from: str | None = None) -> Case:
    reason = _require_reason(reason, what="the withdrawal")
    return _end_case(case_id=case_id, by=by, key="withdraw", reason=reason, expected_from=expected_from)


def terminate(*, case_id: int, by: User, reason: str, expected_from: str | None = None) -> Case:
    """The claims administrator authorized the disputed treatment: the review ends."""
    reason = _require_reason(reason, what="the termination")
    return _end_case(case_id=case_id, by=by, key="terminate", reason=reason, expected_from=expected_from)


def convert_to_expedited(
    *, case_id: int, by: User, certification_note: str, expected_from: str | None = None
) -> Case:
    """The treating physician certified an imminent, serious threat: shorter clocks, parties told."""
    note = _require_reason(certification_note, what="the conversion (the physician's certification)")
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="convert_to_expedited", expected_from=expected_from, on=today())
        previous = {
            "records_due": _iso(case.records_due),
            "determination_due": _iso(case.determination_due),
        }
        case.priority = Priority.EXPEDITED
        case.expedited_on = today()
        refresh_deadlines(case=case)
        case.save()
        # The new deadlines, to every party at once (email with the PDF, else the post tray).
        sent = hooks.send_notice(case=case, kind=NoticeKind.EXPEDITED, by=by, reason=note, source=case.status)
        if sent:
            # The notice tells them: a row of the former plain-email job left over sends nothing.
            case.expedited_parties_notified_at = clock.now()
            case.save(update_fields=["expedited_parties_notified_at", "updated_at"])
        record_case_event(
            case=case,
            by=by,
            kind=CaseEventKind.CONVERTED_TO_EXPEDITED,
            reason=note,
            data={
                "previous": previous,
                "records_due": _iso(case.records_due),
                "determination_due": _iso(case.determination_due),
                **sent,
            },
        )
    return case


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def close_case(*, case_id: int, by: User, reason: str = "", expected_from: str | None = None) -> Case:
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="close", expected_from=expected_from, on=today())
        return transition_case(
            case_id=case.pk,
            to=S.CLOSED,
            by=by,
            reason=(reason or "").strip() or "Closed after the appeal period",
            expected_from=S.DETERMINATION_ISSUED,
        )


def remand_case(*, case_id: int, by: User, order_reference: str, expected_from: str | None = None) -> Case:
    """A WCAB order: a new review by a different reviewer; the earlier letter stays on file.

    The determinations app supersedes the issued determination and the reviewers app ends
    the reviewer's assignment, from their hooks on entering ready_for_assignment from
    determination_issued; the event records what they did.
    """
    order_reference = _require_reason(order_reference, what="the remand (the WCAB order reference)")
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        ensure_step(case=case, key="remand", expected_from=expected_from, on=today())
        return transition_case(
            case_id=case.pk,
            to=S.READY_FOR_ASSIGNMENT,
            by=by,
            reason=f"Remanded by WCAB order {order_reference}",
            expected_from=S.DETERMINATION_ISSUED,
            data={"order_reference": order_reference, "remanded_at": clock.now().isoformat()},
            locked_case=case,
        )


def consolidate(
    *, case_id: int, by: User, case_numbers: list[str], reason: str, expected_from: str | None = None
) -> Case:
    """Consolidate other applications into this case (`cases.services.consolidation`)."""
    from cases.services.consolidation import consolidate_cases

    return consolidate_cases(
        case_id=case_id, by=by, case_numbers=case_numbers, reason=reason, expected_from=expected_from
    )


def split_consolidation(
    *, case_id: int, by: User, case_numbers: list[str], reason: str, expected_from: str | None = None
) -> Case:
    """Split consolidated applications off this case again, before it is assigned."""
    from cases.services.consolidation import split_cases

    return split_cases(
        case_id=case_id, by=by, case_numbers=case_numbers, reason=reason, expected_from=expected_from
    )
