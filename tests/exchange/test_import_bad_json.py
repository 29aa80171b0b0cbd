"""import_cases on hostile JSON: nesting 100,000 deep, a lone surrogate, a NUL, duplicate keys.

Each bad file or case is reported naming the file (and the case where known), nothing of it
is written, the other files are imported and the summary is printed; never a traceback.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.models import Case, Party
from exchange import json_files

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = json.loads((DATA / "seed-case.json").read_text())

pytestmark = pytest.mark.django_db


def run(*files: Path) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cases", *map(str, files), stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code = error.returncode
    return out.getvalue(), err.getvalue(), code


def seed_text(**changes) -> str:
    payload = copy.deepcopy(SEED)
    payload.update(changes)
    return json.dumps(payload)


def test_deep_nesting_lone_surrogate_and_duplicate_keys_are_reported_and_the_rest_imported(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    deep_line = tmp_path / "deep.jsonl"
    deep_line.write_text('{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n")
    surrogate = tmp_path / "surrogate.json"
    # The escape is in the file as six characters, as a hostile exporter would write it.
    surrogate.write_text(seed_text(case_number="CM15-0070001").replace('"Maria"', '"Ma\\ud800ria"', 1))
    assert "\\ud800" in surrogate.read_text()
    duplicate = tmp_path / "duplicate.json"
    text = seed_text(case_number="CM15-0070002")
    duplicated = '"case_number": "CM15-0070002", "case_number": "CM15-0070009"'
    duplicate.write_text(text.replace('"case_number": "CM15-0070002"', duplicated, 1))
    nul = tmp_path / "nul.jsonl"
    nul.write_text(seed_text(case_number="CM15-0070003").replace('"Maria"', '"Ma\\u0000ria"', 1) + "\n")

    out, err, code = run(deep, deep_line, surrogate, duplicate, nul, DATA / "seed-case.json")

    assert out.strip() == "imported: 1, refused: 4"
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "deep.json: cannot be read: nested 100000 levels deep; at most 64 are allowed"
    assert lines[1] == "deep.jsonl line 1: nested 100000 levels deep; at most 64 are allowed"
    assert lines[2].startswith("surrogate.json (CM15-0070001): employee.")
    assert "a lone surrogate \\ud800" in lines[2]
    assert lines[3] == "duplicate.json (CM15-0070009): the key 'case_number' appears more than once"
    assert lines[4].startswith("nul.jsonl line 1 (CM15-0070003): employee.")
    assert "NUL character" in lines[4]
    assert "Traceback" not in err
    # Only the good file's case was written; nothing of the refused ones.
    assert list(Case.objects.values_list("case_number", flat=True)) == ["CM15-0041877"]
    assert not Party.objects.filter(name__startswith="Ma").exclude(case__case_number="CM15-0041877").exists()


def test_a_lone_surrogate_in_the_case_number_is_named_without_printing_it(tmp_path):
    path = tmp_path / "number.json"
    path.write_text("[" + seed_text(case_number="CM15-00\ud80070004") + "]")
    out, err, code = run(path)
    assert (out.strip(), code) == ("imported: 0, refused: 1", 1)
    assert err.splitlines()[0].startswith("number.json [0] (invalid case number): case_number: contains")


def test_invalid_utf8_bytes_name_the_file(tmp_path):
    path = tmp_path / "bytes.json"
    path.write_bytes(b'{"case_number": "CM15-\xed\xa0\x800070005"}')  # an encoded surrogate: not UTF-8
    out, err, code = run(path, DATA / "seed-case.json")
    assert out.strip() == "imported: 1, refused: 0"
    assert err.startswith("bytes.json: cannot be read: 'utf-8' codec can't decode")
    assert code == 1


def test_depth_is_measured_outside_strings():
    assert json_files.nesting_depth('{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_files.loads('{"a": "[[[["}') == {"a": "[[[["}
    with pytest.raises(json_files.JSONInputError, match="nested 65 levels deep"):
        json_files.loads("[" * 65 + "]" * 65)
    assert json_files.loads("[" * 64 + "]" * 64) is not None


def test_problems_give_field_paths():
    payload = json_files.loads('{"items": [{"x": 1}, {"x": 1, "x": 2, "r": "a\\ud800"}], "k\\u0000": 0}')
    assert json_files.problems(payload) == [
        ("items[1]", "the key 'x' appears more than once"),
        ("items[1].r", "contains an invalid character (a lone surrogate \\ud800, not Unicode text)"),
        ("k\\x00", "the key contains a NUL character (\\u0000), which is not allowed"),
    ]


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ('{"a": [1, {"b": "plain"}], "c": "caf\\u00e9"}', True),
        ('{"a": {"b": 1, "b": 2}}', False),  # a duplicate key deep inside
        ('{"a": ["x\\u0000"]}', False),  # an escaped NUL
        ('{"a": "\\udfff"}', False),  # an escaped lone surrogate
        ('{"a": "\\\\u0000"}', False),  # a backslash then u0000: looked at value by value, no problem
    ],
)
def test_a_text_with_nothing_to_find_is_not_walked_value_by_value(text, clean):
    payload = json_files.loads(text)
    assert payload.clean is clean
    problems = json_files.problems(payload)
    assert (problems == []) == (clean or text == '{"a": "\\\\u0000"}')
