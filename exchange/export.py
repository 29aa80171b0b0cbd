"""Export of cases in the `imr-case/1` format (intake-format.md), with a `computed` block.

The exported object is the imported form (import → export → import is lossless): optional
fields still at their default are left out, as the seed example does. Reviewer names never
appear; the reviewer number does. `export_cases` loads any number of cases in a fixed
number of queries per batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db.models import Prefetch

from cases import deadlines, fees
from cases.eligibility import eligibility_as_dict, evaluate_eligibility_with, prior_imr_items
from cases.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    NoticeMethod,
    PartyRole,
    ServiceMethod,
)
from cases.selectors import date_assigned_from
from core.clock import today
from exchange.validation import FORMAT

S = CaseStatus
BATCH_SIZE = 500


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Write an optional field only when it holds something."""
    if value not in (None, "", False):
        target[key] = value


def _prefetched_cases(*, case_ids: list[int]) -> list[Case]:
    from determinations.models import Determination, ItemDecision, Letter
    from reviewers.models import Assignment

    determinations = (
        Determination.objects.current()
        .select_related("reviewer")
        .prefetch_related(
            Prefetch("items", queryset=ItemDecision.objects.select_related("disputed_item")),
            Prefetch("letters", queryset=Letter.objects.order_by("-version")),
        )
    )
    cases = (
        Case.objects.filter(pk__in=case_ids)
        .prefetch_related(
            "parties",
            "disputed_items",
            Prefetch(
                "events",
                queryset=CaseEvent.objects.filter(kind=CaseEventKind.TRANSITION).order_by(
                    "effective_on", "id"
                ),
                to_attr="transition_events",
            ),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("reviewer").order_by("assigned_at", "id"),
                to_attr="assignments_in_order",
            ),
            Prefetch("determinations", queryset=determinations, to_attr="current_determinations"),
        )
        .order_by("case_number")
    )
    return list(cases)


def export_cases(*, case_numbers: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every case (or those numbered), in case-number order, as `imr-case/1` objects.

    Read in chunks of BATCH_SIZE cases, each chunk found by the case number after the last
    one written (keyset), so memory stays flat however many cases there are.
    """
    cases = Case.objects.order_by("case_number")
    if case_numbers is not None:
        cases = cases.filter(case_number__in=case_numbers)
    after = None
    while True:
        chunk = cases.filter(case_number__gt=after) if after is not None else cases
        rows = list(chunk.values_list("pk", "case_number")[:BATCH_SIZE])
        if not rows:
            return
        after = rows[-1][1]
        batch = _prefetched_cases(case_ids=[pk for pk, _number in rows])
        prior_items = prior_imr_items(cases=batch)
        for case in batch:
            yield _export(case=case, prior_items=prior_items)
        del batch, prior_items


def export_case(*, case: Case) -> dict[str, Any]:
    """One case as an `imr-case/1` object with its `computed` block."""
    (loaded,) = _prefetched_cases(case_ids=[case.pk])
    return _export(case=loaded, prior_items=prior_imr_items(cases=[loaded]))


def _export(*, case: Case, prior_items: Any) -> dict[str, Any]:
    parties = {party.role: party for party in case.parties.all()}
    items = sorted(case.disputed_items.all(), key=lambda item: item.position)
    current: list[Any] = case.current_determinations  # type: ignore[attr-defined]  # Prefetch to_attr
    determination = current[0] if current else None

    data: dict[str, Any] = {"format": FORMAT, "case_number": case.case_number, "priority": case.priority}
    application: dict[str, Any] = {
        "received_on": _iso(case.received_on),
        "signed": case.signed,
        "ur_decision_attached": case.ur_decision_attached,
    }
    _put(application, "liability_disputed", case.liability_disputed)
    data["application"] = application
    data["employee"] = _employee(parties.get(PartyRole.EMPLOYEE))
    data["employer"] = _organization(parties.get(PartyRole.EMPLOYER))
    data["claims_administrator"] = _organization(parties.get(PartyRole.CLAIMS_ADMINISTRATOR), claim=True)
    data["requesting_provider"] = _provider(parties.get(PartyRole.REQUESTING_PROVIDER))
    data["attorney"] = _attorney(parties.get(PartyRole.ATTORNEY))
    data["injury"] = {
        "date": _iso(case.injury_date),
        "body_parts": list(case.body_parts),
        "diagnoses": list(case.diagnoses),
        "mechanism": case.mechanism,
    }
    ur: dict[str, Any] = {"decision_date": _iso(case.ur_decision_date), "served_on": _iso(case.ur_served_on)}
    if case.ur_service_method != ServiceMethod.MAIL:
        ur["service_method"] = case.ur_service_method
    _put(ur, "reviewer_name", case.ur_reviewer_name)
    _put(ur, "organization", case.ur_organization)
    _put(ur, "guidelines_cited", case.ur_guidelines_cited)
    _put(ur, "conditionally_noncertified", case.ur_conditionally_noncertified)
    data["utilization_review"] = ur
    data["disputed_items"] = [_disputed_item(item) for item in items]
    if determination is not None and case.status in (S.DETERMINATION_ISSUED, S.CLOSED):
        data["determination"] = _determination(determination, items=items)
    history = _history(case)
    if history:
        data["history"] = history
    data["computed"] = _computed(case=case, items=items, determination=determination, prior_items=prior_items)
    return data


def _employee(party: Any) -> dict[str, Any]:
    if party is None:
        return {}
    result: dict[str, Any] = {"first_name": party.first_name, "last_name": party.last_name}
    _put(result, "date_of_birth", _iso(party.date_of_birth))
    _put(result, "sex", party.sex)
    _put(result, "email", party.email)
    _put(result, "mailing_address", party.mailing_address)
    return result


def _organization(party: Any, *, claim: bool = False) -> dict[str, Any]:
    if party is None:
        return {}
    result: dict[str, Any] = {"name": party.name}
    _put(result, "email", party.email)
    if claim:
        result["claim_number"] = party.claim_number
    _put(result, "mailing_address", party.mailing_address)
    return result


def _provider(party: Any) -> dict[str, Any]:
    if party is None:
        return {}
    result: dict[str, Any] = {"name": party.name}
    _put(result, "specialty", party.specialty)
    _put(result, "email", party.email)
    _put(result, "mailing_address", party.mailing_address)
    _put(result, "npi", party.npi)
    return result


def _attorney(party: Any) -> dict[str, Any] | None:
    if party is None:
        return None
    result: dict[str, Any] = {"name": party.name}
    _put(result, "firm", party.organization)
    _put(result, "email", party.email)
    _put(result, "mailing_address", party.mailing_address)
    return result


def _disputed_item(item: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"description": item.description, "category": item.category}
    _put(result, "formulary_drug", item.formulary_drug)
    _put(result, "procedure_code", item.procedure_code)
    _put(result, "quantity", item.quantity)
    _put(result, "body_part", item.body_part)
    result["ur_decision"] = item.ur_decision
    _put(result, "claims_administrator_guideline", item.claims_administrator_guideline)
    return result


def _determination(determination: Any, *, items: list[Any]) -> dict[str, Any]:
    decisions = {decision.disputed_item_id: decision for decision in determination.items.all()}
    result: dict[str, Any] = {
        # The credentials as the letter states them; never the reviewer's name.
        "reviewer": {
            "licensure_states": list(determination.licensure_states),
            "certifications": list(determination.certifications),
        },
        "clinical_case_summary": determination.clinical_case_summary,
        "items": [
            {
                "decision": decisions[item.pk].decision if item.pk in decisions else "",
                "reviewer_guideline": decisions[item.pk].reviewer_guideline if item.pk in decisions else "",
                "rationale": decisions[item.pk].rationale if item.pk in decisions else "",
            }
            for item in items
        ],
    }
    _put(result, "issued_on", _iso(determination.issued_on))
    _put(result, "mailed_on", _iso(determination.mailed_on))
    return result


def _history(case: Any) -> list[dict[str, Any]]:
    """The states entered, from the transition events (the imported ones and the live ones)."""
    events = case.transition_events
    if not events:
        return []
    assignments = case.assignments_in_order
    awaiting_events = [e for e in events if e.to_status == S.AWAITING_RECORDS]
    entries = []
    assigned_seen = 0
    for event in events:
        entry: dict[str, Any] = {"status": event.to_status, "on": _iso(event.effective_on)}
        if event.to_status == S.AWAITING_RECORDS:
            method = event.data.get("notice_method")
            if not method and event is awaiting_events[-1]:
                method = case.notice_method
            entry["notice_method"] = method or NoticeMethod.ELECTRONIC
        elif event.to_status == S.ASSIGNED:
            number = event.data.get("reviewer_number")
            if not number and assigned_seen < len(assignments):
                number = assignments[assigned_seen].reviewer.reviewer_number
            assigned_seen += 1
            if number:
                entry["reviewer_number"] = number
        entries.append(entry)
    return entries


def _computed(*, case: Any, items: list[Any], determination: Any, prior_items: Any) -> dict[str, Any]:
    finding = evaluate_eligibility_with(case=case, prior_items=prior_items)
    assignments = case.assignments_in_order
    days_late = deadlines.compute_records_days_late(
        records_due=case.records_due, records_complete_on=case.records_complete_on, today=today()
    )
    reviewer_number = None
    if assignments:
        reviewer_number = assignments[-1].reviewer.reviewer_number
    elif determination is not None and determination.reviewer is not None:
        reviewer_number = determination.reviewer.reviewer_number
    computed = {
        "status": case.status,
        "eligibility": eligibility_as_dict(finding),
        "deadlines": {
            "application_due": _iso(case.application_due),
            "eligibility_info_due": _iso(case.eligibility_info_due),
            "notice_due": _iso(case.notice_due),
            "records_due": _iso(case.records_due),
            "determination_due": _iso(case.determination_due),
            "appeal_due": _iso(case.appeal_due),
        },
        # The billing rule (cases.fees): the outcome and whether a reviewer had the case, from the events.
        "fee_usd": fees.case_fee_usd(
            received_on=case.received_on,
            priority=case.priority,
            categories=[i.category for i in items],
            outcome=fees.outcome_from_events(case.transition_events),
            reached_reviewer=fees.reached_reviewer_from_events(case.transition_events),
        ),
        "reviewer_number": reviewer_number,
        "letter": _letter(determination),
        "records_days_late": days_late,
        "records_late_penalty_usd": deadlines.compute_records_late_penalty_usd(days_late=days_late),
    }
    # The letter's Date Assigned, from the history's `assigned` entry; only once ever assigned.
    decided_by = determination.reviewer if determination is not None else None
    _put(
        computed,
        "date_assigned",
        _iso(
            date_assigned_from(
                events=case.transition_events,
                reviewer_number=decided_by.reviewer_number if decided_by is not None else reviewer_number,
            )
        ),
    )
    return computed


def _letter(determination: Any) -> dict[str, Any] | None:
    if determination is None:
        return None
    letters = list(determination.letters.all())
    if not letters:
        return None
    letter = letters[0]
    return {
        "issued_on": _iso(letter.issued_on),
        "mailed_on": _iso(determination.mailed_on),
        "sha256": letter.sha256,
        "pages": letter.pages,
    }
