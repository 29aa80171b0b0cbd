"""The one way a case changes state.

`transition_case` locks the case row, checks that the workflow allows the step (and that
nobody moved the case since the user looked at it), applies the django-fsm transition,
records the dates the deadlines count from, recomputes the stored deadlines, runs the
hooks higher apps registered for the state entered (`cases.hooks`) and writes an
append-only CaseEvent, all in one transaction. Callers that need guards (records
complete, every item decided, ...) check them inside the same transaction first (the staff
steps' guards are in `cases.steps`), and write side effects as outbox rows (`core.outbox.enqueue`).
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases import deadlines, hooks
from cases.errors import TransitionNotAllowedError
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus, NoticeMethod, Priority
from core import clock
from core.clock import today

S = CaseStatus


# Entered only with the lead case's end (`_end_consolidated_with`), never as a step of its own:
# neither `transition_case` nor `allowed_targets` offers it.
WITH_LEAD_ONLY = frozenset({S.CLOSED_CONSOLIDATED})


def allowed_targets(*, status: str) -> list[str]:
    """The states a case in `status` may move to next by a step, from the FSM declared on Case."""
    return sorted(
        {
            str(t.target)
            for t in Case._meta.get_field("status").get_all_transitions(Case)
            if t.source in (status, "*") and t.target is not None and t.target not in WITH_LEAD_ONLY
        }
    )


def status_label(status: str) -> str:
    """The readable name of a state; an unknown value is shown as given rather than failing."""
    try:
        return str(CaseStatus(status).label)
    except ValueError:
        return repr(status)


def _transition_method_name(*, source: str, target: str) -> str:
    name = _transition_methods().get((source, target))
    if name is None:
        raise TransitionNotAllowedError(
            f"A case in {status_label(source)} cannot move to {status_label(target)}."
        )
    return name


@functools.cache
def _transition_methods() -> dict[tuple[str, str], str]:
    """(source, target) -> method name, read once from the FSM declared on Case (it is static)."""
    methods: dict[tuple[str, str], str] = {}
    for t in Case._meta.get_field("status").get_all_transitions(Case):
        sources = list(CaseStatus.values) if t.source == "*" else [str(t.source)]
        for source in sources:
            if t.target is not None and t.target not in WITH_LEAD_ONLY:
                # The first declared transition wins, as the former linear search did.
                methods.setdefault((source, str(t.target)), t.name)
    return methods


def lock_case(*, case_id: int) -> Case:
    """Fetch the case row FOR UPDATE; call inside transaction.atomic."""
    return Case.objects.select_for_update().get(pk=case_id)


def record_entry_dates(
    *,
    case: Case,
    source: str,
    target: str,
    on: date,
    notice_method: str | None = None,
    ready_since: datetime | None = None,
) -> None:
    """Set the dates the deadlines count from when `case` enters `target` from `source` on `on`.

    The one place these dates are written: transitions call it, and so should the import of
    a case's history (no save here). `ready_since`, when given, is the moment the case joined
    the assignment queue (an import knows it); by default now, or the start of a past `on`.
    """
    if target != source:
        # The queues' "days in state".
        case.status_since = on
    if target == S.ELIGIBILITY_REVIEW:
        case.eligibility_review_on = on
    elif target == S.AWAITING_RECORDS:
        case.eligible_on = case.eligible_on or on
        case.notice_sent_on = on
        case.notice_method = notice_method or NoticeMethod.ELECTRONIC
    elif target == S.READY_FOR_ASSIGNMENT and source in (S.AWAITING_RECORDS, S.DETERMINATION_ISSUED):
        # A remand starts a new review: its clock runs from the remand date.
        case.records_complete_on = on
    if target == S.READY_FOR_ASSIGNMENT:
        # When the case joined the assignment queue: the queue flags a case nobody picked up.
        case.ready_since = ready_since or (
            clock.now() if on >= today() else timezone.make_aware(datetime.combine(on, time.min))
        )


def refresh_deadlines(
    *, case: Case, formulary_only: bool | None = None, mailed_on: date | None = None
) -> None:
    """Recompute every stored deadline of `case` from its recorded dates (no save)."""
    expedited = case.priority == Priority.EXPEDITED
    case.application_due = deadlines.compute_application_due(
        served_on=case.ur_served_on, service_method=case.ur_service_method
    )
    case.eligibility_info_due = (
        deadlines.compute_eligibility_info_due(requested_on=case.eligibility_review_on)
        if case.eligibility_review_on
        else None
    )
    case.notice_due = deadlines.compute_notice_due(eligible_on=case.eligible_on) if case.eligible_on else None
    case.records_due = (
        deadlines.compute_records_due(
            notice_on=_expedited_start(case=case, start=case.notice_sent_on),
            notice_method=case.notice_method,
            expedited=expedited,
        )
        if case.notice_sent_on
        else None
    )
    if case.records_complete_on:
        if formulary_only is None:
            formulary_only = deadlines.is_formulary_only(
                case.disputed_items.values_list("category", "formulary_drug")
            )
        case.determination_due = deadlines.compute_determination_due(
            records_complete_on=_expedited_start(case=case, start=case.records_complete_on),
            expedited=expedited,
            formulary_only=formulary_only,
        )
    else:
        case.determination_due = None
    if mailed_on is not None:
        case.appeal_due = deadlines.compute_appeal_due(mailed_on=mailed_on)
    case.next_deadline = _next_deadline(case=case)
    case.overdue = case.next_deadline is not None and case.next_deadline < today()


def _expedited_start(*, case: Case, start: date) -> date:
    """When a standard case was made expedited after `start`, the shorter clock runs from then.

    Counting 24 hours or 3 days from a date already weeks past would make the case overdue
    the moment the physician certified it; the certification is what starts the short clock.
    """
    if case.priority == Priority.EXPEDITED and case.expedited_on and case.expedited_on > start:
        return case.expedited_on
    return start


def _next_deadline(*, case: Case) -> date | None:
    """The deadline the case is working against in its current state."""
    by_status = {
        # Once staff confirmed it eligible, the NOARFI is what is due next.
        S.ELIGIBILITY_REVIEW: case.notice_due if case.eligibility_confirmed else case.eligibility_info_due,
        S.AWAITING_RECORDS: case.records_due,
        S.READY_FOR_ASSIGNMENT: case.determination_due,
        S.ASSIGNED: case.determination_due,
        S.IN_REVIEW: case.determination_due,
        S.QA_REVIEW: case.determination_due,
    }
    return by_status.get(case.status) or None


# The columns a transition may change (the FSM state, the dates `record_entry_dates` records, the
# deadlines `refresh_deadlines` stores), so the save writes only those that did change.
# The columns `refresh_deadlines` stores.
DEADLINE_FIELDS = (
    "application_due",
    "eligibility_info_due",
    "notice_due",
    "records_due",
    "determination_due",
    "appeal_due",
    "next_deadline",
    "overdue",
)
_WORKFLOW_FIELDS = (
    "eligibility_review_on",
    "eligible_on",
    "notice_sent_on",
    "notice_method",
    "records_complete_on",
    "ready_since",
    "status_since",
    *DEADLINE_FIELDS,
)


def transition_case(
    *,
    case_id: int,
    to: str,
    by: User | None,
    reason: str = "",
    expected_from: str | None = None,
    on: date | None = None,
    data: dict[str, Any] | None = None,
    locked_case: Case | None = None,
    formulary_only: bool | None = None,
    notice: str | None = None,
    notice_reason: str = "",
) -> Case:
    """Move the case to `to`; returns the locked, saved case. Raises TransitionNotAllowedError.

    `notice` (a NoticeKind) is sent to the parties as part of the step (`cases.hooks.send_notice`,
    with `notice_reason`: the ineligibility's reasons, the withdrawal's reason), after the on-enter
    hooks and before the event, which records it; a refusal (a party with no address) rolls the
    step back.

    `expected_from` is the state the user saw: if someone else moved the case since, the
    step is refused with a message saying so, rather than applied to a state nobody saw.

    A caller that already holds the case row locked (`lock_case`, in its own transaction)
    may pass it as `locked_case` to save fetching it again; that instance is changed and
    saved in place (only the workflow's columns: anything else the caller changed on it is
    not written). `formulary_only`, when the caller knows it from the case's items, saves
    the query `refresh_deadlines` would make for it.
    """
    data = dict(data or {})
    if locked_case is None:
        with transaction.atomic():
            case = lock_case(case_id=case_id)
            _apply_transition(
                case=case,
                to=to,
                by=by,
                reason=reason,
                expected_from=expected_from,
                on=on,
                data=data,
                formulary_only=formulary_only,
                notice=notice,
                notice_reason=notice_reason,
            )
        return case
    if locked_case.pk != case_id:
        raise ValueError(f"locked_case is case {locked_case.pk}, not case {case_id}.")
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("locked_case needs the caller's transaction.")
    # Refusals are raised before anything is written, so the caller may catch them and go on.
    method_name = _check_transition(case=locked_case, to=to, expected_from=expected_from)
    # Already inside the caller's transaction, which holds the lock: a savepoint would only
    # cost two round trips, and a database error here aborts that transaction anyway.
    with transaction.atomic(savepoint=False):
        _write_transition(
            case=locked_case,
            method_name=method_name,
            to=to,
            by=by,
            reason=reason,
            on=on,
            data=data,
            formulary_only=formulary_only,
            notice=notice,
            notice_reason=notice_reason,
        )
    return locked_case


def ensure_unchanged(*, case: Case, expected_from: str | None) -> None:
    """Refuse a step when someone else moved the case since the user saw it in `expected_from`."""
    if expected_from is not None and case.status != expected_from:
        raise TransitionNotAllowedError(
            f"Case {case.case_number} was changed by someone else: it is now "
            f"{status_label(case.status)}, no longer {status_label(expected_from)}. "
            "Reload the page to see its current state."
        )


def _check_transition(*, case: Case, to: str, expected_from: str | None) -> str:
    ensure_unchanged(case=case, expected_from=expected_from)
    if case.consolidated_into_id is not None:
        # Its items are reviewed in the lead case (cases.services.consolidation).
        raise TransitionNotAllowedError(
            f"Case {case.case_number} is consolidated into another case: take the steps there, "
            "or split it off first."
        )
    return _transition_method_name(source=case.status, target=to)


def _apply_transition(
    *,
    case: Case,
    to: str,
    by: User | None,
    reason: str,
    expected_from: str | None,
    on: date | None,
    data: dict[str, Any],
    formulary_only: bool | None,
    notice: str | None = None,
    notice_reason: str = "",
) -> None:
    method_name = _check_transition(case=case, to=to, expected_from=expected_from)
    _write_transition(
        case=case,
        method_name=method_name,
        to=to,
        by=by,
        reason=reason,
        on=on,
        data=data,
        formulary_only=formulary_only,
        notice=notice,
        notice_reason=notice_reason,
    )


def _write_transition(
    *,
    case: Case,
    method_name: str,
    to: str,
    by: User | None,
    reason: str,
    on: date | None,
    data: dict[str, Any],
    formulary_only: bool | None,
    notice: str | None = None,
    notice_reason: str = "",
) -> None:
    source = case.status
    effective_on = on or today()
    before = [getattr(case, name) for name in _WORKFLOW_FIELDS]
    record_entry_dates(
        case=case, source=source, target=to, on=effective_on, notice_method=data.get("notice_method")
    )
    getattr(case, method_name)()
    refresh_deadlines(case=case, formulary_only=formulary_only)
    changed = [name for name, old in zip(_WORKFLOW_FIELDS, before, strict=True) if getattr(case, name) != old]
    case.save(update_fields=["status", "updated_at", *changed])
    # What higher apps do on entering this state (enqueue the assignment, end the reviewer's
    # assignment, supersede the determination, ...): in this transaction, so a failure rolls
    # the step back; what they did is recorded with the event.
    data.update(hooks.run_on_enter(case, source=source, by=by))
    if notice:
        data.update(hooks.send_notice(case=case, kind=notice, by=by, reason=notice_reason, source=source))
    if to in LEAD_ENDS:
        data.update(_end_consolidated_with(lead=case, by=by, on=effective_on))
    CaseEvent.objects.create(
        case=case,
        actor=by if by is not None and by.is_authenticated else None,
        kind=CaseEventKind.TRANSITION,
        from_status=source,
        to_status=to,
        reason=reason,
        data=data,
        effective_on=effective_on,
    )


# When a lead case enters one of these, its review is over, and so is that of each case
# consolidated into it (cases.services.consolidation): the letter decided their items too, or the
# review they were part of was withdrawn, terminated or found ineligible.
LEAD_ENDS = (S.DETERMINATION_ISSUED, S.WITHDRAWN, S.TERMINATED, S.INELIGIBLE)


def _end_consolidated_with(*, lead: Case, by: User | None, on: date) -> dict[str, Any]:
    """Move every case consolidated into `lead` to "Closed as consolidated", each with its event
    naming the lead and how its review ended; returns what the lead's event records.

    Called with the lead locked (the transition's lock): consolidating and splitting lock the lead
    before the cases consolidated into it, so the set read here cannot change under us. A remanded
    lead keeps them closed as consolidated (their items are in the lead, reviewed again there).
    """
    members = list(Case.objects.select_for_update().filter(consolidated_into=lead).order_by("pk"))
    if not members:
        return {}
    how = status_label(lead.status).lower()
    for member in members:
        # A consolidated case takes no step of its own: it waits in the state it was consolidated in.
        if member.status not in (S.RECEIVED, S.ELIGIBILITY_REVIEW):
            raise TransitionNotAllowedError(
                f"Case {member.case_number}, consolidated into {lead.case_number}, is "
                f"{status_label(member.status)}: it cannot be closed with it. Split it off first."
            )
        _write_transition(
            case=member,
            method_name="close_as_consolidated",
            to=S.CLOSED_CONSOLIDATED,
            by=by,
            reason=f"Closed with lead case {lead.case_number} ({how}): its items were reviewed there.",
            on=on,
            data={"lead": lead.case_number, "lead_status": lead.status},
            formulary_only=False,
        )
    return {"closed_consolidated": [member.case_number for member in members]}


def record_case_event(
    *,
    case: Case,
    by: User | None,
    kind: CaseEventKind,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Log a notable action that is not a state change (override, conversion, upload...)."""
    return CaseEvent.objects.create(
        case=case,
        actor=by if by is not None and by.is_authenticated else None,
        kind=kind,
        from_status=case.status,
        to_status=case.status,
        reason=reason,
        data=data or {},
        effective_on=today(),
    )
