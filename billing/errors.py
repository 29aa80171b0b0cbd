"""The billing app's domain error: its message is what the administrator reads."""

from core.errors import DomainError


class BillingError(DomainError):
    """A billing request that cannot be carried out; the message says why."""
