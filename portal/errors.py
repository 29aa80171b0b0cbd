"""Domain errors of the portal: their message is what the party reads; `status` the API's answer."""

from core.errors import DomainError


class PortalError(DomainError):
    """A request of a party that cannot be carried out; the message says why."""

    status = 400


class DuplicateRecordError(PortalError):
    """The same file (same SHA-256) is already on the case, or twice in one upload."""

    status = 409


class IdempotencyConflictError(PortalError):
    """An Idempotency-Key used again with a different request."""

    status = 422


class LinkError(PortalError):
    """A party link that cannot be used: 404 when tampered or unknown, 410 when expired or revoked."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status
