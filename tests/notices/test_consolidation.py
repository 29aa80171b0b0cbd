"""Consolidation (8 CCR 9792.10.4): same employee, date of injury and requesting physician; one
NOARFI listing every item, split again before assignment; every change logged.

Bad inputs tried: a case of another employee, another date of injury, another physician; a case
whose NOARFI went already; the case itself; a case number that does not exist or is malformed
(form error); a split of a case that is not consolidated into this one; a split that would leave
the lead without an item of its own; a step taken on a consolidated case (refused, named); no
reason written. Every refusal leaves the cases and their items as they were.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from cases.errors import GuardError
from cases.models import CaseEvent, CaseEventKind, CaseStatus, DisputedItem, NoticeKind, Party, PartyRole
from cases.services import case_actions
from core.errors import DomainError
from determinations.models import Delivery, Notice
from tests.factories import DisputedItemFactory, make_seed_like_case
from tests.notices.support import notice_text

pytestmark = pytest.mark.django_db


def _second_application(**fields):
    """Another application of the seed's employee, same injury and physician, one other item."""
    other = make_seed_like_case(**fields)
    other.disputed_items.all().delete()
    DisputedItemFactory(
        case=other, position=1, description="Lumbar MRI without contrast", category="diagnostics"
    )
    return other


def _items(case) -> list[str]:
    return list(
        DisputedItem.objects.filter(case=case).order_by("position").values_list("description", flat=True)
    )


def test_consolidate_then_one_noarfi_lists_every_item(staff, django_capture_on_commit_callbacks):
    lead = make_seed_like_case()
    other = _second_application()
    lead_items = _items(lead)
    case_actions.consolidate(
        case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="Same RFA dispute"
    )
    assert _items(lead) == [*lead_items, "Lumbar MRI without contrast"]
    assert _items(other) == []
    other.refresh_from_db()
    assert other.consolidated_into_id == lead.pk and other.next_deadline is None
    for case in (lead, other):
        assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.CONSOLIDATED, actor=staff).exists()
    # A consolidated case takes no step of its own.
    with pytest.raises(DomainError, match="consolidated into another case"):
        case_actions.start_eligibility_review(case_id=other.pk, by=staff)
    with pytest.raises(DomainError, match="consolidated into another case"):
        case_actions.withdraw(case_id=other.pk, by=staff, reason="Withdrawn")
    # One NOARFI, for the lead, naming every item and the consolidated case.
    case_actions.start_eligibility_review(case_id=lead.pk, by=staff)
    case_actions.confirm_eligibility(case_id=lead.pk, by=staff)
    case_actions.send_notice_of_assignment(case_id=lead.pk, by=staff)
    notice = Notice.objects.get(kind=NoticeKind.NOARFI)
    assert notice.case_id == lead.pk
    text = notice_text(notice.pdf.read())
    for item in _items(lead):
        assert item in text
    assert f"Consolidated Case(s): {other.case_number}" in text
    assert Delivery.objects.filter(notice=notice).count() == 4  # one per party, not per application


def test_split_before_assignment_gives_the_items_back(staff):
    lead = make_seed_like_case()
    other = _second_application()
    before = _items(lead)
    case_actions.consolidate(
        case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="Same dispute"
    )
    case_actions.split_consolidation(
        case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="Filed apart"
    )
    assert _items(lead) == before and _items(other) == ["Lumbar MRI without contrast"]
    other.refresh_from_db()
    assert other.consolidated_into_id is None
    assert CaseEvent.objects.filter(case=other, kind=CaseEventKind.CONSOLIDATION_SPLIT).exists()
    # It continues on its own.
    case_actions.start_eligibility_review(case_id=other.pk, by=staff)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda other: Party.objects.filter(case=other, role=PartyRole.EMPLOYEE).update(name="Rosa Other"),
            "same employee",
        ),
        (
            lambda other: type(other).objects.filter(pk=other.pk).update(injury_date=date(2008, 1, 2)),
            "another date of injury",
        ),
        (
            lambda other: Party.objects.filter(case=other, role=PartyRole.REQUESTING_PROVIDER).update(
                npi="1245319599"
            ),
            "another requesting physician",
        ),
        (
            lambda other: type(other).objects.filter(pk=other.pk).update(status=CaseStatus.AWAITING_RECORDS),
            "NOARFI has not gone",
        ),
    ],
)
def test_refused_consolidations_change_nothing(staff, change, message):
    lead = make_seed_like_case()
    other = _second_application()
    change(other)
    before = (_items(lead), _items(other))
    with pytest.raises(GuardError, match=message):
        case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="Try")
    assert (_items(lead), _items(other)) == before
    assert not CaseEvent.objects.filter(kind=CaseEventKind.CONSOLIDATED).exists()


def test_other_bad_input(staff):
    lead = make_seed_like_case()
    other = _second_application()
    with pytest.raises(GuardError, match="into itself"):
        case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[lead.case_number], reason="x")
    with pytest.raises(GuardError, match="No case numbered CM99-9999999"):
        case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=["CM99-9999999"], reason="x")
    with pytest.raises(GuardError, match="Write the reason"):
        case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="  ")
    with pytest.raises(GuardError, match="No case is consolidated"):
        case_actions.split_consolidation(
            case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="x"
        )
    third = _second_application()
    case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="Same")
    with pytest.raises(GuardError, match=f"Not consolidated into {lead.case_number}: {third.case_number}"):
        case_actions.split_consolidation(
            case_id=lead.pk, by=staff, case_numbers=[third.case_number], reason="x"
        )
    # A lead cannot be consolidated into yet another case.
    with pytest.raises(GuardError, match="has cases consolidated into it"):
        case_actions.consolidate(case_id=third.pk, by=staff, case_numbers=[lead.case_number], reason="x")
    # After the reviewer is assigned, no split.
    type(lead).objects.filter(pk=lead.pk).update(status=CaseStatus.ASSIGNED)
    with pytest.raises(DomainError, match="cannot have cases split off"):
        case_actions.split_consolidation(
            case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="x"
        )


def test_case_page_offers_candidates_and_the_step(staff_client, staff):
    lead = make_seed_like_case()
    other = _second_application()
    page = staff_client.get(reverse("cases:case", args=[lead.pk])).content.decode()
    assert 'id="consolidation"' in page and other.case_number in page
    url = reverse("cases:action", args=[lead.pk, "consolidate"])
    bad = staff_client.post(
        url,
        {
            "consolidate-expected_from": "received",
            "consolidate-case_numbers": "not-a-number",
            "consolidate-reason": "x",
        },
    )
    assert bad.status_code == 400 and "Not a case number: NOT-A-NUMBER" in bad.content.decode()
    done = staff_client.post(
        url,
        {
            "consolidate-expected_from": "received",
            "consolidate-case_numbers": other.case_number,
            "consolidate-reason": "Same RFA",
        },
    )
    assert done.status_code == 302
    other_page = staff_client.get(reverse("cases:case", args=[other.pk])).content.decode()
    assert 'id="consolidated-into"' in other_page and lead.case_number in other_page
    lead_page = staff_client.get(reverse("cases:case", args=[lead.pk])).content.decode()
    assert f"filed under {other.case_number}" in lead_page


def test_the_letter_of_a_lead_names_its_consolidated_cases():
    from determinations.letters import build_letter_context
    from tests.determinations.letters_support import approved_seed_determination

    determination = approved_seed_determination()
    member = _second_application()
    type(member).objects.filter(pk=member.pk).update(consolidated_into=determination.case)
    header = dict(build_letter_context(determination=determination)["header"])
    assert header["Consolidated Case(s)"] == member.case_number
