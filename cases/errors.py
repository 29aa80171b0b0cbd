"""Domain errors of the cases app: their message is what the user reads."""

from core.errors import DomainError


class CaseError(DomainError):
    """A request about a case that cannot be carried out; the message says why."""


class TransitionNotAllowedError(CaseError):
    """The case is not in a state that allows this step (or another user moved it first)."""


class GuardError(CaseError):
    """The step is allowed from this state but a precondition is not met."""


class IntakeError(CaseError):
    """An `imr-case/1` payload that cannot be imported; `errors` lists (field path, message).

    Paths read like `disputed_items[1].ur_decision` (list indexes count from 0); an empty
    path means the case as a whole.
    """

    def __init__(self, *, errors: list[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.messages()) or "The case cannot be imported.")

    def messages(self) -> list[str]:
        return [f"{path}: {message}" if path else message for path, message in self.errors]
