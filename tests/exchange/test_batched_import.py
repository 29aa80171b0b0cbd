"""`import_cases_file` writes in batches and yields what importing case by case yields.

The same files (tests/data/intake, tests/data/heldout, the demo data and a generated file with
cases without a number and numbers that collide inside a batch) are imported once case by
case through `import_case` (the path the intake page uses) and once in batches of several
sizes; the reports, the `export_cases` output and every row written (events, assignments,
determinations, reviewers' counters) must be the same. A batch the database refuses is
retried case by case. The queries of a batch do not grow with its size.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import AccessLogEntry, Case, CaseEvent, DisputedItem, Party
from determinations.models import Determination, ItemDecision
from exchange.export import export_cases
from exchange.services import intake
from exchange.services.demo import DEMO_DATA_DIR, demo_case_payloads
from exchange.services.intake import import_cases_file
from reviewers.models import Assignment, Reviewer
from tests.factories import ReviewerFactory

DATA = Path(__file__).resolve().parent.parent / "data"

pytestmark = pytest.mark.django_db


def _generated(count: int, *, first: int = 5_000_000) -> list[dict[str, Any]]:
    """`count` cases made from the demo cases (every state), each its own number and claim."""
    templates = [payload for _name, payload in demo_case_payloads()]
    payloads = []
    for index in range(count):
        payload = copy.deepcopy(templates[index % len(templates)])
        payload["case_number"] = f"{payload['case_number'][:5]}{first + index:07d}"
        payload["employee"]["last_name"] = f"Example-{index}"
        payload["claims_administrator"]["claim_number"] += f"-{index // 2}"
        payloads.append(payload)
    return payloads


def _tricky_file(tmp_path: Path) -> Path:
    """Cases without a number, given numbers that an earlier case of the same batch takes
    (by number or by the next free one), a case that names an unknown reviewer, duplicates
    of the demo cases already imported, and an invalid case."""
    cases = _generated(12)
    cases[7] = copy.deepcopy(cases[5])  # the demo case offered to R10001...
    cases[7]["case_number"] = "CM26-5000007"
    for entry in cases[7]["history"]:
        if "reviewer_number" in entry:
            entry["reviewer_number"] = "R99999"  # ...offered to nobody on file
    cases[1].pop("case_number")  # 2026: the next after the highest CM26 number so far
    cases[2]["case_number"] = cases[0]["case_number"]  # taken earlier in the batch
    cases[4].pop("case_number")
    cases[5]["case_number"] = "CM26-6000000"  # given: the next unnumbered 2026 case follows it
    cases[6].pop("case_number")
    cases[8]["employee"]["email"] = "not-an-email"
    cases[9]["case_number"] = "CM26-0100105"  # a demo case, imported before this file
    cases[10].pop("case_number")
    cases[11]["case_number"] = "CM15-5000001"  # the number cases[10] (a 2015 case) was given just before
    path = tmp_path / "tricky.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases) + "{not json\n")
    return path


def _files(tmp_path: Path) -> list[Path]:
    return [
        *sorted((DATA / "intake").iterdir()),
        *sorted((DATA / "heldout").iterdir()),
        *sorted(DEMO_DATA_DIR.glob("*.json")),
        _tricky_file(tmp_path),
    ]


def _one_by_one(path: Path) -> list[tuple[str, str, str | None, list[str]]]:
    """Each case through `import_case`, in file order: the path before batches."""
    outcomes = [
        intake._import_one(name=path.name, entry=entry, by=None) for entry in intake._open_payloads(path=path)
    ]
    return [(o.prefix, o.label, o.case_number, o.messages) for o in outcomes]


def _batched(path: Path, batch_size: int) -> list[tuple[str, str, str | None, list[str]]]:
    outcomes = []
    entries = list(intake._open_payloads(path=path))
    for start in range(0, len(entries), batch_size):
        outcomes += intake._import_batch(name=path.name, entries=entries[start : start + batch_size], by=None)
    return [(o.prefix, o.label, o.case_number, o.messages) for o in outcomes]


def _without(row: dict[str, Any], *keys: str) -> list[tuple[str, Any]]:
    return sorted((key, value) for key, value in row.items() if key not in keys)


def _rows() -> dict[str, Any]:
    """Everything an import writes, without ids and insert times."""

    def number(case_id: int) -> str:
        return numbers[case_id]

    numbers = dict(Case.objects.values_list("pk", "case_number"))
    skip = {"id", "created_at", "updated_at"}
    return {
        "export": list(export_cases()),
        "cases": sorted(
            [{k: v for k, v in row.items() if k not in skip} for row in Case.objects.values()],
            key=lambda row: row["case_number"],
        ),
        "parties": sorted(
            (number(row["case_id"]), row["role"], _without(row, "id", "case_id"))
            for row in Party.objects.values()
        ),
        "items": sorted(
            (number(row["case_id"]), row["position"], _without(row, "id", "case_id"))
            for row in DisputedItem.objects.values()
        ),
        # Per case, in the order written (ids), what each event says.
        "events": {
            case_number: [
                (e.kind, e.from_status, e.to_status, e.reason, e.data, e.effective_on, e.actor_id)
                for e in CaseEvent.objects.filter(case__case_number=case_number).order_by("id")
            ]
            for case_number in sorted(numbers.values())
        },
        "assignments": sorted(
            (
                a.case.case_number,
                a.reviewer.reviewer_number,
                a.status,
                a.active,
                a.assigned_at,
                a.responded_at,
                a.decline_reason,
                a.candidates,
                a.assigned_by_id,
            )
            for a in Assignment.objects.select_related("case", "reviewer")
        ),
        "determinations": sorted(
            (
                d.case.case_number,
                d.reviewer.reviewer_number if d.reviewer else None,
                d.status,
                d.clinical_case_summary,
                d.licensure_states,
                d.certifications,
                d.issued_on,
                d.mailed_on,
                sorted(
                    (i.disputed_item.position, i.decision, i.reviewer_guideline, i.rationale)
                    for i in d.items.select_related("disputed_item")
                ),
            )
            for d in Determination.objects.select_related("case", "reviewer")
        ),
        "open_cases": sorted(Reviewer.objects.values_list("reviewer_number", "open_cases")),
        "item_decisions": ItemDecision.objects.count(),
        "access_log": AccessLogEntry.objects.count(),
    }


def _import_all_and_read(paths: list[Path], importer) -> tuple[list, dict[str, Any]]:
    """Import with `importer`, read every row, then roll the import back."""
    with transaction.atomic():
        outcomes = [outcome for path in paths for outcome in importer(path)]
        rows = _rows()
        transaction.set_rollback(True)
    return outcomes, rows


@pytest.fixture
def reviewer() -> Reviewer:
    return ReviewerFactory(reviewer_number="R10001")


@pytest.mark.parametrize("batch_size", [500, 3, 1])
def test_batches_write_what_case_by_case_writes(reviewer, tmp_path, batch_size):
    paths = _files(tmp_path)
    expected_outcomes, expected_rows = _import_all_and_read(paths, _one_by_one)
    outcomes, rows = _import_all_and_read(paths, lambda path: _batched(path, batch_size))

    assert outcomes == expected_outcomes
    assert rows == expected_rows
    # The files hold good and bad cases alike, so both kinds were compared.
    imported = [o for o in outcomes if o[2] is not None]
    refused = [o for o in outcomes if o[2] is None]
    assert len(imported) >= 25 and len(refused) >= 10
    assert len(expected_rows["export"]) == len(imported)
    assert any(a[3] for a in expected_rows["assignments"])  # an active assignment
    assert expected_rows["determinations"]
    by_case = {o[0]: o for o in outcomes if o[0].startswith("tricky.jsonl")}
    duplicate = "already exists; it was not imported again (a case is never overwritten)"
    assert by_case["tricky.jsonl line 3"][3] == [f"case_number: case CM15-5000000 {duplicate}"]
    assert by_case["tricky.jsonl line 6"][2] == "CM26-6000000"
    assert by_case["tricky.jsonl line 7"][2] == "CM26-6000001"
    assert by_case["tricky.jsonl line 11"][2] == "CM15-5000001"
    assert by_case["tricky.jsonl line 12"][3] == [f"case_number: case CM15-5000001 {duplicate}"]
    (unknown,) = by_case["tricky.jsonl line 8"][3]
    assert unknown.endswith(".reviewer_number: no reviewer has the number 'R99999'")
    assert by_case["tricky.jsonl line 10"][3] == [f"case_number: case CM26-0100105 {duplicate}"]


def test_the_command_imports_in_batches_with_the_same_report(reviewer, tmp_path):
    paths = _files(tmp_path)
    with transaction.atomic():
        expected = intake.ImportReport()
        for path in paths:
            for prefix, label, number, messages in _one_by_one(path):
                if number is not None:
                    expected.imported.append(number)
                else:
                    expected.refused += 1
                    bare = (
                        label == "(no case number)" and messages and messages[0].startswith("not valid JSON")
                    )
                    expected.errors += [
                        f"{prefix}: {m}" if bare else f"{prefix} {label}: {m}" for m in messages
                    ]
        transaction.set_rollback(True)
    report = intake.ImportReport()
    for path in paths:
        report.merge(import_cases_file(path=path, batch_size=4))
    assert (report.imported, report.refused, report.errors) == (
        expected.imported,
        expected.refused,
        expected.errors,
    )


def test_a_batch_the_database_refuses_is_imported_case_by_case(postgres, reviewer, tmp_path):
    cases = _generated(6)
    # Valid to the checks, but a constraint of the database (added for this test, rolled back
    # with it) refuses it: the batch's INSERT fails. (A NUL, which PostgreSQL never stores, is
    # now refused already when the file is read: exchange/json_files.py.)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE cases_case ADD CONSTRAINT test_refused_mechanism"
            " CHECK (mechanism IS NULL OR mechanism <> 'Refused by the database')"
        )
    cases[3]["injury"]["mechanism"] = "Refused by the database"
    path = tmp_path / "nul.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases))

    report = import_cases_file(path=path, batch_size=500)

    assert report.imported == [case["case_number"] for index, case in enumerate(cases) if index != 3]
    assert report.refused == 1
    (error,) = report.errors
    assert error.startswith(f"nul.jsonl line 4 ({cases[3]['case_number']}): could not be written: ")
    assert not Case.objects.filter(case_number=cases[3]["case_number"]).exists()
    assert Case.objects.count() == 5
    assert Party.objects.count() == 5 * 4 + sum(1 for c in cases if c.get("attorney")) - (
        1 if cases[3].get("attorney") else 0
    )


def _queries_to_import(tmp_path: Path, count: int, *, first: int) -> int:
    path = tmp_path / f"generated-{count}.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in _generated(count, first=first)))
    with CaptureQueriesContext(connection) as queries:
        report = import_cases_file(path=path, batch_size=500)
    assert len(report.imported) == count, report.errors
    return len(queries)


def test_queries_per_batch_do_not_grow_with_its_size(
    postgres, reviewer, tmp_path, django_assert_max_num_queries
):
    # On PostgreSQL each table is one COPY; SQLite's bulk_create splits a table's rows by its
    # limit on bound parameters, so there the count grows with the batch by design.
    # Every table is written: the demo cases cover assignments and determinations.
    ten = _queries_to_import(tmp_path, 10, first=5_000_000)
    hundred = _queries_to_import(tmp_path, 100, first=6_000_000)
    assert hundred == ten
    path = tmp_path / "more.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in _generated(300, first=7_000_000)))
    with django_assert_max_num_queries(ten):
        import_cases_file(path=path, batch_size=500)
    # One batch: the lookups, the rows of each of the seven tables (on PostgreSQL their ids
    # from the sequence, then one COPY), the reviewers' counters and a savepoint or two.
    assert ten <= 20
    assert Assignment.objects.filter(case__case_number__startswith="CM26-7").exists()
    assert Determination.objects.filter(case__case_number__startswith="CM15-7").exists()


def test_export_in_small_chunks_is_the_same(reviewer, tmp_path, monkeypatch):
    path = tmp_path / "generated.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in _generated(23)))
    import_cases_file(path=path)
    whole = list(export_cases())
    some = [whole[2]["case_number"], whole[9]["case_number"], whole[22]["case_number"]]
    monkeypatch.setattr("exchange.export.BATCH_SIZE", 4)
    assert list(export_cases()) == whole
    assert [data["case_number"] for data in export_cases(case_numbers=some)] == some
