"""Validation of imr-case/1 payloads (exchange.validation) and writing them (exchange.services.intake).

Bad inputs tried, each expected to name its field path and write nothing: unknown keys at
the top, in a nested object, in a disputed item, in a determination item and in a history
entry; a wrong `format`; a choice outside its list; an impossible date (2015-02-30) and a
date in another notation; an application received in the future; an injury and a UR
decision after the application; a service date before the UR decision; malformed case
numbers; malformed emails; an NPI with a wrong check digit and one that is not 10 digits;
no disputed items; quantities 0, "16", 1.5 and true; a formulary flag on a non-drug item;
determination items of the wrong length; a string where a bool belongs; a duplicate case
number; an unknown reviewer number.
"""

from __future__ import annotations

import copy
import json
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection

from cases.errors import CaseError, IntakeError
from cases.models import Case, CaseEvent, DisputedItem, Party, PartyRole
from determinations.models import Determination, ItemDecision
from exchange.services.intake import import_case
from exchange.validation import check_case_payload, clean_case_payload, is_valid_npi

SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())
TODAY = date(2024, 6, 3)


def seed(**top) -> dict:
    payload = copy.deepcopy(SEED)
    payload.update(top)
    return payload


def in_flight(**top) -> dict:
    payload = seed(**top)
    del payload["determination"]
    return payload


def errors_of(payload) -> list[tuple[str, str]]:
    return check_case_payload(payload=payload, today=TODAY)[1]


def paths_of(payload) -> list[str]:
    return [path for path, _ in errors_of(payload)]


def test_the_seed_is_valid_and_cleaned():
    cleaned = clean_case_payload(payload=seed(), today=TODAY)
    assert cleaned["case_number"] == "CM15-0041877"
    assert cleaned["status"] == "determination_issued"
    assert cleaned["application"]["received_on"] == date(2015, 2, 27)
    assert cleaned["application"]["liability_disputed"] is False
    assert cleaned["utilization_review"]["service_method"] == "mail"
    assert cleaned["disputed_items"][0]["formulary_drug"] is False
    assert cleaned["attorney"] is None


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p.update(claimant="x"), "claimant"),
        (lambda p: p["application"].update(recieved_on="2015-02-27"), "application.recieved_on"),
        (lambda p: p["employee"].update(middle_name="Q"), "employee.middle_name"),
        (lambda p: p["disputed_items"][1].update(cpt="20553"), "disputed_items[1].cpt"),
        (lambda p: p["determination"]["items"][0].update(grade="A"), "determination.items[0].grade"),
        (lambda p: p["determination"]["reviewer"].update(name="Dr. Secret"), "determination.reviewer.name"),
        (
            lambda p: p.update(history=[{"status": "eligibility_review", "on": "2015-03-02", "by": "x"}]),
            "history[0].by",
        ),
    ],
)
def test_unknown_keys_are_errors_at_every_level(mutate, path):
    payload = seed()
    mutate(payload)
    found = errors_of(payload)
    assert (path, next(m for p, m in found if p == path)) in found
    assert next(m for p, m in found if p == path).startswith("unknown field")


def test_format_must_be_imr_case_1():
    assert errors_of(seed(format="imr-case/2")) == [("format", 'must be "imr-case/1"')]
    assert ("format", "required") in errors_of({k: v for k, v in seed().items() if k != "format"})


def test_a_bad_choice_names_the_item_and_the_choices():
    payload = seed()
    payload["disputed_items"][1]["ur_decision"] = "approved"
    assert errors_of(payload) == [
        ("disputed_items[1].ur_decision", "must be one of modified, denied, delayed")
    ]
    payload = seed(priority="urgent")
    assert errors_of(payload) == [("priority", "must be one of standard, expedited")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2015-02-30", "2015-02-30 is not a real date"),
        ("2015-13-01", "2015-13-01 is not a real date"),
        ("02/27/2015", "must be a date written YYYY-MM-DD"),
        ("20150227", "must be a date written YYYY-MM-DD"),
        (20150227, "must be a date written YYYY-MM-DD"),
    ],
)
def test_impossible_and_malformed_dates(value, message):
    payload = seed()
    payload["application"]["received_on"] = value
    assert ("application.received_on", message) in errors_of(payload)


def test_application_received_in_the_future():
    payload = seed()
    payload["application"]["received_on"] = (TODAY + timedelta(days=1)).isoformat()
    assert paths_of(payload) == ["application.received_on"]


def test_injury_and_ur_decision_after_the_application():
    payload = seed()
    payload["injury"]["date"] = "2015-02-28"
    payload["utilization_review"]["decision_date"] = "2015-02-28"
    payload["utilization_review"]["served_on"] = "2015-02-28"
    assert errors_of(payload) == [
        ("injury.date", "2015-02-28 is after the application was received (2015-02-27)"),
        ("utilization_review.decision_date", "2015-02-28 is after the application was received (2015-02-27)"),
    ]


def test_served_before_the_decision_and_the_defaults_of_service():
    payload = seed()
    payload["utilization_review"]["served_on"] = "2015-02-05"
    assert errors_of(payload) == [
        ("utilization_review.served_on", "2015-02-05 is before the UR decision date (2015-02-06)")
    ]
    payload = seed()
    del payload["utilization_review"]["served_on"]
    ur = clean_case_payload(payload=payload, today=TODAY)["utilization_review"]
    assert ur["served_on"] == date(2015, 2, 6)
    assert ur["service_method"] == "mail"


@pytest.mark.parametrize(
    "number", ["CM15-41877", "cm15-0041877", "CM2015-0041877", "CM15-00418770", "", 41877]
)
def test_malformed_case_numbers(number):
    assert paths_of(seed(case_number=number)) == ["case_number"]


@pytest.mark.parametrize(
    ("section", "value"),
    [("employee", "maria.example@"), ("employer", "hr at example.com"), ("requesting_provider", "a@b")],
)
def test_malformed_emails(section, value):
    payload = seed()
    payload[section]["email"] = value
    assert errors_of(payload) == [(f"{section}.email", f"not a valid email address: {value!r}")]


def test_npi_check_digit():
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")
    payload = seed()
    payload["requesting_provider"]["npi"] = "1234567890"
    assert errors_of(payload) == [
        ("requesting_provider.npi", "1234567890 has a wrong check digit (not a valid NPI)")
    ]
    payload["requesting_provider"]["npi"] = "12345"
    assert paths_of(payload) == ["requesting_provider.npi"]


def test_at_least_one_disputed_item():
    assert errors_of(seed(disputed_items=[])) == [
        ("disputed_items", "at least one disputed item is required"),
        (
            "determination.items",
            "has 2 decisions but there are 0 disputed items "
            "(one decision per disputed item, in the same order)",
        ),
    ]
    assert errors_of(in_flight(disputed_items=[])) == [
        ("disputed_items", "at least one disputed item is required")
    ]


@pytest.mark.parametrize("quantity", [0, -1, "16", 1.5, True])
def test_quantity_is_a_whole_number_of_at_least_one(quantity):
    payload = seed()
    payload["disputed_items"][0]["quantity"] = quantity
    assert errors_of(payload) == [("disputed_items[0].quantity", "must be a whole number of at least 1")]


def test_formulary_drug_only_with_pharmaceuticals():
    payload = seed()
    payload["disputed_items"][0]["formulary_drug"] = True
    assert errors_of(payload) == [
        ("disputed_items[0].formulary_drug", "only a pharmaceuticals item can be a formulary drug")
    ]
    payload["disputed_items"][0]["category"] = "pharmaceuticals"
    assert errors_of(payload) == []


def test_determination_items_match_the_disputed_items():
    payload = seed()
    payload["determination"]["items"].pop()
    assert paths_of(payload) == ["determination.items"]


def test_types_and_every_error_at_once():
    payload = seed()
    payload["application"]["signed"] = "yes"
    payload["employee"]["first_name"] = "  "
    payload["injury"]["body_parts"] = "back"
    payload["disputed_items"][0]["category"] = "massage"
    del payload["employer"]
    assert paths_of(payload) == [
        "employer",
        "application.signed",
        "employee.first_name",
        "injury.body_parts",
        "disputed_items[0].category",
    ]
    assert check_case_payload(payload=[], today=TODAY)[1] == [("", "must be an object")]


def test_intake_error_lists_every_message():
    payload = seed(case_number="CM15-1")
    payload["disputed_items"][1]["ur_decision"] = "approved"
    with pytest.raises(IntakeError) as caught:
        clean_case_payload(payload=payload, today=TODAY)
    assert isinstance(caught.value, CaseError)
    assert caught.value.messages() == [
        "case_number: 'CM15-1' does not read CMyy-nnnnnnn (e.g. CM15-0041877)",
        "disputed_items[1].ur_decision: must be one of modified, denied, delayed",
    ]


# ---- writing ----


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Party.objects.count(),
        DisputedItem.objects.count(),
        CaseEvent.objects.count(),
        Determination.objects.count(),
    )


@pytest.mark.django_db
def test_import_writes_the_case_its_parties_items_and_determination():
    case = import_case(payload=seed())
    assert case.case_number == "CM15-0041877"
    assert case.status == "determination_issued"
    assert case.application_due == date(2015, 3, 16)
    parties = {p.role: p for p in case.parties.all()}
    assert set(parties) == {
        PartyRole.EMPLOYEE,
        PartyRole.EMPLOYER,
        PartyRole.CLAIMS_ADMINISTRATOR,
        PartyRole.REQUESTING_PROVIDER,
    }
    assert parties[PartyRole.EMPLOYEE].name == "Maria Example"
    assert parties[PartyRole.CLAIMS_ADMINISTRATOR].claim_number == "GSC-07-118204"
    assert parties[PartyRole.REQUESTING_PROVIDER].npi == "1234567893"
    assert [(i.position, i.procedure_code) for i in case.disputed_items.order_by("position")] == [
        (1, "97110"),
        (2, "20553"),
    ]
    determination = Determination.objects.get(case=case)
    assert determination.status == "issued"
    assert determination.reviewer is None
    assert determination.licensure_states == ["GA", "CA", "TX"]
    assert list(
        ItemDecision.objects.filter(determination=determination).values_list("decision", flat=True)
    ) == [
        "upheld",
        "upheld",
    ]
    # The import itself is on the case's log; no transition is invented for a past case.
    assert list(case.events.values_list("kind", flat=True)) == ["imported"]


@pytest.mark.django_db
def test_attorney_is_a_party():
    payload = in_flight(
        attorney={"name": "Lee Counsel", "firm": "Counsel LLP", "email": "lee@counsel.example"}
    )
    case = import_case(payload=payload)
    attorney = case.parties.get(role=PartyRole.ATTORNEY)
    assert (attorney.name, attorney.organization, attorney.email) == (
        "Lee Counsel",
        "Counsel LLP",
        "lee@counsel.example",
    )


@pytest.mark.django_db
def test_a_second_import_of_a_case_number_is_refused_and_nothing_is_overwritten():
    import_case(payload=seed())
    before = counts()
    again = seed()
    again["employee"]["first_name"] = "Changed"
    with pytest.raises(IntakeError) as caught:
        import_case(payload=again)
    assert caught.value.errors == [
        (
            "case_number",
            "case CM15-0041877 already exists; it was not imported again (a case is never overwritten)",
        )
    ]
    assert counts() == before
    assert Party.objects.get(role=PartyRole.EMPLOYEE).first_name == "Maria"


@pytest.mark.django_db
def test_a_bad_case_writes_nothing():
    payload = seed()
    payload["disputed_items"][1]["ur_decision"] = "approved"
    with pytest.raises(IntakeError):
        import_case(payload=payload)
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_case_numbers_are_assigned_by_year_received():
    first = import_case(payload={k: v for k, v in in_flight().items() if k != "case_number"})
    second = import_case(payload={k: v for k, v in in_flight().items() if k != "case_number"})
    assert (first.case_number, second.case_number) == ("CM15-0000001", "CM15-0000002")
    payload = {k: v for k, v in in_flight().items() if k != "case_number"}
    payload["application"]["received_on"] = "2016-01-04"
    assert import_case(payload=payload).case_number == "CM16-0000001"
    import_case(payload=in_flight(case_number="CM15-0041877"))
    assert import_case(payload={k: v for k, v in in_flight().items() if k != "case_number"}).case_number == (
        "CM15-0041878"
    )


@pytest.mark.django_db
def test_an_unknown_reviewer_number_is_an_error():
    payload = in_flight(
        history=[
            {"status": "eligibility_review", "on": "2015-03-02"},
            {"status": "awaiting_records", "on": "2015-03-03", "notice_method": "electronic"},
            {"status": "ready_for_assignment", "on": "2015-03-10"},
            {"status": "assigned", "on": "2015-03-11", "reviewer_number": "R99999"},
        ]
    )
    with pytest.raises(IntakeError) as caught:
        import_case(payload=payload)
    assert caught.value.errors == [("history[3].reviewer_number", "no reviewer has the number 'R99999'")]
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_never_share_a_generated_number(postgres):
    """Two imports racing for the next number of 2015 both succeed with different numbers."""
    barrier = threading.Barrier(4)
    numbers: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            payload = {k: v for k, v in in_flight().items() if k != "case_number"}
            numbers.append(import_case(payload=payload).case_number)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(numbers) == ["CM15-0000001", "CM15-0000002", "CM15-0000003", "CM15-0000004"]
