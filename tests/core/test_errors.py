"""One error type: every app's domain error is a `core.errors.DomainError`, and doors catch the base.

Bad inputs tried: an error without a field; an intake error built from a list of paths.
"""

from __future__ import annotations

import pytest

from cases.errors import CaseError, GuardError, IntakeError, TransitionNotAllowedError
from core.errors import DomainError
from core.form_tokens import FormTokenError
from determinations.services.delivery import DeliveryError
from determinations.services.letters import LetterError
from determinations.services.review import ReviewError, StaleDraftError
from reviewers.errors import ReviewerError


@pytest.mark.parametrize(
    "error_class",
    [
        CaseError,
        TransitionNotAllowedError,
        GuardError,
        IntakeError,
        ReviewerError,
        ReviewError,
        StaleDraftError,
        LetterError,
        DeliveryError,
        FormTokenError,
    ],
)
def test_every_domain_error_is_a_domain_error(error_class):
    assert issubclass(error_class, DomainError)


def test_the_message_and_the_field_are_what_the_user_reads():
    error = ReviewerError("Choose a reviewer.", field="reviewer", reasons=["Licence expired"])
    assert (str(error), error.message, error.field, error.reasons) == (
        "Choose a reviewer.",
        "Choose a reviewer.",
        "reviewer",
        ["Licence expired"],
    )
    plain = CaseError("This case is closed.")
    assert (plain.message, plain.field) == ("This case is closed.", None)
    intake = IntakeError(errors=[("claim_number", "Required.")])
    assert intake.message == "claim_number: Required." and intake.field is None
