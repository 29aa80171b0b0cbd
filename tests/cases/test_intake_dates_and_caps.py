"""Impossible dates and free-text caps of imr-case/1 (cases.intake), shared by import_cases
and the staff intake form, and the source the case's first timeline event names.

Bad inputs tried, each refused with its field path: a year-1 date (0001-01-01) and
1899-12-31 in every date field of a case (application, birth, injury, UR decision and
service, history entries, letter issued and mailed); each of those dates one day in the
future; an injury after the UR decision; a date of birth after the injury; text one
character over its cap in every capped field (names, addresses, mechanism, UR guidelines,
item description and guideline, a diagnosis, a body part, certifications, the reviewer's
summary and rationale) and 31 diagnoses and body parts. On the intake form, as a browser
posts them: year 1, year 0 and year 9999, a birth after the injury, an injury after the UR
decision, a too-long diagnosis line and address. At the database: an injury after the UR
decision, an injury and a birth before 1900.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from cases import intake
from cases.intake import check_case_payload
from cases.models import Case, CaseEvent, PartyRole
from cases.services.intake import IntakeSource, import_case
from imr_site import roles
from tests.cases.test_views import intake_data, post_intake
from tests.factories import CaseFactory, PartyFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = json.loads((DATA / "seed-case.json").read_text())
TODAY = date(2024, 6, 3)


def seed() -> dict:
    return copy.deepcopy(SEED)


def errors_of(payload) -> list[tuple[str, str]]:
    return check_case_payload(payload=payload, today=TODAY)[1]


# Every date a case carries: (path, where to put it in the seed). The history is given as a
# leading `received` entry plus an `eligibility_review` entry whose date is tried.
def _set(path: str):
    def put(payload: dict, value: str) -> None:
        if path.startswith("history"):
            payload.pop("determination")
            payload["history"] = [{"status": "eligibility_review", "on": value}]
            return
        section, key = path.split(".")
        payload[section][key] = value

    return put


DATE_PATHS = [
    "application.received_on",
    "employee.date_of_birth",
    "injury.date",
    "utilization_review.decision_date",
    "utilization_review.served_on",
    "history[0].on",
    "determination.issued_on",
    "determination.mailed_on",
]


@pytest.mark.parametrize("path", DATE_PATHS)
@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31"])
def test_a_date_before_1900_is_refused_in_every_date_field(path, value):
    payload = seed()
    _set(path)(payload, value)
    assert (path, f"{value} is before 1900-01-01: not a possible date") in errors_of(payload)
    # Only that field is reported: the date is dropped before the checks that compare dates.
    assert [p for p, _ in errors_of(payload)] == [path]


@pytest.mark.parametrize("path", DATE_PATHS)
def test_a_date_in_the_future_is_refused_in_every_date_field(path):
    payload = seed()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    _set(path)(payload, tomorrow)
    assert (path, f"{tomorrow} is in the future") in errors_of(payload)


def test_1900_and_today_are_possible():
    payload = seed()
    payload["employee"]["date_of_birth"] = "1900-01-01"
    payload["determination"]["issued_on"] = TODAY.isoformat()
    payload["determination"]["mailed_on"] = TODAY.isoformat()
    assert errors_of(payload) == []


def test_an_injury_after_the_ur_decision_is_refused():
    payload = seed()
    payload["injury"]["date"] = "2015-02-07"
    assert errors_of(payload) == [("injury.date", "2015-02-07 is after the UR decision date (2015-02-06)")]
    payload["injury"]["date"] = "2015-02-06"  # the same day is possible
    assert errors_of(payload) == []


def test_a_birth_after_the_injury_is_refused():
    payload = seed()
    payload["employee"]["date_of_birth"] = "2007-05-04"
    assert errors_of(payload) == [
        ("employee.date_of_birth", "2007-05-04 is after the date of injury (2007-05-03)")
    ]
    payload["employee"]["date_of_birth"] = "2007-05-03"
    assert errors_of(payload) == []


def test_every_impossible_date_is_reported_at_once():
    payload = seed()
    payload["employee"]["date_of_birth"] = "2015-02-20"
    payload["injury"]["date"] = "2015-02-10"
    payload["determination"]["mailed_on"] = "0001-01-01"
    assert errors_of(payload) == [
        ("employee.date_of_birth", "2015-02-20 is after the date of injury (2015-02-10)"),
        ("injury.date", "2015-02-10 is after the UR decision date (2015-02-06)"),
        ("determination.mailed_on", "0001-01-01 is before 1900-01-01: not a possible date"),
    ]


# ---- caps on free text ----------------------------------------------------------------------


def _text(payload: dict, path: str, value) -> None:
    """Put `value` at a dotted path with [i] indexes, e.g. disputed_items[0].description."""
    target = payload
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = value


CAPPED = [
    ("employee.first_name", intake.MAX_PERSON_NAME),
    ("employee.mailing_address", intake.MAX_ADDRESS),
    ("employer.name", intake.MAX_NAME),
    ("employer.mailing_address", intake.MAX_ADDRESS),
    ("claims_administrator.mailing_address", intake.MAX_ADDRESS),
    ("requesting_provider.mailing_address", intake.MAX_ADDRESS),
    ("attorney.name", intake.MAX_NAME),
    ("attorney.mailing_address", intake.MAX_ADDRESS),
    ("injury.mechanism", intake.MAX_MECHANISM),
    ("utilization_review.guidelines_cited", intake.MAX_GUIDELINES_CITED),
    ("utilization_review.organization", intake.MAX_NAME),
    ("disputed_items[0].description", intake.MAX_ITEM_DESCRIPTION),
    ("disputed_items[1].claims_administrator_guideline", intake.MAX_GUIDELINE),
    ("disputed_items[1].body_part", intake.MAX_BODY_PART),
    ("determination.clinical_case_summary", intake.MAX_CLINICAL_SUMMARY),
    ("determination.items[0].rationale", intake.MAX_RATIONALE),
    ("determination.items[1].reviewer_guideline", intake.MAX_GUIDELINE),
]


@pytest.mark.parametrize(("path", "limit"), CAPPED)
def test_text_over_its_cap_is_refused_naming_the_path_and_the_limit(path, limit):
    payload = seed()
    payload["attorney"] = {"name": "Lee Counsel"}
    _text(payload, path, "x" * limit)
    assert errors_of(payload) == []
    _text(payload, path, "x" * (limit + 1))
    assert errors_of(payload) == [(path, f"too long: {limit + 1} characters, at most {limit}")]


@pytest.mark.parametrize(
    ("key", "entry_limit", "count_limit"),
    [
        ("diagnoses", intake.MAX_DIAGNOSIS, intake.MAX_DIAGNOSES),
        ("body_parts", intake.MAX_BODY_PART, intake.MAX_BODY_PARTS),
    ],
)
def test_each_diagnosis_and_body_part_and_their_number_are_capped(key, entry_limit, count_limit):
    payload = seed()
    payload["injury"][key] = ["lumbar", "y" * (entry_limit + 1)]
    assert errors_of(payload) == [
        (f"injury.{key}[1]", f"entry 2 too long: {entry_limit + 1} characters, at most {entry_limit}")
    ]
    payload["injury"][key] = [f"entry {n}" for n in range(count_limit + 1)]
    assert errors_of(payload) == [
        (f"injury.{key}", f"too many entries: {count_limit + 1}, at most {count_limit}")
    ]
    payload["injury"][key] = ["z" * entry_limit] * count_limit
    assert errors_of(payload) == []


def test_certifications_are_capped():
    payload = seed()
    payload["determination"]["reviewer"]["certifications"] = ["c" * (intake.MAX_CERTIFICATION + 1)]
    assert [p for p, _ in errors_of(payload)] == ["determination.reviewer.certifications[0]"]


# ---- import_cases: the refusal names the file, the case and the path -----------------------


@pytest.mark.django_db
def test_import_cases_refuses_a_long_diagnosis_and_a_year_one_birth(tmp_path):
    payload = seed()
    payload["injury"]["diagnoses"] = ["d" * 201]
    payload["employee"]["date_of_birth"] = "0001-01-01"
    path = tmp_path / "long.json"
    path.write_text(json.dumps(payload))
    err = io.StringIO()
    with pytest.raises(Exception, match="1 case"):
        call_command("import_cases", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "long.json (CM15-0041877): "
        "employee.date_of_birth: 0001-01-01 is before 1900-01-01: not a possible date",
        "long.json (CM15-0041877): injury.diagnoses[0]: entry 1 too long: 201 characters, at most 200",
    ]
    assert not Case.objects.exists()


# ---- the staff intake form -----------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="intake1", role=roles.INTAKE_STAFF))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("injury_date", "0001-01-01", "0001-01-01 is before 1900-01-01"),
        ("employee_date_of_birth", "0001-01-01", "0001-01-01 is before 1900-01-01"),
        ("received_on", "0001-01-01", "0001-01-01 is before 1900-01-01"),
        ("ur_decision_date", "0001-01-01", "0001-01-01 is before 1900-01-01"),
        ("ur_served_on", "1899-12-31", "1899-12-31 is before 1900-01-01"),
        ("injury_date", "0000-01-01", "Enter a valid date"),
        ("injury_date", "9999-12-31", "9999-12-31 is in the future"),
        ("injury_date", "275760-09-13", "Enter a valid date"),
        ("employee_date_of_birth", "2008-01-01", "2008-01-01 is after the date of injury (2007-05-03)"),
        ("injury_date", "2015-02-07", "2015-02-07 is after the UR decision date (2015-02-06)"),
    ],
)
def test_intake_form_impossible_dates_are_field_errors(staff_client, field, value, fragment):
    response = post_intake(staff_client, intake_data(**{field: value}))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_intake_form_long_diagnosis_line_and_address_are_field_errors(staff_client):
    response = post_intake(staff_client, intake_data(diagnoses="chronic pain\n" + "d" * 201))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "entry 2 too long: 201 characters, at most 200" in " ".join(errors["diagnoses"])
    response = post_intake(staff_client, intake_data(employee_mailing_address="a" * 501))
    assert response.status_code == 400
    assert "employee_mailing_address" in response.context["form"].errors
    assert not Case.objects.exists()


# ---- where the case came from ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_case_typed_into_the_form_is_logged_as_entered_by_intake_staff(staff_client):
    response = post_intake(staff_client, intake_data())
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=Case.objects.get())
    assert (event.kind, event.reason, event.actor.username) == (
        "created_by_staff",
        "Entered by intake staff on the intake form",
        "intake1",
    )
    assert event.data["source"] == IntakeSource.INTAKE_FORM
    page = staff_client.get(response["Location"]).content.decode()
    assert "Entered by intake staff on the intake form" in page
    assert "Imported from an imr-case/1 file" not in page


@pytest.mark.django_db
def test_a_case_from_import_cases_is_logged_as_imported_from_a_file():
    call_command("import_cases", str(DATA / "seed-case.json"), stdout=io.StringIO())
    event = CaseEvent.objects.get()
    assert (event.kind, event.reason, event.data["source"]) == (
        "imported",
        "Imported from an imr-case/1 file",
        IntakeSource.FILE,
    )


@pytest.mark.django_db
def test_an_unknown_source_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown intake source"):
        import_case(payload=seed(), source="fax")
    assert not Case.objects.exists()


# ---- the database ------------------------------------------------------------------------------


def _refused(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


@pytest.mark.django_db
def test_the_database_refuses_an_injury_after_the_ur_decision_or_before_1900():
    _refused(lambda: CaseFactory(injury_date=date(2015, 2, 7), ur_decision_date=date(2015, 2, 6)))
    _refused(lambda: CaseFactory(injury_date=date(1, 1, 1)))
    assert CaseFactory(injury_date=date(2015, 2, 6), ur_decision_date=date(2015, 2, 6)).pk


@pytest.mark.django_db
def test_the_database_refuses_a_birth_before_1900():
    case = CaseFactory()
    _refused(lambda: PartyFactory(case=case, role=PartyRole.EMPLOYEE, date_of_birth=date(1, 1, 1)))
    assert PartyFactory(case=case, role=PartyRole.EMPLOYEE, date_of_birth=date(1900, 1, 1)).pk


@pytest.mark.django_db
def test_model_validation_says_which_date_rule_was_broken():
    """The admin's form validates the constraints with these messages instead of a 500."""
    case = CaseFactory.build(injury_date=date(2015, 2, 7), ur_decision_date=date(2015, 2, 6))
    with pytest.raises(ValidationError, match="The date of injury cannot be after the UR decision date"):
        case.validate_constraints()
    case = CaseFactory.build(injury_date=date(1, 1, 1))
    with pytest.raises(ValidationError, match="cannot be before 1900-01-01"):
        case.validate_constraints()
