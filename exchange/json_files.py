"""Reading JSON that came from outside (the `imr-case/1` files) without trusting its shape.

`json.loads` alone lets three kinds of bad input through or fall over:
- nesting thousands of levels deep raises RecursionError (or exhausts the stack of the code
  walking the result), so the depth is measured on the text first and refused above a limit;
- a duplicate key silently keeps the last value, so two values for one field would pass
  unnoticed: every object records the keys it saw twice;
- `"\\ud800"` (a lone surrogate) and `"\\u0000"` decode to strings that PostgreSQL and every
  encoder refuse later with a traceback, so they are found here with their field path.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Far deeper than any imr-case/1 payload (about 5 levels); far below Python's recursion limit.
MAX_DEPTH = 64

# A JSON string (escapes included); removed before counting brackets, which may appear inside.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_BAD_CHARACTER = re.compile(r"[\ud800-\udfff\x00]")
# The escapes that decode to one (`\u0000`, `\ud800`-`\udfff`): a text with neither these nor a
# duplicate key has no problem to look for, value by value (a fifth of an import's reading).
_BAD_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


class JSONInputError(ValueError):
    """The text cannot be read as JSON for a case; the message says why and where."""


class _Object(dict):
    """A JSON object that remembers which keys it saw more than once; `clean` when `loads` found
    the text it came from free of duplicate keys, lone surrogates and NULs."""

    duplicates: tuple[str, ...] = ()
    clean: bool = False


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    # Built by dict itself (the last value of a key wins, as json.loads keeps it); the keys are
    # walked only when there were fewer of them than pairs (an import's objects: 90,000 a file).
    result = _Object(pairs)
    if len(result) < len(pairs):
        seen: set[str] = set()
        duplicates: list[str] = []
        for key, _value in pairs:
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        result.duplicates = tuple(duplicates)
    return result


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in `text` (brackets inside strings do not count)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(text: str) -> Any:
    """Parse `text`; raises JSONInputError when it is not JSON or nests deeper than MAX_DEPTH."""
    # Fewer brackets in all than the limit cannot nest past it: the exact count only otherwise.
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = nesting_depth(text)
        if depth > MAX_DEPTH:
            raise JSONInputError(f"nested {depth} levels deep; at most {MAX_DEPTH} are allowed")
    duplicated = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> _Object:
        nonlocal duplicated
        found = _object_pairs(pairs)
        duplicated = duplicated or bool(found.duplicates)
        return found

    try:
        value = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as error:
        raise JSONInputError(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from error
    except RecursionError as error:  # the depth check above should have caught it
        raise JSONInputError("nested too deep to read") from error
    if not duplicated and not _BAD_ESCAPE.search(text) and not _BAD_CHARACTER.search(text):
        for found in value if isinstance(value, list) else [value]:
            if isinstance(found, _Object):
                found.clean = True
    return value


def _describe(text: str) -> str:
    bad = _BAD_CHARACTER.search(text)
    assert bad is not None
    character = bad.group()
    if character == "\x00":
        return "contains a NUL character (\\u0000), which is not allowed"
    return f"contains an invalid character (a lone surrogate \\u{ord(character):04x}, not Unicode text)"


def problems(value: Any, *, path: str = "") -> list[tuple[str, str]]:
    """(field path, message) for each duplicate key, lone surrogate or NUL in a parsed payload.

    Paths read like the importer's: `employee.name`, `disputed_items[1].rationale`.
    """
    if getattr(value, "clean", False):
        return []
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", []):
            found.append((path, f"the key {_safe(key)!r} appears more than once"))
        for key, item in value.items():
            child = f"{path}.{_safe(key)}" if path else _safe(key)
            if _BAD_CHARACTER.search(key):
                found.append((child, f"the key {_describe(key)}"))
            found.extend(problems(item, path=child))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(problems(item, path=f"{path}[{index}]"))
    elif isinstance(value, str) and _BAD_CHARACTER.search(value):
        found.append((path, _describe(value)))
    return found


def _safe(text: str) -> str:
    """`text` with lone surrogates and NULs made printable, for messages."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
