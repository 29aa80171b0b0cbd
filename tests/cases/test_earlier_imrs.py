"""Earlier IMRs of the same treatment on the case page (cases.selectors.earlier_imrs_on_same_treatment).

Listed: earlier IMRs on the same claim with a treatment of this case (same description, or
same procedure code and body part), oldest first, with each matching item's outcome once
the letter was issued. Tried and not listed (or not shown as an outcome): an IMR on another
claim, one of another treatment, a later one, a draft determination's decision, a
superseded (remanded) determination's decision. The page's query count does not grow with
the number of earlier IMRs, and each earlier case shown is logged as read.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseStatus, PartyRole
from cases.selectors import earlier_imrs_on_same_treatment
from determinations.models import Decision, DeterminationStatus
from imr_site import roles
from tests.factories import DeterminationFactory, ItemDecisionFactory, UserFactory, make_seed_like_case
from tests.second_factor import SECOND_FACTOR_QUERIES

S = CaseStatus
pytestmark = pytest.mark.django_db


def imr(*, number: str, received_on: date, **fields):
    """A seed-like case (same claim, same two treatments) on a UR decision 20 days before receipt."""
    return make_seed_like_case(
        case_number=number,
        received_on=received_on,
        ur_decision_date=received_on - timedelta(days=20),
        ur_served_on=received_on - timedelta(days=18),
        **fields,
    )


def decided(*, number: str, received_on: date, decisions: tuple[str, str], status=DeterminationStatus.ISSUED):
    """An earlier IMR with a determination (issued unless `status` says otherwise)."""
    case = imr(
        number=number,
        received_on=received_on,
        status=S.DETERMINATION_ISSUED if status == DeterminationStatus.ISSUED else S.IN_REVIEW,
    )
    determination = DeterminationFactory(case=case, reviewer=None, status=status)
    for item, decision in zip(case.disputed_items.order_by("position"), decisions, strict=True):
        ItemDecisionFactory(determination=determination, disputed_item=item, decision=decision)
    return case


def test_lists_earlier_imrs_of_the_same_treatment_with_their_outcomes():
    first = decided(number="CM13-0000001", received_on=date(2013, 6, 3), decisions=("upheld", "overturned"))
    in_review = decided(
        number="CM14-0000001",
        received_on=date(2014, 6, 2),
        decisions=("overturned", "overturned"),
        status=DeterminationStatus.DRAFT,
    )
    remanded = decided(number="CM14-0000002", received_on=date(2014, 9, 2), decisions=("upheld", "upheld"))
    remanded.determinations.update(status=DeterminationStatus.SUPERSEDED)
    other_claim = imr(number="CM14-0000003", received_on=date(2014, 10, 1))
    other_claim.parties.filter(role=PartyRole.CLAIMS_ADMINISTRATOR).update(claim_number="OTHER-CLAIM")
    other_treatment = imr(number="CM14-0000004", received_on=date(2014, 11, 3))
    other_treatment.disputed_items.update(description="Lumbar MRI", procedure_code="72148")
    case = make_seed_like_case(case_number="CM15-0000001")
    make_seed_like_case(case_number="CM15-0000002", received_on=date(2015, 3, 2))  # later

    found = earlier_imrs_on_same_treatment(case=case)
    assert [e.case_number for e in found] == ["CM13-0000001", "CM14-0000001", "CM14-0000002"]
    outcomes = {e.case_number: [item.outcome for item in e.items] for e in found}
    assert outcomes == {
        "CM13-0000001": ["Upheld", "Overturned"],
        "CM14-0000001": ["", ""],  # a reviewer's draft is not an outcome
        "CM14-0000002": ["", ""],  # the remanded review's letter was superseded
    }
    assert [e.status_label for e in found] == ["Determination issued", "In review", "Determination issued"]
    assert not any(e.same_ur_decision for e in found)
    assert found[0].case_id == first.pk and found[1].case_id == in_review.pk


def test_only_the_matching_treatments_are_listed_and_the_same_ur_decision_is_flagged():
    decided(number="CM15-0000001", received_on=date(2015, 2, 20), decisions=("upheld", "overturned"))
    case = make_seed_like_case(case_number="CM15-0000002")
    case.disputed_items.filter(position=1).delete()
    # Same procedure code and body part, other words: the same treatment.
    case.disputed_items.update(description="Trigger point injections x6")
    (earlier,) = earlier_imrs_on_same_treatment(case=case)
    assert [(item.description, item.outcome) for item in earlier.items] == [
        ("TPI 20553 X6 in the Right Lumbar Paraspinals DOS 12/29/15", "Overturned")
    ]
    assert earlier.same_ur_decision is False  # the decided case's UR decision was 2015-01-31

    same = make_seed_like_case(case_number="CM15-0000003", received_on=date(2015, 3, 2))
    (first, second) = earlier_imrs_on_same_treatment(case=same)
    assert (first.case_number, first.same_ur_decision) == ("CM15-0000001", False)
    assert (second.case_number, second.same_ur_decision) == ("CM15-0000002", True)


@pytest.mark.parametrize("count", [1, 8])
def test_case_page_shows_earlier_imrs_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, count
):
    for n in range(count):
        decided(
            number=f"CM14-{n + 1:07d}",
            received_on=date(2014, 1, 6) + timedelta(days=30 * n),
            decisions=("upheld", "overturned"),
        )
    case = make_seed_like_case(case_number="CM15-0000001")
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    # 22: 16, plus the Correspondence section's notices, letters and the recipients of the notices
    # still to come (the case's parties, and those of cases consolidated into it for a role it
    # lacks: read once for every notice listed), the consolidation's cases consolidated into this
    # one and its candidates, and the portal's count of records the parties sent that staff have
    # not seen; 23: and whether the record is final (the edit controls, cases.edit_views).
    with django_assert_max_num_queries(23 + SECOND_FACTOR_QUERIES):
        response = client.get(reverse("cases:case", args=[case.pk]))
    assert response.status_code == 200
    assert len(response.context["earlier_imrs"]) == count
    html = response.content.decode()
    assert html.count("Physical Therapy 2x8 for the Lumbar Spine: <strong>Upheld</strong>") == count
    assert html.count("<strong>Overturned</strong>") == count
    assert "Earlier IMRs of the same treatment on this claim" in html
    # Information only: the finding is not changed by earlier IMRs on other UR decisions.
    assert "Computed finding: <strong>eligible</strong>" in html
    assert Decision.UPHELD.label in html
    # Each earlier IMR shown is a read of that case's data: logged, like the page's own case.
    listed = AccessLogEntry.objects.exclude(case=case)
    assert listed.count() == count
    assert {entry.object_repr for entry in listed} == {"listed as an earlier IMR on CM15-0000001"}
    assert AccessLogEntry.objects.filter(case=case, action=AccessAction.VIEW_CASE).count() == 1
