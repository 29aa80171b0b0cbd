"""Constraints on reviewers and assignments.

Bad inputs tried: a second active assignment on a case, an unknown assignment or reviewer
status, weekly hours over 168 and below 0, a lower-case license state, a duplicate license
and a duplicate certification, a duplicate reviewer number.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from reviewers.models import Assignment, AssignmentStatus, Reviewer
from tests.factories import BoardCertificationFactory, CaseFactory, LicenseFactory, ReviewerFactory

pytestmark = pytest.mark.django_db


def refused(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_one_active_assignment_per_case():
    case = CaseFactory()
    first, second = ReviewerFactory(), ReviewerFactory()
    Assignment.objects.create(case=case, reviewer=first, active=True)
    refused(lambda: Assignment.objects.create(case=case, reviewer=second, active=True))
    # Ended assignments may pile up: a case can be declined and reassigned many times.
    Assignment.objects.create(case=case, reviewer=second, active=False, status=AssignmentStatus.DECLINED)
    Assignment.objects.create(case=case, reviewer=first, active=False, status=AssignmentStatus.ENDED)
    assert Assignment.objects.filter(case=case).count() == 3


def test_assignment_status_is_checked():
    refused(lambda: Assignment.objects.create(case=CaseFactory(), reviewer=ReviewerFactory(), status="maybe"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "retired"),
        ("weekly_practice_hours", Decimal("169")),
        ("weekly_practice_hours", Decimal("-1")),
    ],
)
def test_reviewer_values_are_checked(field, value):
    reviewer = ReviewerFactory()
    refused(lambda: Reviewer.objects.filter(pk=reviewer.pk).update(**{field: value}))


def test_reviewer_number_is_unique():
    ReviewerFactory(reviewer_number="R00042")
    refused(lambda: ReviewerFactory(reviewer_number="R00042"))


def test_license_state_code_and_uniqueness():
    reviewer = ReviewerFactory()
    refused(lambda: LicenseFactory(reviewer=reviewer, state="ca"))
    LicenseFactory(reviewer=reviewer, state="CA", number="A1")
    refused(lambda: LicenseFactory(reviewer=reviewer, state="CA", number="A1"))


def test_certification_specialty_once_per_reviewer():
    reviewer = ReviewerFactory()
    BoardCertificationFactory(reviewer=reviewer, specialty="Pain Medicine")
    refused(lambda: BoardCertificationFactory(reviewer=reviewer, specialty="Pain Medicine"))
