"""Import of cases in the `imr-case/1` format (intake-format.md).

Each case is written in one transaction with its parties, disputed items, migrated history
(events, assignments, the dates the deadlines count from) and, for decided cases, the
determination; a case with any error writes nothing. A case number is never imported twice
and never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from cases import deadlines
from cases.errors import IntakeError
from cases.models import (
    CASE_NUMBER_PATTERN,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    DisputedItem,
    Party,
    PartyRole,
)
from cases.services.workflow import record_case_event, record_entry_dates, refresh_deadlines
from core.clock import today
from exchange import json_files
from exchange.validation import check_case_payload

S = CaseStatus
IMPORTED_REASON = "Imported history"
CASE_NUMBER_ATTEMPTS = 20
# An assignment is held (active) while the case is in one of these states.
HELD_STATUSES = (S.ASSIGNED, S.IN_REVIEW, S.QA_REVIEW)


class IntakeSource:
    """Where a case came from: its first timeline event says so."""

    FILE = "file"  # import_cases, the demo data
    INTAKE_FORM = "intake_form"  # typed in by intake staff on /cases/new/


# source -> (event kind, reason on the timeline)
_SOURCE_EVENTS = {
    IntakeSource.FILE: (CaseEventKind.IMPORTED, "Imported from an imr-case/1 file"),
    IntakeSource.INTAKE_FORM: (CaseEventKind.CREATED_BY_STAFF, "Entered by intake staff on the intake form"),
}


@dataclass
class ImportReport:
    """What one import run wrote and refused; `errors` are ready to print."""

    imported: list[str] = field(default_factory=list)
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    # Files that could not be read at all (missing, unreadable, not JSON).
    failed_files: int = 0

    def merge(self, other: ImportReport) -> None:
        self.imported.extend(other.imported)
        self.refused += other.refused
        self.errors.extend(other.errors)
        self.failed_files += other.failed_files


def import_case(*, payload: dict[str, Any], by: User | None = None, source: str = IntakeSource.FILE) -> Case:
    """Validate and write one case; raises IntakeError listing every problem (nothing written).

    `source` (an `IntakeSource`) is what the case's first timeline event says it came from.
    """
    if source not in _SOURCE_EVENTS:
        raise ValueError(f"unknown intake source {source!r}")
    cleaned, errors = check_case_payload(payload=payload, today=today())
    with transaction.atomic():
        errors += _database_errors(payload=payload)
        if errors or cleaned is None:
            raise IntakeError(errors=errors)
        return _write_case(cleaned=cleaned, by=by, source=source)


def _database_errors(*, payload: Any) -> list[tuple[str, str]]:
    """The checks that need the database, on the raw payload so they report alongside the rest."""
    if not isinstance(payload, dict):
        return []
    errors: list[tuple[str, str]] = []
    number = payload.get("case_number")
    if (
        isinstance(number, str)
        and re.fullmatch(CASE_NUMBER_PATTERN, number)
        and Case.objects.filter(case_number=number).exists()
    ):
        errors.append(("case_number", _duplicate_message(number)))
    history = payload.get("history")
    if isinstance(history, list):
        wanted = {
            index: entry["reviewer_number"]
            for index, entry in enumerate(history)
            if isinstance(entry, dict) and isinstance(entry.get("reviewer_number"), str)
        }
        if wanted:
            from reviewers.models import Reviewer

            known = set(
                Reviewer.objects.filter(reviewer_number__in=set(wanted.values())).values_list(
                    "reviewer_number", flat=True
                )
            )
            errors += [
                (f"history[{index}].reviewer_number", f"no reviewer has the number {number_!r}")
                for index, number_ in wanted.items()
                if number_ not in known
            ]
    return errors


def _duplicate_message(number: str) -> str:
    return f"case {number} already exists; it was not imported again (a case is never overwritten)"


def next_case_number(*, received_on: date) -> str:
    """The next free CMyy-nnnnnnn for the year received (the insert retries on a collision)."""
    prefix = f"CM{received_on.year % 100:02d}-"
    last = (
        Case.objects.filter(case_number__startswith=prefix)
        .order_by("-case_number")
        .values_list("case_number", flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    if sequence > 9_999_999:
        raise IntakeError(errors=[("case_number", f"no case number is left for {received_on.year}")])
    return f"{prefix}{sequence:07d}"


def _new_case(*, cleaned: dict[str, Any], case_number: str) -> Case:
    application = cleaned["application"]
    injury = cleaned["injury"]
    ur = cleaned["utilization_review"]
    # The status is protected: it can only be given when the row is built.
    return Case(
        case_number=case_number,
        status=cleaned["status"],
        priority=cleaned["priority"],
        received_on=application["received_on"],
        signed=application["signed"],
        ur_decision_attached=application["ur_decision_attached"],
        liability_disputed=application["liability_disputed"],
        injury_date=injury["date"],
        body_parts=injury["body_parts"],
        diagnoses=injury["diagnoses"],
        mechanism=injury["mechanism"],
        ur_decision_date=ur["decision_date"],
        ur_served_on=ur["served_on"],
        ur_service_method=ur["service_method"],
        ur_reviewer_name=ur["reviewer_name"],
        ur_organization=ur["organization"],
        ur_guidelines_cited=ur["guidelines_cited"],
        ur_conditionally_noncertified=ur["conditionally_noncertified"],
    )


def _record_history_dates(*, case: Case, history: list[dict[str, Any]]) -> None:
    """Set the dates the deadlines count from, step by step, by the workflow's one rule."""
    source = S.RECEIVED
    for entry in history:
        target, on = entry["status"], entry["on"]
        record_entry_dates(
            case=case,
            source=source,
            target=target,
            on=on,
            notice_method=entry["notice_method"],
            ready_since=_start_of(on),
        )
        source = target


def _save_with_number(*, cleaned: dict[str, Any], history: list[dict[str, Any]]) -> Case:
    given = cleaned["case_number"]
    items = cleaned["disputed_items"]
    formulary_only = deadlines.is_formulary_only((i["category"], i["formulary_drug"]) for i in items)
    mailed_on = (cleaned["determination"] or {}).get("mailed_on")
    for _attempt in range(CASE_NUMBER_ATTEMPTS):
        number = given or next_case_number(received_on=cleaned["application"]["received_on"])
        case = _new_case(cleaned=cleaned, case_number=number)
        _record_history_dates(case=case, history=history)
        refresh_deadlines(case=case, formulary_only=formulary_only, mailed_on=mailed_on)
        try:
            # A savepoint: a concurrent import that took the same number only costs a retry.
            with transaction.atomic():
                case.save()
        except IntegrityError as error:
            if not Case.objects.filter(case_number=number).exists():
                raise
            if given:
                raise IntakeError(errors=[("case_number", _duplicate_message(given))]) from error
            continue
        return case
    raise IntakeError(errors=[("case_number", "could not assign a free case number; try again")])


def _write_case(*, cleaned: dict[str, Any], by: User | None, source: str) -> Case:
    history = cleaned["history"] or []
    case = _save_with_number(cleaned=cleaned, history=history)
    actor = by if by is not None and by.is_authenticated else None
    _write_parties(case=case, cleaned=cleaned)
    items = DisputedItem.objects.bulk_create(
        [
            DisputedItem(case=case, position=position, **item)
            for position, item in enumerate(cleaned["disputed_items"], start=1)
        ]
    )
    reviewers = _write_history(case=case, history=history, actor=actor)
    if cleaned["determination"] is not None:
        _write_determination(
            case=case,
            determination=cleaned["determination"],
            items=items,
            reviewer=reviewers[-1] if reviewers else None,
        )
    kind, reason = _SOURCE_EVENTS[source]
    record_case_event(
        case=case,
        by=by,
        kind=kind,
        reason=reason,
        data={
            "source": source,
            "history_entries": len(history),
            "past_case": cleaned["history"] is None and cleaned["determination"] is not None,
        },
    )
    return case


def _write_parties(*, case: Case, cleaned: dict[str, Any]) -> None:
    employee = cleaned["employee"]
    parties = [
        Party(
            case=case,
            role=PartyRole.EMPLOYEE,
            name=f"{employee['first_name']} {employee['last_name']}".strip(),
            first_name=employee["first_name"],
            last_name=employee["last_name"],
            date_of_birth=employee["date_of_birth"],
            sex=employee["sex"],
            email=employee["email"],
            mailing_address=employee["mailing_address"],
        ),
        Party(case=case, role=PartyRole.EMPLOYER, **cleaned["employer"]),
        Party(case=case, role=PartyRole.CLAIMS_ADMINISTRATOR, **cleaned["claims_administrator"]),
        Party(case=case, role=PartyRole.REQUESTING_PROVIDER, **cleaned["requesting_provider"]),
    ]
    attorney = cleaned["attorney"]
    if attorney is not None:
        parties.append(
            Party(
                case=case,
                role=PartyRole.ATTORNEY,
                name=attorney["name"],
                organization=attorney["firm"],
                email=attorney["email"],
                mailing_address=attorney["mailing_address"],
            )
        )
    Party.objects.bulk_create(parties)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _write_history(*, case: Case, history: list[dict[str, Any]], actor: User | None) -> list:
    """One transition event per entry, and an Assignment per `assigned` entry with a reviewer.

    Returns the reviewers assigned, oldest first.
    """
    from reviewers.models import Assignment, AssignmentStatus, Reviewer

    events = []
    source = S.RECEIVED
    for entry in history:
        data: dict[str, Any] = {"imported": True}
        if entry["notice_method"]:
            data["notice_method"] = entry["notice_method"]
        if entry["reviewer_number"]:
            data["reviewer_number"] = entry["reviewer_number"]
        events.append(
            CaseEvent(
                case=case,
                actor=actor,
                kind=CaseEventKind.TRANSITION,
                from_status=source,
                to_status=entry["status"],
                reason=IMPORTED_REASON,
                data=data,
                effective_on=entry["on"],
            )
        )
        source = entry["status"]
    CaseEvent.objects.bulk_create(events)

    numbers = [e["reviewer_number"] for e in history if e["reviewer_number"]]
    if not numbers:
        return []
    by_number = Reviewer.objects.in_bulk(numbers, field_name="reviewer_number")
    assigned_indexes = [i for i, e in enumerate(history) if e["status"] == S.ASSIGNED]
    reviewers = []
    for position, index in enumerate(assigned_indexes):
        entry = history[index]
        if not entry["reviewer_number"]:
            continue
        reviewer = by_number[entry["reviewer_number"]]
        following = history[index + 1] if index + 1 < len(history) else None
        is_last = position == len(assigned_indexes) - 1
        if following is None:
            status = AssignmentStatus.OFFERED
        elif following["status"] == S.IN_REVIEW and _replaced_in_review(history=history, index=index):
            status = AssignmentStatus.ENDED
        elif following["status"] == S.IN_REVIEW:
            status = AssignmentStatus.ACCEPTED
        elif following["status"] == S.READY_FOR_ASSIGNMENT:
            status = AssignmentStatus.DECLINED
        else:
            status = AssignmentStatus.ENDED
        assignment = Assignment.objects.create(
            case=case,
            reviewer=reviewer,
            status=status,
            active=is_last and case.status in HELD_STATUSES,
            assigned_by=actor,
            responded_at=_start_of(following["on"]) if following is not None else None,
            decline_reason="Replaced by staff: imported history" if status == AssignmentStatus.ENDED else "",
            candidates=[{"reviewer_number": reviewer.reviewer_number, "note": "imported history"}],
        )
        # `assigned_at` is filled in on insert: give it the history's date, not the import's.
        Assignment.objects.filter(pk=assignment.pk).update(assigned_at=_start_of(entry["on"]))
        reviewers.append(reviewer)
    from reviewers.services.assignment import refresh_open_cases

    # The stored open-case counter the assignment picker sorts by must count these too.
    refresh_open_cases(reviewer_ids=[reviewer.pk for reviewer in reviewers])
    return reviewers


def _replaced_in_review(*, history: list[dict[str, Any]], index: int) -> bool:
    """Whether the reviewer assigned at `history[index]` accepted and was then replaced by staff
    (the case went from in_review straight back to assigned before any letter was issued)."""
    for previous, entry in zip(history[index + 1 :], history[index + 2 :], strict=False):
        if entry["status"] == S.ASSIGNED:
            return previous["status"] == S.IN_REVIEW
        if entry["status"] in (S.DETERMINATION_ISSUED, S.READY_FOR_ASSIGNMENT):
            return False
    return False


def _write_determination(
    *, case: Case, determination: dict[str, Any], items: list[DisputedItem], reviewer: Any
) -> None:
    from determinations.models import Determination, DeterminationStatus, ItemDecision

    record = Determination.objects.create(
        case=case,
        reviewer=reviewer,
        status=DeterminationStatus.ISSUED,
        clinical_case_summary=determination["clinical_case_summary"],
        licensure_states=determination["licensure_states"],
        certifications=determination["certifications"],
        issued_on=determination["issued_on"],
        mailed_on=determination["mailed_on"],
    )
    ItemDecision.objects.bulk_create(
        [
            ItemDecision(determination=record, disputed_item=item, **decision)
            for item, decision in zip(items, determination["items"], strict=True)
        ]
    )


# ---- files ----


def _case_label(payload: Any) -> str:
    number = payload.get("case_number") if isinstance(payload, dict) else None
    return f"({number})" if isinstance(number, str) and number.strip() else "(no case number)"


def _read_payloads(*, path: Path) -> Iterator[tuple[str, Any, str | None]]:
    """(where, payload, problem) for each case of the file: `line 3` or `[2]`.

    Read through `exchange.json_files`: too deep a nesting or broken JSON refuses the file (a
    .jsonl line: that line); a duplicate key, a lone surrogate or a NUL refuses its case.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                payload = json_files.loads(line)
            except json_files.JSONInputError as error:
                message = str(error).replace(" at line 1, column", " at column")
                yield f"line {number}", None, message
            else:
                yield _with_problems(f"line {number}", payload)
        return
    document = json_files.loads(text)
    if isinstance(document, list):
        for index, payload in enumerate(document):
            yield _with_problems(f"[{index}]", payload)
    else:
        yield _with_problems("", document)


def _with_problems(where: str, payload: Any) -> tuple[str, Any, str | None]:
    """A payload with duplicate keys, lone surrogates or NULs is refused naming the case and field."""
    found = json_files.problems(payload)
    if not found:
        return where, payload, None
    number = payload.get("case_number") if isinstance(payload, dict) else None
    if isinstance(number, str) and json_files.problems(number):
        label = "(invalid case number)"
    else:
        label = _case_label(payload)
    message = "; ".join(f"{path}: {problem}" if path else problem for path, problem in found)
    return f"{where} {label}".strip(), None, message


def import_cases_file(*, path: Path, by: User | None = None) -> ImportReport:
    """Import every case of a .json (object or array) or .jsonl file; each case all-or-nothing."""
    report = ImportReport()
    name = path.name
    if path.suffix.lower() not in (".json", ".jsonl"):
        report.failed_files += 1
        report.errors.append(f"{name}: not a .json or .jsonl file")
        return report
    try:
        payloads = list(_read_payloads(path=path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        report.failed_files += 1
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        report.errors.append(f"{name}: cannot be read: {reason}")
        return report
    for where, payload, parse_error in payloads:
        prefix = f"{name} {where}".strip()
        if parse_error is not None:
            report.refused += 1
            report.errors.append(f"{prefix}: {parse_error}")
            continue
        label = _case_label(payload)
        try:
            case = import_case(payload=payload, by=by, source=IntakeSource.FILE)
        except IntakeError as error:
            report.refused += 1
            report.errors.extend(f"{prefix} {label}: {message}" for message in error.messages())
        except DatabaseError as error:
            report.refused += 1
            report.errors.append(f"{prefix} {label}: could not be written: {error}")
        else:
            report.imported.append(case.case_number)
    return report
