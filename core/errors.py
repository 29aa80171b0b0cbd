"""The one base of every domain error: its message is what the user reads.

Each app raises its own subclass (`cases.errors.CaseError`, `reviewers.errors.ReviewerError`,
and the determinations errors built on `CaseError`); views, admin actions and tasks catch
`DomainError` and show `message` (on `field` when it names a form field).
"""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out; `message` says why, `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
