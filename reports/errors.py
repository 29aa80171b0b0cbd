"""The reports' one error type: a period or a kind that cannot be reported, in the user's words."""

from __future__ import annotations

from core.errors import DomainError


class ReportError(DomainError):
    """A report that cannot be produced as asked (bad dates, from after to, an unknown kind)."""
