"""Validation of one `imr-case/1` payload (see intake-format.md) into cleaned Python data.

Every rule that can be checked without the database lives here; the import service adds
the checks that need it (a case number already taken, an unknown reviewer number). All
errors of a case are collected, each with its field path, so a person fixing a file sees
everything wrong at once rather than one error per attempt.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from cases.errors import IntakeError
from cases.models import (
    CASE_NUMBER_PATTERN,
    EARLIEST_CASE_DATE,
    CaseStatus,
    ItemCategory,
    NoticeMethod,
    Priority,
    ServiceMethod,
    URDecision,
)
from cases.services.workflow import allowed_targets
from cases.validators import MAX_ADDRESS, is_valid_npi

__all__ = ["FORMAT", "IntakeError", "check_case_payload", "clean_case_payload", "is_valid_npi"]

FORMAT = "imr-case/1"
DECIDED_STATUSES = (CaseStatus.DETERMINATION_ISSUED, CaseStatus.CLOSED)
MAX_QUANTITY = 2_147_483_647  # PostgreSQL integer column
DECISIONS = ("upheld", "overturned")
# No date in a case is before this (a year-1 date is a typing slip, not a birth or an injury).
EARLIEST_DATE = EARLIEST_CASE_DATE

# Caps on free text, in characters (and entries for lists): the import and the intake form
# share them. Where a database column has a length, the cap is that length.
MAX_PERSON_NAME = 100  # employee first and last name
MAX_NAME = 200  # party, firm, UR reviewer and UR organization names

MAX_CLAIM_NUMBER = 60
MAX_SPECIALTY = 120
MAX_SEX = 20
MAX_EMAIL = 254
MAX_BODY_PART = 120  # one body part (as DisputedItem.body_part)
MAX_BODY_PARTS = 30  # entries
MAX_DIAGNOSIS = 200  # one diagnosis
MAX_DIAGNOSES = 30  # entries
MAX_MECHANISM = 2000
MAX_GUIDELINES_CITED = 2000  # the UR decision's guidelines
MAX_ITEM_DESCRIPTION = 500  # DisputedItem.description
MAX_PROCEDURE_CODE = 20
MAX_GUIDELINE = 1000  # "Decision based on ..." (claims administrator's and reviewer's)
# The reviewer's texts, as determinations.services.review caps them in the workspace.
MAX_CLINICAL_SUMMARY = 20000
MAX_RATIONALE = 10000
MAX_CERTIFICATION = 200
MAX_CERTIFICATIONS = 20
MAX_LICENSURE_STATES = 60
MAX_REVIEWER_NUMBER = 12  # Reviewer.reviewer_number

Errors = list[tuple[str, str]]

# Each choice's values, read once: `Enum.values` builds a new list on every call, and an import
# checks thousands of cases.
_VALUES: dict[type, tuple[str, ...]] = {
    enum: tuple(enum.values)
    for enum in (Priority, ServiceMethod, ItemCategory, URDecision, CaseStatus, NoticeMethod)
}


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def _choices_text(choices: list[str] | tuple[str, ...]) -> str:
    return ", ".join(choices)


_MISSING = object()

DATE_FORMAT_ERROR = "must be a date written YYYY-MM-DD"
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# The two checks below run once per distinct text, not once per field: a file repeats the same
# days and the same adjusters' and attorneys' addresses on thousands of cases (5,000 generated
# cases: 57,413 dates of 7,318 distinct texts, 17,099 addresses of 3,627; Django's email
# validator alone took 4 % of an import).
@functools.lru_cache(maxsize=65536)
def _iso_day(text: str) -> date | str:
    """The day written YYYY-MM-DD in `text`, or why it is not one."""
    if not _DATE_TEXT.fullmatch(text):
        return DATE_FORMAT_ERROR
    try:
        return date.fromisoformat(text)
    except ValueError:
        return f"{text} is not a real date"


@functools.cache
def _keys(required: tuple[str, ...], optional: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The keys an object may have, and those it must have."""
    return frozenset(required) | frozenset(optional), frozenset(required)


@functools.lru_cache(maxsize=65536)
def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


@dataclass
class _Checker:
    """Reads one JSON object field by field, recording (path, message) for each problem."""

    errors: Errors
    today: date

    def add(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def obj(
        self, value: Any, path: str, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        if value is _MISSING:  # a missing required section is reported by its parent
            return None
        if not isinstance(value, dict):
            self.add(path, "must be an object")
            return None
        known, needed = _keys(required, optional)
        # Checked as sets first (in C): 90,000 objects a 5,000-case file, nearly all correct.
        if value.keys() - known:
            allowed = _choices_text(sorted(known))
            for key in value:
                if key not in known:
                    self.add(_join(path, str(key)), f"unknown field (allowed: {allowed})")
        if not needed <= value.keys():
            for key in required:
                if key not in value:
                    self.add(_join(path, key), "required")
        return value

    def _get(self, obj: dict[str, Any], key: str, path: str, *, required: bool) -> Any:
        """The value, or _MISSING when absent (or null for an optional field)."""
        value = obj.get(key, _MISSING)
        if value is None and not required:
            return _MISSING
        if value is None:
            self.add(_join(path, key), "required (null given)")
            return _MISSING
        return value

    def string(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        required: bool = True,
        non_empty: bool = False,
        max_length: int | None = None,
        default: str | None = "",
    ) -> str | None:
        value = self._get(obj, key, path, required=required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.add(_join(path, key), "must be a string")
            return default
        if non_empty and not value.strip():
            self.add(_join(path, key), "must not be empty")
        if max_length is not None and len(value) > max_length:
            self.add(_join(path, key), _too_long(value, max_length))
        return value

    def email(self, obj: dict[str, Any], key: str, path: str) -> str:
        value = self.string(obj, key, path, required=False, max_length=MAX_EMAIL)
        if value and not _is_email(value):
            self.add(_join(path, key), f"not a valid email address: {value!r}")
        return value or ""

    def boolean(
        self, obj: dict[str, Any], key: str, path: str, *, required: bool = True, default: bool = False
    ) -> bool:
        value = self._get(obj, key, path, required=required)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.add(_join(path, key), "must be true or false")
            return default
        return value

    def date_(self, obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> date | None:
        value = self._get(obj, key, path, required=required)
        if value is _MISSING:
            return None
        return self.date_value(value, _join(path, key))

    def date_value(self, value: Any, path: str) -> date | None:
        day = _iso_day(value) if isinstance(value, str) else DATE_FORMAT_ERROR
        if isinstance(day, str):
            self.add(path, day)
            return None
        if day < EARLIEST_DATE:
            self.add(path, f"{value} is before {EARLIEST_DATE.isoformat()}: not a possible date")
            return None
        if day > self.today:
            self.add(path, f"{value} is in the future")
            return None
        return day

    def choice(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        choices: list[str] | tuple[str, ...],
        *,
        required: bool = True,
        default: str | None = None,
    ) -> str | None:
        value = self._get(obj, key, path, required=required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or value not in choices:
            self.add(_join(path, key), f"must be one of {_choices_text(choices)}")
            return default
        return value

    def string_list(
        self,
        obj: dict[str, Any],
        key: str,
        path: str,
        *,
        max_length: int | None = None,
        max_items: int | None = None,
    ) -> list[str]:
        value = self._get(obj, key, path, required=True)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.add(_join(path, key), "must be a list of strings")
            return []
        if max_items is not None and len(value) > max_items:
            self.add(_join(path, key), f"too many entries: {len(value)}, at most {max_items}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.add(_join(_join(path, key), index), "must be a string")
            elif max_length is not None and len(item) > max_length:
                self.add(_join(_join(path, key), index), f"entry {index + 1} {_too_long(item, max_length)}")
        return [item for item in value if isinstance(item, str)]


@functools.cache
def _allowed_targets(status: str) -> list[str]:
    """The workflow's next states of `status` (static: the graph is declared on Case), read once."""
    return allowed_targets(status=status)


def _too_long(value: str, max_length: int) -> str:
    return f"too long: {len(value)} characters, at most {max_length}"


def check_case_payload(*, payload: Any, today: date) -> tuple[dict[str, Any] | None, Errors]:
    """Validate `payload`; returns (cleaned data or None when there are errors, errors)."""
    errors: Errors = []
    c = _Checker(errors, today=today)
    top = c.obj(
        payload,
        "",
        required=(
            "format",
            "application",
            "employee",
            "employer",
            "claims_administrator",
            "requesting_provider",
            "injury",
            "utilization_review",
            "disputed_items",
        ),
        # `computed` is what an export adds; it is derived, so an exported object can be
        # imported again as it is and the block is ignored.
        optional=("case_number", "priority", "attorney", "determination", "history", "computed"),
    )
    if top is None:
        return None, errors
    if "format" in top and top["format"] != FORMAT:
        c.add("format", f'must be "{FORMAT}"')

    cleaned: dict[str, Any] = {}
    case_number = c.string(top, "case_number", "", required=False, default=None)
    if case_number is not None and not re.fullmatch(CASE_NUMBER_PATTERN, case_number):
        c.add("case_number", f"{case_number!r} does not read CMyy-nnnnnnn (e.g. CM15-0041877)")
    cleaned["case_number"] = case_number
    cleaned["priority"] = c.choice(
        top, "priority", "", _VALUES[Priority], required=False, default=Priority.STANDARD
    )

    received_on = None
    application = c.obj(
        top.get("application", _MISSING),
        "application",
        required=("received_on", "signed", "ur_decision_attached"),
        optional=("liability_disputed",),
    )
    if application is not None:
        received_on = c.date_(application, "received_on", "application")
        cleaned["application"] = {
            "received_on": received_on,
            "signed": c.boolean(application, "signed", "application"),
            "ur_decision_attached": c.boolean(application, "ur_decision_attached", "application"),
            "liability_disputed": c.boolean(application, "liability_disputed", "application", required=False),
        }

    cleaned["employee"] = _check_employee(c, top.get("employee", _MISSING))
    cleaned["employer"] = _check_organization(c, top.get("employer", _MISSING), "employer")
    cleaned["claims_administrator"] = _check_organization(
        c, top.get("claims_administrator", _MISSING), "claims_administrator", claim_number=True
    )
    cleaned["requesting_provider"] = _check_provider(c, top.get("requesting_provider", _MISSING))
    attorney = top.get("attorney")
    cleaned["attorney"] = None if attorney is None else _check_attorney(c, attorney)
    cleaned["injury"] = _check_injury(c, top.get("injury", _MISSING), received_on=received_on)
    cleaned["utilization_review"] = _check_utilization_review(
        c, top.get("utilization_review", _MISSING), received_on=received_on
    )
    _check_date_order(c, cleaned)
    items = _check_disputed_items(c, top.get("disputed_items", _MISSING))
    cleaned["disputed_items"] = items

    history = None
    if top.get("history") is not None:
        history = _check_history(c, top["history"], received_on=received_on)
    cleaned["history"] = history
    final_status = history[-1]["status"] if history else CaseStatus.RECEIVED
    cleaned["status"] = final_status

    determination = None
    if top.get("determination") is not None:
        determination = _check_determination(c, top["determination"], item_count=len(items))
        if determination is not None and history is not None and final_status not in DECIDED_STATUSES:
            c.add(
                "determination",
                f"only a decided case carries a determination, but the history ends in {final_status} "
                "(leave the determination out until the case is decided)",
            )
        if determination is not None and history is None:
            cleaned["status"] = CaseStatus.DETERMINATION_ISSUED
    elif history is not None and final_status in DECIDED_STATUSES:
        c.add("determination", f"required: the history ends in {final_status}, a decided case")
    cleaned["determination"] = determination

    if errors:
        return None, errors
    return cleaned, errors


def clean_case_payload(*, payload: Any, today: date) -> dict[str, Any]:
    """The cleaned case; raises IntakeError listing every problem."""
    cleaned, errors = check_case_payload(payload=payload, today=today)
    if errors or cleaned is None:
        raise IntakeError(errors=errors)
    return cleaned


def _check_date_order(c: _Checker, cleaned: dict[str, Any]) -> None:
    """What must come first: birth, then the injury, then the UR decision on its treatment."""
    date_of_birth = cleaned["employee"].get("date_of_birth")
    injury_date = cleaned["injury"].get("date")
    decision_date = cleaned["utilization_review"].get("decision_date")
    if date_of_birth and injury_date and date_of_birth > injury_date:
        c.add("employee.date_of_birth", f"{date_of_birth} is after the date of injury ({injury_date})")
    if injury_date and decision_date and injury_date > decision_date:
        c.add("injury.date", f"{injury_date} is after the UR decision date ({decision_date})")


def _check_employee(c: _Checker, value: Any) -> dict[str, Any]:
    path = "employee"
    obj = c.obj(
        value,
        path,
        required=("first_name", "last_name"),
        optional=("date_of_birth", "sex", "email", "mailing_address"),
    )
    if obj is None:
        return {}
    return {
        "first_name": c.string(obj, "first_name", path, non_empty=True, max_length=MAX_PERSON_NAME),
        "last_name": c.string(obj, "last_name", path, non_empty=True, max_length=MAX_PERSON_NAME),
        "date_of_birth": c.date_(obj, "date_of_birth", path, required=False),
        "sex": c.string(obj, "sex", path, required=False, max_length=MAX_SEX),
        "email": c.email(obj, "email", path),
        "mailing_address": c.string(obj, "mailing_address", path, required=False, max_length=MAX_ADDRESS),
    }


def _check_organization(c: _Checker, value: Any, path: str, *, claim_number: bool = False) -> dict[str, Any]:
    required = ("name", "claim_number") if claim_number else ("name",)
    obj = c.obj(value, path, required=required, optional=("email", "mailing_address"))
    if obj is None:
        return {}
    cleaned = {
        "name": c.string(obj, "name", path, non_empty=True, max_length=MAX_NAME),
        "email": c.email(obj, "email", path),
        "mailing_address": c.string(obj, "mailing_address", path, required=False, max_length=MAX_ADDRESS),
    }
    if claim_number:
        cleaned["claim_number"] = c.string(
            obj, "claim_number", path, non_empty=True, max_length=MAX_CLAIM_NUMBER
        )
    return cleaned


def _check_provider(c: _Checker, value: Any) -> dict[str, Any]:
    path = "requesting_provider"
    obj = c.obj(value, path, required=("name",), optional=("specialty", "email", "mailing_address", "npi"))
    if obj is None:
        return {}
    npi = c.string(obj, "npi", path, required=False)
    if npi and not re.fullmatch(r"[0-9]{10}", npi):
        c.add("requesting_provider.npi", f"{npi!r} is not 10 digits")
    elif npi and not is_valid_npi(npi):
        c.add("requesting_provider.npi", f"{npi} has a wrong check digit (not a valid NPI)")
    return {
        "name": c.string(obj, "name", path, non_empty=True, max_length=MAX_NAME),
        "specialty": c.string(obj, "specialty", path, required=False, max_length=MAX_SPECIALTY),
        "email": c.email(obj, "email", path),
        "mailing_address": c.string(obj, "mailing_address", path, required=False, max_length=MAX_ADDRESS),
        "npi": npi or "",
    }


def _check_attorney(c: _Checker, value: Any) -> dict[str, Any]:
    path = "attorney"
    obj = c.obj(value, path, required=("name",), optional=("firm", "email", "mailing_address"))
    if obj is None:
        return {}
    return {
        "name": c.string(obj, "name", path, non_empty=True, max_length=MAX_NAME),
        "firm": c.string(obj, "firm", path, required=False, max_length=MAX_NAME),
        "email": c.email(obj, "email", path),
        "mailing_address": c.string(obj, "mailing_address", path, required=False, max_length=MAX_ADDRESS),
    }


def _check_injury(c: _Checker, value: Any, *, received_on: date | None) -> dict[str, Any]:
    path = "injury"
    obj = c.obj(value, path, required=("date", "body_parts", "diagnoses"), optional=("mechanism",))
    if obj is None:
        return {}
    injury_date = c.date_(obj, "date", path)
    if injury_date and received_on and injury_date > received_on:
        c.add("injury.date", f"{injury_date} is after the application was received ({received_on})")
    return {
        "date": injury_date,
        "body_parts": c.string_list(
            obj, "body_parts", path, max_length=MAX_BODY_PART, max_items=MAX_BODY_PARTS
        ),
        "diagnoses": c.string_list(obj, "diagnoses", path, max_length=MAX_DIAGNOSIS, max_items=MAX_DIAGNOSES),
        "mechanism": c.string(obj, "mechanism", path, required=False, default=None, max_length=MAX_MECHANISM),
    }


def _check_utilization_review(c: _Checker, value: Any, *, received_on: date | None) -> dict[str, Any]:
    path = "utilization_review"
    obj = c.obj(
        value,
        path,
        required=("decision_date",),
        optional=(
            "served_on",
            "service_method",
            "reviewer_name",
            "organization",
            "guidelines_cited",
            "conditionally_noncertified",
        ),
    )
    if obj is None:
        return {}
    decision_date = c.date_(obj, "decision_date", path)
    if decision_date and received_on and decision_date > received_on:
        c.add(
            "utilization_review.decision_date",
            f"{decision_date} is after the application was received ({received_on})",
        )
    served_on = c.date_(obj, "served_on", path, required=False)
    if served_on and decision_date and served_on < decision_date:
        c.add("utilization_review.served_on", f"{served_on} is before the UR decision date ({decision_date})")
    return {
        "decision_date": decision_date,
        "served_on": served_on or decision_date,
        "service_method": c.choice(
            obj, "service_method", path, _VALUES[ServiceMethod], required=False, default=ServiceMethod.MAIL
        ),
        "reviewer_name": c.string(obj, "reviewer_name", path, required=False, max_length=MAX_NAME),
        "organization": c.string(obj, "organization", path, required=False, max_length=MAX_NAME),
        "guidelines_cited": c.string(
            obj, "guidelines_cited", path, required=False, max_length=MAX_GUIDELINES_CITED
        ),
        "conditionally_noncertified": c.boolean(obj, "conditionally_noncertified", path, required=False),
    }


def _check_disputed_items(c: _Checker, value: Any) -> list[dict[str, Any]]:
    if value is _MISSING:
        return []
    if not isinstance(value, list):
        c.add("disputed_items", "must be a list")
        return []
    if not value:
        c.add("disputed_items", "at least one disputed item is required")
        return []
    items: list[dict[str, Any]] = []
    for index, raw in enumerate(value):
        path = _join("disputed_items", index)
        obj = c.obj(
            raw,
            path,
            required=("description", "category", "ur_decision"),
            optional=(
                "formulary_drug",
                "procedure_code",
                "body_part",
                "quantity",
                "claims_administrator_guideline",
            ),
        )
        if obj is None:
            items.append({})
            continue
        category = c.choice(obj, "category", path, _VALUES[ItemCategory])
        formulary_drug = c.boolean(obj, "formulary_drug", path, required=False)
        if formulary_drug and category and category != ItemCategory.PHARMACEUTICALS:
            c.add(_join(path, "formulary_drug"), "only a pharmaceuticals item can be a formulary drug")
        quantity = obj.get("quantity")
        if quantity is not None and (
            not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY
        ):
            c.add(_join(path, "quantity"), "must be a whole number of at least 1")
            quantity = None
        items.append(
            {
                "description": c.string(
                    obj, "description", path, non_empty=True, max_length=MAX_ITEM_DESCRIPTION
                ),
                "category": category,
                "formulary_drug": formulary_drug,
                "procedure_code": c.string(
                    obj, "procedure_code", path, required=False, max_length=MAX_PROCEDURE_CODE
                ),
                "body_part": c.string(obj, "body_part", path, required=False, max_length=MAX_BODY_PART),
                "quantity": quantity,
                "ur_decision": c.choice(obj, "ur_decision", path, _VALUES[URDecision]),
                "claims_administrator_guideline": c.string(
                    obj, "claims_administrator_guideline", path, required=False, max_length=MAX_GUIDELINE
                ),
            }
        )
    return items


def _check_determination(c: _Checker, value: Any, *, item_count: int) -> dict[str, Any] | None:
    path = "determination"
    obj = c.obj(
        value,
        path,
        required=("reviewer", "clinical_case_summary", "items"),
        optional=("issued_on", "mailed_on"),
    )
    if obj is None:
        return None
    licensure_states: list[str] = []
    certifications: list[str] = []
    reviewer = c.obj(
        obj.get("reviewer", _MISSING),
        "determination.reviewer",
        required=("licensure_states", "certifications"),
    )
    if reviewer is not None:
        licensure_states = c.string_list(
            reviewer, "licensure_states", "determination.reviewer", max_items=MAX_LICENSURE_STATES
        )
        for index, state in enumerate(licensure_states):
            if not re.fullmatch(r"[A-Z]{2}", state):
                c.add(
                    f"determination.reviewer.licensure_states[{index}]",
                    f"{state!r} is not a two-letter state code such as CA",
                )
        certifications = c.string_list(
            reviewer,
            "certifications",
            "determination.reviewer",
            max_length=MAX_CERTIFICATION,
            max_items=MAX_CERTIFICATIONS,
        )
    items: list[dict[str, Any]] = []
    raw_items = obj.get("items")
    if raw_items is not None and not isinstance(raw_items, list):
        c.add("determination.items", "must be a list")
    elif isinstance(raw_items, list):
        if len(raw_items) != item_count:
            c.add(
                "determination.items",
                f"has {len(raw_items)} decisions but there are {item_count} disputed items "
                "(one decision per disputed item, in the same order)",
            )
        for index, raw in enumerate(raw_items):
            item_path = _join("determination.items", index)
            item = c.obj(raw, item_path, required=("decision", "reviewer_guideline", "rationale"))
            if item is None:
                continue
            items.append(
                {
                    "decision": c.choice(item, "decision", item_path, DECISIONS),
                    "reviewer_guideline": c.string(
                        item, "reviewer_guideline", item_path, max_length=MAX_GUIDELINE
                    ),
                    "rationale": c.string(item, "rationale", item_path, max_length=MAX_RATIONALE),
                }
            )
    issued_on = c.date_(obj, "issued_on", path, required=False)
    mailed_on = c.date_(obj, "mailed_on", path, required=False)
    if issued_on and mailed_on and mailed_on < issued_on:
        c.add("determination.mailed_on", f"{mailed_on} is before the letter was issued ({issued_on})")
    return {
        "licensure_states": licensure_states,
        "certifications": certifications,
        "clinical_case_summary": c.string(
            obj, "clinical_case_summary", path, max_length=MAX_CLINICAL_SUMMARY
        ),
        "items": items,
        "issued_on": issued_on,
        "mailed_on": mailed_on,
    }


def _check_history(c: _Checker, value: Any, *, received_on: date | None) -> list[dict[str, Any]]:
    """The states entered, oldest first, checked as a path of the workflow graph.

    A leading `received` entry is dropped from the result: every case starts there.
    """
    if not isinstance(value, list):
        c.add("history", "must be a list")
        return []
    entries: list[dict[str, Any]] = []
    previous_status: str = CaseStatus.RECEIVED
    previous_on = received_on
    previous_label = "application.received_on"
    for index, raw in enumerate(value):
        path = _join("history", index)
        obj = c.obj(raw, path, required=("status", "on"), optional=("notice_method", "reviewer_number"))
        if obj is None:
            continue
        status = c.choice(obj, "status", path, _VALUES[CaseStatus])
        on = c.date_(obj, "on", path)
        if status is None:
            continue
        if index == 0 and status == CaseStatus.RECEIVED:
            if on is not None and received_on is not None and on != received_on:
                c.add(
                    _join(path, "on"),
                    f"a case enters received on the day the application was received ({received_on})",
                )
            continue
        allowed = _allowed_targets(previous_status)
        if status not in allowed:
            c.add(
                _join(path, "status"),
                f"a case in {previous_status} cannot move to {status} "
                f"(allowed next: {_choices_text(allowed) or 'none'})",
            )
        if on is not None and previous_on is not None and on < previous_on:
            c.add(
                _join(path, "on"),
                f"{on} is before {previous_on} ({previous_label}): dates never go backwards",
            )
        notice_method = None
        if status == CaseStatus.AWAITING_RECORDS:
            if obj.get("notice_method") is None:
                # The records deadline depends on it (15 days by mail, 12 electronic).
                c.add(_join(path, "notice_method"), "required")
            else:
                notice_method = c.choice(obj, "notice_method", path, _VALUES[NoticeMethod])
        elif obj.get("notice_method") is not None:
            c.add(_join(path, "notice_method"), "only an entry into awaiting_records carries a notice_method")
        reviewer_number = None
        if status == CaseStatus.ASSIGNED:
            reviewer_number = (
                c.string(
                    obj, "reviewer_number", path, required=False, default=None, max_length=MAX_REVIEWER_NUMBER
                )
                or None
            )
        elif obj.get("reviewer_number") is not None:
            c.add(_join(path, "reviewer_number"), "only an entry into assigned carries a reviewer_number")
        entries.append(
            {
                "index": index,
                "status": status,
                "on": on,
                "notice_method": notice_method,
                "reviewer_number": reviewer_number,
            }
        )
        previous_status = status
        if on is not None:
            previous_on, previous_label = on, f"history[{index}]"
    return entries
