"""Builders for the reviewers tests: qualified reviewers and ready cases."""

from __future__ import annotations

from datetime import date, timedelta

from cases.models import Case, CaseStatus
from reviewers.models import Reviewer
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    LicenseFactory,
    ReviewerFactory,
    make_seed_like_case,
)


def qualified_reviewer(
    *, specialties: tuple[str, ...] = ("Occupational Medicine",), states: tuple[str, ...] = ("CA",), **fields
) -> Reviewer:
    """A reviewer who qualifies for the seed-like case (licensed, certified, experienced, attested)."""
    reviewer = ReviewerFactory(**fields)
    for position, state in enumerate(states, start=1):
        LicenseFactory(reviewer=reviewer, position=position, state=state)
    for position, specialty in enumerate(specialties, start=1):
        BoardCertificationFactory(reviewer=reviewer, position=position, specialty=specialty)
    return reviewer


def affiliate(reviewer: Reviewer, name: str, identifier: str = "") -> None:
    AffiliationFactory(reviewer=reviewer, name=name, identifier=identifier)


def ready_case(**fields) -> Case:
    """A seed-like case waiting for a reviewer, its records complete."""
    fields.setdefault("status", CaseStatus.READY_FOR_ASSIGNMENT)
    fields.setdefault("records_complete_on", date.today() - timedelta(days=1))
    return make_seed_like_case(**fields)
