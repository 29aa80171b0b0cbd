"""The import_cases command and import_cases_file.

Files tried (tests/data/intake/): a .jsonl with a good case, a blank line, a bad choice, a
line that is not JSON, a duplicate case number, a case with no number and a malformed email,
and a migrated in-flight case; a .json array with an impossible date and an unknown key
between two good cases; a single-object .json; a missing file next to a good one; a file
that is not .json/.jsonl; a .json file that is not JSON. Each bad case writes nothing and
the others are imported (checked with row counts).
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from cases.models import Case, CaseEvent, DisputedItem, Party
from exchange.services.intake import import_cases_file

DATA = Path(__file__).resolve().parent.parent / "data"
INTAKE = DATA / "intake"

pytestmark = pytest.mark.django_db


def run(*files: Path, options: tuple[str, ...] = ()) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cases", *map(str, files), *options, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
        err.write(str(error))
    return out.getvalue(), err.getvalue(), code


def test_jsonl_imports_the_good_cases_and_reports_each_bad_one():
    out, err, code = run(INTAKE / "cases.jsonl")
    assert out.strip() == "imported: 2, refused: 4"
    assert code == 1
    lines = err.splitlines()
    assert (
        "cases.jsonl line 3 (CM15-0050002): "
        "disputed_items[1].ur_decision: must be one of modified, denied, delayed" in lines
    )
    assert any(line.startswith("cases.jsonl line 4: not valid JSON") for line in lines)
    assert (
        "cases.jsonl line 5 (CM15-0050001): case_number: "
        "case CM15-0050001 already exists; it was not imported again (a case is never overwritten)"
    ) in lines
    assert (
        "cases.jsonl line 6 (no case number): employee.email: not a valid email address: 'maria.example@'"
        in lines
    )
    assert not any("line 2" in line for line in lines)  # a blank line is not a case

    assert sorted(Case.objects.values_list("case_number", flat=True)) == ["CM15-0050001", "CM15-0050003"]
    assert Party.objects.count() == 8
    assert DisputedItem.objects.count() == 4
    # One "imported" event per case, and the migrated case's two transitions.
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.TRANSITION).count() == 2
    assert Case.objects.get(case_number="CM15-0050003").status == "awaiting_records"


def test_json_array_labels_cases_by_index():
    report = import_cases_file(path=INTAKE / "cases-array.json")
    assert report.refused == 1
    assert len(report.imported) == 2
    assert report.errors == [
        "cases-array.json [1] (CM15-0060002): application.received_on: 2015-02-30 is not a real date",
        "cases-array.json [1] (CM15-0060002): "
        "injury.cause: unknown field (allowed: body_parts, date, diagnoses, mechanism)",
    ]
    assert "CM15-0060001" in report.imported
    # The case without a number got the next free one of the year it was received
    # (the refused case's number was never taken).
    assert "CM15-0060002" in report.imported
    assert Case.objects.count() == 2


def test_a_single_object_file(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text((DATA / "seed-case.json").read_text())
    out, err, code = run(path)
    assert (out.strip(), err, code) == ("imported: 1, refused: 0", "", 0)
    out, err, code = run(path)
    assert out.strip() == "imported: 0, refused: 1"
    assert err.splitlines()[0].startswith(
        "seed.json (CM15-0041877): case_number: case CM15-0041877 already exists"
    )
    assert code == 1
    assert Case.objects.count() == 1


def test_a_missing_file_does_not_stop_the_others(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    out, err, code = run(tmp_path / "missing.jsonl", bad, broken, DATA / "seed-case.json")
    assert out.strip() == "imported: 1, refused: 0"
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "missing.jsonl: cannot be read: No such file or directory"
    assert lines[1] == "notes.txt: not a .json or .jsonl file"
    assert lines[2].startswith("broken.json: cannot be read: not valid JSON")
    assert Case.objects.count() == 1


def test_an_element_that_is_not_an_object(tmp_path):
    seed = json.loads((DATA / "seed-case.json").read_text())
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps([42, copy.deepcopy(seed)]))
    report = import_cases_file(path=path)
    assert report.errors == ["mixed.json [0] (no case number): must be an object"]
    assert report.imported == ["CM15-0041877"]


def test_batch_size_option_gives_the_same_result():
    # Cases cannot be deleted (their audit rows protect them): the first import is rolled back.
    with transaction.atomic():
        whole = run(INTAKE / "cases.jsonl")
        transaction.set_rollback(True)
    assert not Case.objects.exists()
    assert run(INTAKE / "cases.jsonl", options=("--batch-size", "2")) == whole
    assert sorted(Case.objects.values_list("case_number", flat=True)) == ["CM15-0050001", "CM15-0050003"]
    with pytest.raises(CommandError, match="at least 1"):
        call_command("import_cases", str(INTAKE / "cases.jsonl"), "--batch-size", "0")
