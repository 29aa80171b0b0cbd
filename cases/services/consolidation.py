"""Consolidation (8 CCR 9792.10.4): several applications reviewed as one, and split again.

Staff consolidate open cases of the same employee, with the same date of injury and the same
requesting physician, into one lead case before its NOARFI goes: the other cases' disputed
items move to the lead (each remembers the case it was filed under and its order there), so the
lead has one NOARFI, one reviewer and one letter listing every item. A consolidated case keeps
its own state and history, takes no step of its own (`cases.steps`), and has no deadline while
consolidated. Staff split a case off again before the lead is assigned: its items go back and
it continues on its own. Each consolidation and split is one transaction that locks every case
it touches (in id order, so two staff members cannot deadlock) and writes an event on each,
with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max

from cases.errors import GuardError
from cases.models import Case, CaseEventKind, CaseStatus, DisputedItem, Party, PartyRole
from cases.services.workflow import record_case_event, refresh_deadlines
from core.clock import today

S = CaseStatus
# Cases are consolidated before the NOARFI goes, so it is one notice for all their items.
CONSOLIDATE_STATUSES = (S.RECEIVED, S.ELIGIBILITY_REVIEW)
# And split again before a reviewer is assigned to the lead.
SPLIT_STATUSES = (S.RECEIVED, S.ELIGIBILITY_REVIEW, S.AWAITING_RECORDS, S.READY_FOR_ASSIGNMENT)
MAX_REASON_LENGTH = 5000
# Roles where the lead and a consolidated case may not name two different parties.
SHARED_ROLES = (PartyRole.ATTORNEY, PartyRole.EMPLOYER, PartyRole.CLAIMS_ADMINISTRATOR)


class ConsolidationError(GuardError):
    """A consolidation or split that cannot be done; the message says why (nothing changed)."""


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", (text or "").lower()).split())


def _employee_key(parties: dict[str, Party]) -> tuple[str, str]:
    employee = parties.get(PartyRole.EMPLOYEE)
    if employee is None:
        return ("", "")
    dob = employee.date_of_birth.isoformat() if employee.date_of_birth else ""
    return (_words(employee.name), dob)


def _physician_key(parties: dict[str, Party]) -> str:
    provider = parties.get(PartyRole.REQUESTING_PROVIDER)
    if provider is None:
        return ""
    return provider.npi or _words(provider.name)


def why_not_consolidable(*, lead: Case, other: Case, check_members: bool = True) -> str:
    """Why `other` cannot be consolidated into `lead` ("" when it can). Reads both cases' parties
    (and, with `check_members`, whether `other` is itself a lead: one query)."""
    if other.pk == lead.pk:
        return f"Case {other.case_number} cannot be consolidated into itself."
    if other.consolidated_into_id is not None:
        return f"Case {other.case_number} is already consolidated into another case."
    if check_members and other.consolidated_cases.exists():
        return f"Case {other.case_number} has cases consolidated into it: split them off first."
    if other.status not in CONSOLIDATE_STATUSES:
        return (
            f"Case {other.case_number} is {other.get_status_display().lower()}: only cases whose "
            "NOARFI has not gone yet can be consolidated."
        )
    if other.injury_date != lead.injury_date:
        return f"Case {other.case_number} has another date of injury ({other.injury_date:%m/%d/%Y})."
    lead_parties = {party.role: party for party in lead.parties.all()}
    other_parties = {party.role: party for party in other.parties.all()}
    lead_employee, other_employee = _employee_key(lead_parties), _employee_key(other_parties)
    if (
        not lead_employee[0]
        or lead_employee[0] != other_employee[0]
        or (lead_employee[1] and other_employee[1] and lead_employee[1] != other_employee[1])
    ):
        return f"Case {other.case_number} is not for the same employee."
    if not _physician_key(lead_parties) or _physician_key(lead_parties) != _physician_key(other_parties):
        return f"Case {other.case_number} has another requesting physician."
    # The lead's letter and notices go to the lead's parties, and to a consolidated case's party
    # only for a role the lead lacks (`review_parties`): two different people in one role would
    # leave one of them without the letter, so they are corrected first.
    for role in SHARED_ROLES:
        mine, theirs = lead_parties.get(role), other_parties.get(role)
        if mine is not None and theirs is not None and _words(mine.name) != _words(theirs.name):
            return (
                f"Case {other.case_number} has another {PartyRole(role).label.lower()} "
                f"({theirs.name}, not {mine.name}): correct the parties first."
            )
    return ""


def review_parties(*, case: Case) -> dict[str, Party]:
    """The parties of the review `case` leads, by role: its own (`case.parties.all()`, prefetched
    or one query), and for a role it lacks, that of a case consolidated into it (the oldest first;
    one more query). By the consolidation rule the employee and the requesting physician are the
    same people, and a role both have is the same party (`why_not_consolidable`), so the lead's
    letter and notices reach every party of every consolidated case once."""
    parties = {party.role: party for party in case.parties.all()}
    if len(parties) < len(PartyRole.values):
        extra = Party.objects.filter(case__consolidated_into_id=case.pk).exclude(role__in=list(parties))
        for party in extra.order_by("case_id", "pk"):
            parties.setdefault(party.role, party)
    return parties


def _reason(reason: str, *, what: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ConsolidationError(f"Write the reason for {what}.", field="reason")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise ConsolidationError(
            f"The reason is too long (at most {MAX_REASON_LENGTH} characters).", field="reason"
        )
    return cleaned


def _lock(case_ids: Iterable[int]) -> dict[int, Case]:
    # In id order: two staff members consolidating overlapping cases wait, never deadlock.
    cases = Case.objects.select_for_update().filter(pk__in=sorted(set(case_ids))).order_by("pk")
    return {case.pk: case for case in cases}


def _by_numbers(numbers: Iterable[str] | str) -> list[int]:
    if isinstance(numbers, str):
        numbers = re.split(r"[\s,;]+", numbers)
    wanted = sorted({number.strip().upper() for number in numbers if number.strip()})
    if not wanted:
        raise ConsolidationError("Name at least one case number.", field="case_numbers")
    found = dict(Case.objects.filter(case_number__in=wanted).values_list("case_number", "pk"))
    missing = [number for number in wanted if number not in found]
    if missing:
        raise ConsolidationError(f"No case numbered {', '.join(missing)}.", field="case_numbers")
    return [found[number] for number in wanted]


def consolidate_cases(
    *,
    case_id: int,
    by: User,
    case_numbers: Iterable[str] | str,
    reason: str,
    expected_from: str | None = None,
) -> Case:
    """Consolidate the cases numbered `case_numbers` into case `case_id` (the lead)."""
    from cases.steps import ensure_step

    # The step's own refusal first (the words the page shows), then the input; again under the lock.
    ensure_step(case=Case.objects.get(pk=case_id), key="consolidate", expected_from=expected_from, on=today())
    reason = _reason(reason, what="the consolidation")
    other_ids = _by_numbers(case_numbers)
    # Refused before any lock: a case consolidated already (into this lead, or another) is locked
    # by its lead's transition after the lead, and locking it here first could deadlock.
    already = Case.objects.filter(pk__in=other_ids, consolidated_into__isnull=False).order_by("case_number")
    if refusals := [
        f"Case {number} is already consolidated into another case."
        for number in already.values_list("case_number", flat=True)
    ]:
        raise ConsolidationError(" ".join(refusals), field="case_numbers")
    with transaction.atomic():
        locked = _lock([case_id, *other_ids])
        lead = locked[case_id]
        ensure_step(case=lead, key="consolidate", expected_from=expected_from, on=today())
        if lead.consolidated_into_id is not None:
            raise ConsolidationError(f"Case {lead.case_number} is itself consolidated into another case.")
        refusals = [
            why for other_id in other_ids if (why := why_not_consolidable(lead=lead, other=locked[other_id]))
        ]
        if refusals:
            raise ConsolidationError(" ".join(refusals), field="case_numbers")
        position = lead.disputed_items.aggregate(last=Max("position"))["last"] or 0
        moved: dict[str, list[str]] = {}
        for other_id in other_ids:
            other = locked[other_id]
            items = list(other.disputed_items.order_by("position"))
            for item in items:
                position += 1
                item.origin_case = other
                item.origin_position = item.position
                item.case = lead
                item.position = position
                item.save(update_fields=["origin_case", "origin_position", "case", "position"])
            moved[other.case_number] = [item.description for item in items]
            other.consolidated_into = lead
            refresh_deadlines(case=other)
            other.next_deadline = None  # its clocks are the lead's now
            other.overdue = False
            other.save()
            record_case_event(
                case=other,
                by=by,
                kind=CaseEventKind.CONSOLIDATED,
                reason=f"Consolidated into {lead.case_number}: {reason}",
                data={"lead": lead.case_number, "items": moved[other.case_number]},
            )
        refresh_deadlines(case=lead)
        lead.save()
        record_case_event(
            case=lead,
            by=by,
            kind=CaseEventKind.CONSOLIDATED,
            reason=f"Consolidated with {', '.join(moved)}: {reason}",
            data={"consolidated": moved},
        )
        return lead


def split_cases(
    *,
    case_id: int,
    by: User,
    case_numbers: Iterable[str] | str,
    reason: str,
    expected_from: str | None = None,
) -> Case:
    """Split the cases numbered `case_numbers` off lead case `case_id`: their items go back."""
    from cases.steps import ensure_step

    # The step's own refusal first (the words the page shows), then the input; again under the lock.
    ensure_step(case=Case.objects.get(pk=case_id), key="split", expected_from=expected_from, on=today())
    reason = _reason(reason, what="the split")
    other_ids = _by_numbers(case_numbers)
    with transaction.atomic():
        # The lead first, then its consolidated cases (in id order), as the lead's own transition
        # does when its review ends (cases.services.workflow): with the lead locked, which cases
        # are consolidated into it cannot change, and nobody waits in a cycle.
        lead = Case.objects.select_for_update().get(pk=case_id)
        ensure_step(case=lead, key="split", expected_from=expected_from, on=today())
        locked = {lead.pk: lead}
        for member in (
            Case.objects.select_for_update().filter(pk__in=other_ids, consolidated_into=lead).order_by("pk")
        ):
            locked[member.pk] = member
        numbers = dict(Case.objects.filter(pk__in=other_ids).values_list("pk", "case_number"))
        strangers = [numbers[i] for i in other_ids if i == lead.pk or i not in locked]
        if strangers:
            raise ConsolidationError(
                f"Not consolidated into {lead.case_number}: {', '.join(strangers)}.", field="case_numbers"
            )
        if not lead.disputed_items.filter(origin_case__isnull=True).exists():
            raise ConsolidationError(f"Case {lead.case_number} would keep no disputed item of its own.")
        for other_id in other_ids:
            other = locked[other_id]
            items = list(DisputedItem.objects.filter(case=lead, origin_case=other).order_by("position"))
            for item in items:
                item.case = other
                item.position = item.origin_position or item.position
                item.origin_case = None
                item.origin_position = None
                item.save(update_fields=["case", "position", "origin_case", "origin_position"])
            other.consolidated_into = None
            refresh_deadlines(case=other)
            other.save()
            record_case_event(
                case=other,
                by=by,
                kind=CaseEventKind.CONSOLIDATION_SPLIT,
                reason=f"Split off {lead.case_number}: {reason}",
                data={"lead": lead.case_number, "items": [item.description for item in items]},
            )
        # The items left on the lead close ranks (its own first, then those still consolidated).
        for number, item in enumerate(lead.disputed_items.order_by("position"), start=1):
            if item.position != number:
                item.position = number
                item.save(update_fields=["position"])
        refresh_deadlines(case=lead)
        lead.save()
        record_case_event(
            case=lead,
            by=by,
            kind=CaseEventKind.CONSOLIDATION_SPLIT,
            reason=f"Split off {', '.join(locked[i].case_number for i in other_ids)}: {reason}",
            data={"split": [locked[i].case_number for i in other_ids]},
        )
        return lead
