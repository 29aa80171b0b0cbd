"""Two users acting on one case at once: exactly one step happens, the other is told why.

Runs on PostgreSQL (row locks are what is under test). Tried: two staff starting the
eligibility review at once, and one withdrawing while the other sends the NOARFI.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cases.errors import CaseError
from cases.models import Case, CaseEvent, CaseStatus
from cases.services import case_actions
from imr_site import roles
from tests.factories import UserFactory, make_seed_like_case

S = CaseStatus


def race(*calls):
    """Run each call in its own thread, released together; returns (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            value = call()
            with lock:
                results.append(value)
        except Exception as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_users_start_the_same_step_once(postgres):
    first = UserFactory(username="alice", role=roles.INTAKE_STAFF)
    second = UserFactory(username="bob", role=roles.INTAKE_STAFF)
    case = make_seed_like_case()
    results, errors = race(
        lambda: case_actions.start_eligibility_review(case_id=case.pk, by=first, expected_from=S.RECEIVED),
        lambda: case_actions.start_eligibility_review(case_id=case.pk, by=second, expected_from=S.RECEIVED),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], CaseError)
    assert "changed by someone else" in str(errors[0])
    assert "Eligibility review" in str(errors[0])
    assert Case.objects.get(pk=case.pk).status == S.ELIGIBILITY_REVIEW
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).count() == 1


@pytest.mark.django_db(transaction=True)
def test_withdraw_races_the_notice(postgres):
    first = UserFactory(username="carol", role=roles.INTAKE_STAFF)
    second = UserFactory(username="dave", role=roles.INTAKE_STAFF)
    case = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=case.pk, by=first)
    case_actions.confirm_eligibility(case_id=case.pk, by=first)
    results, errors = race(
        lambda: case_actions.send_notice_of_assignment(
            case_id=case.pk, by=first, expected_from=S.ELIGIBILITY_REVIEW
        ),
        lambda: case_actions.withdraw(
            case_id=case.pk, by=second, reason="Employee withdrew", expected_from=S.ELIGIBILITY_REVIEW
        ),
    )
    assert len(results) == 1 and len(errors) == 1
    assert "changed by someone else" in str(errors[0])
    final = Case.objects.get(pk=case.pk)
    assert final.status in (S.AWAITING_RECORDS, S.WITHDRAWN)
    assert final.status == results[0].status
    moves = CaseEvent.objects.filter(
        case=case, kind=CaseEvent.Kind.TRANSITION, from_status=S.ELIGIBILITY_REVIEW
    )
    assert moves.count() == 1
