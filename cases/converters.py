"""Path converters for case URLs: a case number in a URL is matched by its format, so anything
else (a NUL byte, a stray character) is answered 404 before a view or the database sees it."""

from __future__ import annotations


class CaseNumberConverter:
    """`CMyy-nnnnnnn`, as `cases.models.CASE_NUMBER_PATTERN` (without the anchors)."""

    regex = r"CM[0-9]{2}-[0-9]{7}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
