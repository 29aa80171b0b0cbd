"""What a step did and what happens next, in the words the staff member reads after it.

Each function takes the case as the step's service left it (re-read after its commit, so the
work done on commit, e.g. the reviewer assignment of the embedded default, is seen) and reads
what the step recorded: its event (the notice's deliveries, the assignments it ended, the new
deadlines), the case's dates and, for an assignment, the case's active assignment. Nothing here
guesses: a job still queued is said to be queued.

The assignments belong to the reviewers app, which stands above cases: they are read through the
reverse relation `Case.assignments` by name, never imported. Reviewer numbers only: staff read
these, but a message is no place for a reviewer's name.
"""

from __future__ import annotations

from typing import Any

from cases.fees import case_fee_usd, reached_reviewer_expression
from cases.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    NoticeKind,
    NoticeMethod,
    PartyRole,
)
from core.dates import us_date

S = CaseStatus


def _last_event(case: Case, *, kinds: tuple[str, ...]) -> CaseEvent | None:
    return case.events.filter(kind__in=kinds).order_by("-at", "-id").first()


def _role(role: str) -> str:
    label = PartyRole(role).label if role in PartyRole.values else role.replace("_", " ")
    return label[0].lower() + label[1:]


def _joined(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def describe_notice(data: dict[str, Any] | None) -> str:
    """ "<Notice> sent by email to A and B; to the post tray (to be mailed) for C." from an event's data."""
    notice = (data or {}).get("notice") or {}
    deliveries = notice.get("deliveries") or []
    if not notice:
        return ""
    label = NoticeKind(notice["kind"]).label if notice.get("kind") in NoticeKind.values else "The notice"
    emailed = [_role(d["role"]) for d in deliveries if d.get("channel") == "email"]
    posted = [_role(d["role"]) for d in deliveries if d.get("channel") != "email"]
    parts = []
    if emailed:
        parts.append(f"emailed to the {_joined(emailed)}")
    if posted:
        parts.append(f"put on the post tray to be mailed to the {_joined(posted)}")
    if not parts:
        return f"{label} issued."
    return f"{label} {' and '.join(parts)}."


def _transition_notice(case: Case) -> str:
    event = _last_event(case, kinds=(CaseEventKind.TRANSITION,))
    return describe_notice(event.data if event else None)


# ---- One function per step (the table's `outcome`) -------------------------------------


def after_eligibility_review_started(case: Case) -> str:
    due = (
        f" (the eligibility information is due {us_date(case.eligibility_info_due)})"
        if case.eligibility_info_due
        else ""
    )
    return f"Next: confirm the computed eligibility finding, or override it with a reason{due}."


def after_eligibility_decided(case: Case) -> str:
    if case.status == S.INELIGIBLE:
        return f"The case is ineligible and its review ends. {_transition_notice(case)}".strip()
    return "The case is eligible. Next: send the NOARFI (or first the notice of eligibility)."


def after_eligibility_notice(case: Case) -> str:
    event = _last_event(case, kinds=(CaseEventKind.NOTICE_ISSUED,))
    sent = describe_notice(event.data if event else None)
    return f"{sent} Next: send the NOARFI when the records are to be requested.".strip()


def after_noarfi(case: Case) -> str:
    sent = _transition_notice(case)
    how = NoticeMethod(case.notice_method).label.lower() if case.notice_method else ""
    due = (
        f" The medical records are due {us_date(case.records_due)} (notice by {how})."
        if case.records_due
        else ""
    )
    return f"{sent}{due} Next: mark the records complete when they are in."


def after_records_complete(case: Case) -> str:
    """Who the case went to, when the assignment already ran; else that it is being assigned."""
    case = Case.objects.get(pk=case.pk)  # the assignment commits after the step: read it fresh
    assignment = case.assignments.filter(active=True).select_related("reviewer").order_by("-id").first()
    if assignment is not None:
        emailed = "they were emailed" if assignment.notified_at else "an email to them is queued"
        due = (
            f" The determination is due {us_date(case.determination_due)}." if case.determination_due else ""
        )
        return f"Assigned to reviewer {assignment.reviewer.reviewer_number}; {emailed}.{due}"
    if case.needs_manual_assignment:
        return (
            f"No reviewer could be assigned automatically: {case.manual_assignment_reason} "
            "Assign one by hand on the Reviewer assignment page."
        )
    return "A reviewer is being assigned; this page will show who (under Assignments)."


def after_remand(case: Case) -> str:
    event = _last_event(case, kinds=(CaseEventKind.TRANSITION,))
    ended = len((event.data or {}).get("ended_assignment_ids", [])) if event else 0
    earlier = f" The earlier reviewer's assignment ended ({ended})." if ended else ""
    return f"The issued letter stays on file.{earlier} {after_records_complete(case)}"


def after_case_ended(case: Case) -> str:
    """Withdrawn or terminated: the confirmation to the parties, the reviewer released, the fee."""
    event = _last_event(case, kinds=(CaseEventKind.TRANSITION,))
    data = (event.data if event else None) or {}
    parts = [describe_notice(data)]
    ended = data.get("ended_assignment_ids") or []
    if ended:
        parts.append("The reviewer's assignment ended.")
    closed = data.get("closed_consolidated") or []
    if closed:
        parts.append(f"{len(closed)} case(s) consolidated into it closed with it.")
    reached = (
        Case.objects.filter(pk=case.pk)
        .annotate(reached=reached_reviewer_expression())
        .values_list("reached", flat=True)[0]
    )
    fee = case_fee_usd(
        received_on=case.received_on,
        priority=case.priority,
        categories=case.disputed_items.values_list("category", flat=True),
        outcome=case.status,
        reached_reviewer=bool(reached),
    )
    if fee is not None:
        before = "" if reached else ", the reduced fee: the case ended before a reviewer had it"
        parts.append(f"The claims administrator owes ${fee}{before}.")
    return " ".join(part for part in parts if part)


def after_expedited(case: Case) -> str:
    event = _last_event(case, kinds=(CaseEventKind.CONVERTED_TO_EXPEDITED,))
    dues = []
    if case.records_due:
        dues.append(f"records due {us_date(case.records_due)}")
    if case.determination_due:
        dues.append(f"determination due {us_date(case.determination_due)}")
    new = f" New deadlines: {', '.join(dues)}." if dues else ""
    return f"{describe_notice(event.data if event else None)}{new}".strip()


def after_close(case: Case) -> str:
    return "No further step is open; the case file stays on record."
