"""`import_cases` with writer processes (PostgreSQL): the same report and rows as case by case.

This process checks the cases and numbers them in file order; forked writers write the
batches, each on its own connection, so the tests commit (transaction=True). Bad inputs tried:
the tricky file of test_batched_import (numbers taken earlier in the file, cases without a
number whose numbers must follow the file's order, an unknown reviewer, duplicates of cases
already imported, an invalid case, a line that is not JSON), a batch the database refuses,
writers that die on their first batch, and `--processes 0`.
"""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import Case, Party
from exchange.services import intake
from exchange.services.intake import import_cases_file
from reviewers.models import Assignment, Reviewer
from tests.exchange.test_batched_import import _files, _generated, _import_all_and_read, _one_by_one, _rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reviewer(postgres) -> Reviewer:
    from tests.factories import ReviewerFactory

    return ReviewerFactory(reviewer_number="R10001")


def _expected_report(paths) -> tuple[intake.ImportReport, dict]:
    """What importing every file case by case reports and writes (rolled back after)."""
    outcomes, rows = _import_all_and_read(paths, _one_by_one)
    report = intake.ImportReport()
    for prefix, label, number, messages in outcomes:
        if number is not None:
            report.imported.append(number)
            continue
        report.refused += 1
        bare = label == "(no case number)" and messages and messages[0].startswith("not valid JSON")
        report.errors += [f"{prefix}: {m}" if bare else f"{prefix} {label}: {m}" for m in messages]
    return report, rows


def test_writer_processes_write_what_case_by_case_writes(reviewer, tmp_path):
    paths = _files(tmp_path)
    expected, expected_rows = _expected_report(paths)

    report = intake.ImportReport()
    for path in paths:
        # Batches of 3: several in flight at once, numbers carried from batch to batch.
        report.merge(import_cases_file(path=path, batch_size=3, processes=2))

    assert (report.imported, report.refused, report.errors) == (
        expected.imported,
        expected.refused,
        expected.errors,
    )
    rows = _rows()
    # The writers take ids from the sequence as they write: the export (in id order) lists the
    # same cases, in the order their batches were written.
    by_number = lambda case: case["case_number"]  # noqa: E731
    assert sorted(rows.pop("export"), key=by_number) == sorted(expected_rows.pop("export"), key=by_number)
    assert rows == expected_rows
    assert len(report.imported) >= 25 and report.refused >= 10
    # The reviewers' counters were recounted once the writers were done.
    reviewer.refresh_from_db()
    assert reviewer.open_cases == Assignment.objects.filter(reviewer=reviewer, active=True).count() > 0


def test_the_command_writes_with_processes_and_refuses_zero(reviewer, tmp_path):
    path = tmp_path / "generated.jsonl"
    cases = _generated(40)
    path.write_text("".join(json.dumps(case) + "\n" for case in cases))
    out = StringIO()
    call_command("import_cases", str(path), "--processes", "2", "--batch-size", "7", stdout=out)
    assert "imported: 40, refused: 0" in out.getvalue()
    assert sorted(Case.objects.values_list("case_number", flat=True)) == sorted(
        c["case_number"] for c in cases
    )
    with pytest.raises(CommandError, match="--processes must be at least 1"):
        call_command("import_cases", str(path), "--processes", "0")


def test_a_batch_the_database_refuses_is_imported_case_by_case(reviewer, tmp_path):
    cases = _generated(9)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE cases_case ADD CONSTRAINT test_refused_mechanism"
            " CHECK (mechanism IS NULL OR mechanism <> 'Refused by the database')"
        )
    try:
        cases[4]["injury"]["mechanism"] = "Refused by the database"
        path = tmp_path / "refused.jsonl"
        path.write_text("".join(json.dumps(case) + "\n" for case in cases))

        report = import_cases_file(path=path, batch_size=3, processes=2)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_case DROP CONSTRAINT test_refused_mechanism")

    assert report.imported == [case["case_number"] for index, case in enumerate(cases) if index != 4]
    (error,) = report.errors
    assert error.startswith(f"refused.jsonl line 5 ({cases[4]['case_number']}): could not be written: ")
    assert not Case.objects.filter(case_number=cases[4]["case_number"]).exists()
    # Its batch's other two cases were written one by one, whole.
    assert Party.objects.filter(case__case_number=cases[3]["case_number"]).count() >= 4


def test_writers_that_die_lose_nothing_and_say_so(reviewer, tmp_path, monkeypatch):
    """Each writer exits on the batch it is handed (as a kill -9 would end it): the cases of the
    batches handed to them are reported not written (and are not in the database), and the rest
    of the file is written by the importer itself."""

    def dies(tasks, answers, by):
        tasks.get()
        os._exit(1)

    monkeypatch.setattr(intake, "_writer", dies)  # the writers are forked with it
    cases = _generated(30)
    path = tmp_path / "dying.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases))

    report = import_cases_file(path=path, batch_size=3, processes=2)

    stopped = [
        error for error in report.errors if error.endswith("could not be written: the writer process stopped")
    ]
    assert report.refused == len(stopped) == len(report.errors)
    assert len(report.imported) + report.refused == 30
    assert stopped and report.imported  # some batches died with the writers, the rest were written
    assert cases[0]["case_number"] not in report.imported  # the first batch went to a writer
    assert cases[-1]["case_number"] in report.imported
    in_database = set(Case.objects.values_list("case_number", flat=True))
    assert in_database == set(report.imported)
    for error in stopped:
        number = error.split("(")[1].split(")")[0]
        assert number not in in_database
    reviewer.refresh_from_db()
    assert reviewer.open_cases == Assignment.objects.filter(reviewer=reviewer, active=True).count()
