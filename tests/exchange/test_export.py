"""Export in imr-case/1 (exchange.export and the export_cases command).

Checked: the seed comes back exactly (plus `computed`); import → export → import → export
gives the same object for a case with an attorney, electronic service, a formulary drug and
a migrated history; reviewer names never appear; the letter block; application_due and the
fee at their boundaries; the query count does not grow with the number of cases. Bad
inputs tried on the command: an unknown case number, an output path that cannot be written.
"""

from __future__ import annotations

import copy
import io
import json
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.models import Case, Party
from determinations.models import Determination, Letter
from exchange.export import export_case, export_cases
from exchange.services.intake import import_case
from tests.factories import make_seed_reviewer

SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())

pytestmark = pytest.mark.django_db

SEED_COMPUTED = {
    "status": "determination_issued",
    "eligibility": {"eligible": True, "reasons": []},
    "deadlines": {
        "application_due": "2015-03-16",
        "eligibility_info_due": None,
        "notice_due": None,
        "records_due": None,
        "determination_due": None,
        "appeal_due": None,
    },
    "fee_usd": 420,
    "reviewer_number": None,
    "letter": None,
    "records_days_late": 0,
    "records_late_penalty_usd": 0,
}


def test_the_seed_round_trips_exactly():
    case = import_case(payload=copy.deepcopy(SEED))
    exported = export_case(case=case)
    computed = exported.pop("computed")
    assert json.loads(json.dumps(exported)) == SEED
    assert list(exported) == list(SEED)
    assert json.loads(json.dumps(computed)) == SEED_COMPUTED


def rich_payload(reviewer_number: str) -> dict:
    data = copy.deepcopy(SEED)
    del data["determination"]
    data["case_number"] = "CM15-0041900"
    data["priority"] = "expedited"
    data["application"]["liability_disputed"] = False
    data["attorney"] = {
        "name": "Lee Counsel",
        "firm": "Counsel LLP",
        "email": "lee@counsel.example",
        "mailing_address": "1 Court St, Fresno, CA",
    }
    data["employer"]["mailing_address"] = "5 Plant Rd, Fresno, CA"
    data["injury"]["mechanism"] = "Lifting boxes"
    data["utilization_review"]["service_method"] = "electronic"
    data["utilization_review"]["conditionally_noncertified"] = False
    data["disputed_items"].append(
        {
            "description": "Tramadol 50mg #60",
            "category": "pharmaceuticals",
            "formulary_drug": True,
            "quantity": 60,
            "ur_decision": "delayed",
        }
    )
    data["history"] = [
        {"status": "eligibility_review", "on": "2015-03-02"},
        {"status": "awaiting_records", "on": "2015-03-03", "notice_method": "electronic"},
        {"status": "ready_for_assignment", "on": "2015-03-04"},
        {"status": "assigned", "on": "2015-03-04", "reviewer_number": reviewer_number},
        {"status": "in_review", "on": "2015-03-05"},
    ]
    return data


def _move_aside() -> None:
    """A case with a history is never deleted (its audit rows are append-only): the first copy
    gives up its number and claim instead, so the exported object comes back under the same
    ones and is not an earlier IMR of itself."""
    Case.objects.update(case_number="CM99-0000001")
    # The decided case's parties are read-only (issue 13): the test steps around the database's
    # guard for this one statement, as no path of the application can.
    with _final_record_guard_off():
        Party.objects.exclude(claim_number="").update(claim_number="MOVED-ASIDE")


@contextmanager
def _final_record_guard_off():
    """Triggers off for the statements inside (PostgreSQL: `session_replication_role`, superuser)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = 'replica'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = 'origin'")


def test_import_export_import_is_lossless_and_names_no_reviewer():
    reviewer = make_seed_reviewer()
    reviewer.user.first_name, reviewer.user.last_name = "Priya", "Confidential"
    reviewer.user.save()
    first = export_case(case=import_case(payload=rich_payload(reviewer.reviewer_number)))
    assert first["history"][3]["reviewer_number"] == reviewer.reviewer_number
    assert first["computed"]["reviewer_number"] == reviewer.reviewer_number
    assert first["computed"]["deadlines"]["records_due"] == "2015-03-04"  # expedited: next day
    assert first["computed"]["fee_usd"] == 515
    text = json.dumps(first)
    assert "Priya" not in text and "Confidential" not in text

    _move_aside()
    # The exported object, `computed` included, imports as it is.
    second = export_case(case=import_case(payload=json.loads(text)))
    assert second == first


def test_an_exported_decided_case_imports_again_and_exports_the_same():
    payload = copy.deepcopy(SEED)
    payload["determination"]["issued_on"] = "2015-03-20"
    payload["determination"]["mailed_on"] = "2015-03-21"
    first = export_case(case=import_case(payload=payload))
    assert first["computed"]["deadlines"]["appeal_due"] == "2015-04-27"  # 3-21 + 35 = Saturday 4-25
    _move_aside()
    assert export_case(case=import_case(payload=json.loads(json.dumps(first)))) == first


def test_the_letter_block():
    payload = copy.deepcopy(SEED)
    payload["determination"]["issued_on"] = "2015-03-20"
    payload["determination"]["mailed_on"] = "2015-03-21"
    case = import_case(payload=payload)
    determination = Determination.objects.get(case=case)
    Letter.objects.create(
        determination=determination,
        version=1,
        pdf="letters/x.pdf",
        sha256="a" * 64,
        pages=4,
        issued_on=date(2015, 3, 20),
    )
    Letter.objects.create(
        determination=determination,
        version=2,
        pdf="letters/y.pdf",
        sha256="b" * 64,
        pages=5,
        issued_on=date(2015, 3, 20),
        correction_reason="Typo in the employer's name",
    )
    assert export_case(case=case)["computed"]["letter"] == {
        "issued_on": "2015-03-20",
        "mailed_on": "2015-03-21",
        "sha256": "b" * 64,
        "pages": 5,
    }


@pytest.mark.parametrize(
    ("served_on", "method", "application_due"),
    [
        ("2015-02-09", "mail", "2015-03-16"),
        ("2015-02-09", "electronic", "2015-03-11"),
        # + 35 = Thanksgiving 2015-11-26, the day after is a holiday, then the weekend
        ("2015-10-22", "mail", "2015-11-30"),
    ],
)
def test_application_due_in_the_export(served_on, method, application_due):
    payload = copy.deepcopy(SEED)
    payload["application"]["received_on"] = "2015-12-01"
    payload["utilization_review"].update(decision_date=served_on, served_on=served_on, service_method=method)
    computed = export_case(case=import_case(payload=payload))["computed"]
    assert computed["deadlines"]["application_due"] == application_due


def _fee_case(*, received_on: str, priority: str = "standard", pharmacy: bool = False, history=None) -> int:
    payload = copy.deepcopy(SEED)
    del payload["determination"]
    del payload["case_number"]
    payload["priority"] = priority
    payload["application"]["received_on"] = received_on
    payload["utilization_review"].update(decision_date=received_on, served_on=received_on)
    if pharmacy:
        for item in payload["disputed_items"]:
            item["category"] = "pharmaceuticals"
    if history is not None:
        payload["history"] = history
    return export_case(case=import_case(payload=payload))["computed"]["fee_usd"]


@pytest.mark.parametrize(
    ("received_on", "priority", "pharmacy", "fee"),
    [
        ("2014-03-31", "standard", False, 560),
        ("2014-03-31", "expedited", False, 685),
        ("2014-04-01", "standard", False, 420),
        ("2014-04-01", "standard", True, 390),
        ("2014-04-01", "expedited", False, 515),
        ("2019-12-31", "standard", False, 420),
        ("2020-01-01", "standard", False, 345),
        ("2020-01-01", "expedited", True, 345),
    ],
)
def test_fee_eras(received_on, priority, pharmacy, fee):
    assert _fee_case(received_on=received_on, priority=priority, pharmacy=pharmacy) == fee


def test_fee_when_ended_before_a_reviewer():
    assert _fee_case(received_on="2019-12-31", history=[{"status": "withdrawn", "on": "2019-12-31"}]) == 160
    assert _fee_case(received_on="2020-01-01", history=[{"status": "terminated", "on": "2020-01-02"}]) == 115


def _import_many(count: int) -> None:
    reviewer = make_seed_reviewer()
    for n in range(count):
        payload = rich_payload(reviewer.reviewer_number)
        payload["case_number"] = f"CM15-{n + 1:07d}"
        # Half of them stop before a reviewer is assigned.
        if n % 2:
            payload["history"] = payload["history"][:3]
        import_case(payload=payload)
    decided = copy.deepcopy(SEED)
    decided["case_number"] = "CM15-0099999"
    decided["claims_administrator"]["claim_number"] = "OTHER"
    import_case(payload=decided)


@pytest.mark.parametrize("count", [1, 20])
def test_export_query_count_does_not_grow_with_cases(count, django_assert_max_num_queries):
    _import_many(count)
    with django_assert_max_num_queries(12):
        exported = list(export_cases(case_numbers=None))
    assert len(exported) == count + 1
    assert all("Priya" not in json.dumps(e) for e in exported)


def test_export_command_writes_json_lines(tmp_path):
    import_case(payload=copy.deepcopy(SEED))
    second = copy.deepcopy(SEED)
    second["case_number"] = "CM15-0041878"
    import_case(payload=second)
    out = io.StringIO()
    call_command("export_cases", "--case", "CM15-0041878", stdout=out)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["case_number"] for line in lines] == ["CM15-0041878"]

    target = tmp_path / "export.jsonl"
    call_command("export_cases", "--output", str(target), stderr=io.StringIO())
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    assert [e["case_number"] for e in exported] == ["CM15-0041877", "CM15-0041878"]
    assert {k: v for k, v in exported[0].items() if k != "computed"} == SEED


def test_export_command_refuses_unknown_cases_and_unwritable_output(tmp_path):
    import_case(payload=copy.deepcopy(SEED))
    with pytest.raises(CommandError, match="unknown case number\\(s\\): CM15-9999999"):
        call_command("export_cases", "--case", "CM15-0041877", "--case", "CM15-9999999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_cases", "--output", str(tmp_path / "missing-dir" / "x.jsonl"))


def test_records_late_uses_today(frozen_today):
    payload = copy.deepcopy(SEED)
    del payload["determination"]
    payload["history"] = [
        {"status": "eligibility_review", "on": "2015-03-02"},
        {"status": "awaiting_records", "on": "2015-03-04", "notice_method": "electronic"},
    ]
    case = import_case(payload=payload)
    frozen_today(date(2015, 3, 25))
    computed = export_case(case=case)["computed"]
    # + 12 = 2015-03-16; 9 days late on 03-25
    assert (computed["records_days_late"], computed["records_late_penalty_usd"]) == (9, 4500)


@pytest.mark.django_db
def test_export_command_takes_several_case_numbers_after_one_option(tmp_path):
    for number in ("CM15-0000201", "CM15-0000202", "CM15-0000203"):
        payload = copy.deepcopy(SEED)
        payload["case_number"] = number
        import_case(payload=payload)
    output = tmp_path / "out.jsonl"
    call_command(
        "export_cases",
        "--case",
        "CM15-0000201",
        "CM15-0000202",
        "--case",
        "CM15-0000203",
        "--output",
        str(output),
    )
    numbers = [json.loads(line)["case_number"] for line in output.read_text().splitlines()]
    assert sorted(numbers) == ["CM15-0000201", "CM15-0000202", "CM15-0000203"]
