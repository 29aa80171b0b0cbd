"""`transition_case` with the caller's locked row (`locked_case`), as the picker uses it.

Bad inputs tried: a locked case whose id is not `case_id`,
a step the workflow does not allow (refused before anything is written, the caller's
transaction still usable), a column changed on the instance that is not the workflow's.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from cases.errors import TransitionNotAllowedError
from cases.models import Case, CaseEvent, CaseStatus
from cases.services.workflow import lock_case, transition_case
from tests.factories import CaseFactory

S = CaseStatus
pytestmark = pytest.mark.django_db


def test_the_locked_instance_is_moved_and_saved_in_place():
    case = CaseFactory(status=S.RECEIVED)
    with transaction.atomic():
        locked = lock_case(case_id=case.pk)
        locked.ur_organization = "Not saved by the transition"
        returned = transition_case(
            case_id=case.pk, to=S.ELIGIBILITY_REVIEW, by=None, reason="start", locked_case=locked
        )
    assert returned is locked and locked.status == S.ELIGIBILITY_REVIEW
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == S.ELIGIBILITY_REVIEW
    assert stored.eligibility_review_on is not None and stored.eligibility_info_due is not None
    assert stored.ur_organization == case.ur_organization  # only the workflow's columns
    assert CaseEvent.objects.filter(case=case, to_status=S.ELIGIBILITY_REVIEW).count() == 1


def test_a_refusal_leaves_the_callers_transaction_usable():
    case = CaseFactory(status=S.RECEIVED)
    with transaction.atomic():
        locked = lock_case(case_id=case.pk)
        with pytest.raises(TransitionNotAllowedError):
            transition_case(case_id=case.pk, to=S.CLOSED, by=None, locked_case=locked)
        with pytest.raises(TransitionNotAllowedError, match="changed by someone else"):
            transition_case(
                case_id=case.pk,
                to=S.ELIGIBILITY_REVIEW,
                by=None,
                expected_from=S.AWAITING_RECORDS,
                locked_case=locked,
            )
        transition_case(case_id=case.pk, to=S.ELIGIBILITY_REVIEW, by=None, locked_case=locked)
    assert Case.objects.get(pk=case.pk).status == S.ELIGIBILITY_REVIEW
    assert not CaseEvent.objects.filter(case=case, to_status=S.CLOSED).exists()


def test_wrong_instance_or_no_transaction_is_refused():
    case, other = CaseFactory(status=S.RECEIVED), CaseFactory(status=S.RECEIVED)
    with transaction.atomic():
        locked_other = lock_case(case_id=other.pk)
        with pytest.raises(ValueError):
            transition_case(case_id=case.pk, to=S.ELIGIBILITY_REVIEW, by=None, locked_case=locked_other)
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED
    assert Case.objects.get(pk=other.pk).status == S.RECEIVED
