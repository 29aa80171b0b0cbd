"""Domain errors of the reviewers app: their message is what the user reads."""

from __future__ import annotations

from core.errors import DomainError


class ReviewerError(DomainError):
    """A request about a reviewer or an assignment that cannot be carried out; the message says why."""

    def __init__(self, message: str, *, field: str | None = None, reasons: list[str] | None = None) -> None:
        super().__init__(message, field=field)
        # For refusals based on eligibility or conflicts: each reason, for a list on the page.
        self.reasons = list(reasons or [])
