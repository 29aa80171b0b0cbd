"""Domain errors of the cases app: their message is what the user reads."""


class CaseError(Exception):
    """A request about a case that cannot be carried out; the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionNotAllowedError(CaseError):
    """The case is not in a state that allows this step (or another user moved it first)."""


class GuardError(CaseError):
    """The step is allowed from this state but a precondition is not met."""
