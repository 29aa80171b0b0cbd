"""What the automatic picker keeps between cases in one process, and its query budget.

The picker caches the specialty rules (and the requirements built from them) per process
and checks a fingerprint read along with the case row. Bad inputs tried: a rule added, a
rule edited in place (same count, same ids), a rule deleted, each between two cases
assigned by the same process; a reviewer whose only certification no rule names.
"""

from __future__ import annotations

import pytest

from cases.models import ItemCategory
from reviewers.models import SpecialtyRule
from reviewers.services.assignment import assign_case_automatically
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db


def test_rule_changes_reach_the_picker_at_once():
    podiatrist = qualified_reviewer(specialties=("Podiatry",))
    # No rule names Podiatry for the seed-like case's items (physical medicine, injections).
    assert assign_case_automatically(case_id=ready_case().pk) is None

    SpecialtyRule.objects.create(category=ItemCategory.PHYSICAL_MEDICINE, specialty="Podiatry")
    injections = SpecialtyRule.objects.create(category=ItemCategory.INJECTIONS, specialty="Podiatry")
    added = assign_case_automatically(case_id=ready_case().pk)
    assert added is not None and added.reviewer == podiatrist

    injections.specialty = "Dermatology"  # edited in place: same number of rules, same ids
    injections.save()
    assert assign_case_automatically(case_id=ready_case().pk) is None

    injections.specialty = "Podiatry"
    injections.save()
    assert assign_case_automatically(case_id=ready_case().pk) is not None

    injections.delete()
    flagged = ready_case()
    assert assign_case_automatically(case_id=flagged.pk) is None
    flagged.refresh_from_db()
    assert "No board certification acceptable for Injections" in flagged.manual_assignment_reason


def test_an_assignment_takes_a_fixed_small_number_of_queries(django_assert_max_num_queries):
    """Lock the case (with its items, parties and the rules' fingerprint), shortlist, lock and
    count the reviewer, insert the offer, update the reviewer, save the case, write its event and
    the outbox row that emails the reviewer."""
    for _ in range(3):
        qualified_reviewer()
    assert assign_case_automatically(case_id=ready_case().pk) is not None  # loads the rules
    case = ready_case()
    # Plus the savepoint and its release: the test runs inside a transaction.
    with django_assert_max_num_queries(11):
        assert assign_case_automatically(case_id=case.pk) is not None
