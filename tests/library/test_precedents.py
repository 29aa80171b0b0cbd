"""The precedent panel in the reviewer's decision form: nearest past items, read-only, logged."""

from __future__ import annotations

from datetime import date

import pytest

from cases.models import AccessAction, AccessLogEntry, ItemCategory
from determinations.models import Decision
from library.selectors import precedents_for_item
from library.services.publication import publish_determination
from tests.determinations.review_support import case_for_review
from tests.library.support import make_issued_case

pytestmark = pytest.mark.django_db


def _publish(number: int, *, category, description, decision, rationale="Reason given.") -> None:
    determination = make_issued_case(
        case_number=f"CM25-{number:07d}",
        items=[(category, description, decision, rationale)],
        issued_on=date(2025, 1, 1 + number % 28),
    )
    publish_determination(determination_id=determination.pk, make_letter=False)


@pytest.fixture
def past_decisions():
    _publish(
        1,
        category=ItemCategory.PHYSICAL_MEDICINE,
        description="Physical Therapy 2x8 for the Lumbar Spine",
        decision=Decision.OVERTURNED,
        rationale="Functional gains documented after Wilhelmina's therapy.",
    )
    _publish(
        2,
        category=ItemCategory.PHYSICAL_MEDICINE,
        description="Physical therapy 12 sessions lumbar spine",
        decision=Decision.UPHELD,
    )
    _publish(
        3,
        category=ItemCategory.PHYSICAL_MEDICINE,
        description="Aquatic therapy 6 visits",
        decision=Decision.UPHELD,
    )
    _publish(
        4,
        category=ItemCategory.INJECTIONS,
        description="Trigger point injections x6 lumbar paraspinals",
        decision=Decision.UPHELD,
    )


def test_nearest_items_of_the_same_category_with_the_overturn_rate(past_decisions):
    case, _assignment = case_for_review()
    item = case.disputed_items.get(position=1)  # Physical Therapy 2x8 for the Lumbar Spine
    panel = precedents_for_item(item=item)
    numbers = [p.case_number for p in panel.precedents]
    assert "CM25-0000004" not in numbers  # another category
    assert numbers[0] == "CM25-0000001"  # the same treatment text
    assert set(numbers[:2]) == {"CM25-0000001", "CM25-0000002"}
    assert panel.overturn_rate == round(100 * 1 / panel.pool_size)
    first = panel.precedents[0]
    assert first.decision == Decision.OVERTURNED
    assert first.guideline.startswith("MTUS")
    # Published text only: the other case's employee was redacted when it was published.
    assert "Wilhelmina" not in first.excerpt and "injured worker" in first.excerpt


def test_the_reviewer_sees_the_panel_in_the_form_and_it_is_logged(client, past_decisions):
    case, assignment = case_for_review()
    client.force_login(assignment.reviewer.user)
    response = client.get(f"/review/cases/{case.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    item = case.disputed_items.get(position=1)
    assert f'id="precedents-{item.pk}"' in body
    assert "How similar items were decided" in body
    assert "/decisions/CM25-0000001/letter.pdf" in body
    assert "Overturned in" in body
    assert "Wilhelmina" not in body and "Oyelaran" not in body
    entry = AccessLogEntry.objects.get(action=AccessAction.SEARCH, object_repr__startswith="precedents shown")
    assert entry.user == assignment.reviewer.user and case.case_number in entry.object_repr
    # The case file's own view entry stays the only one on the case.
    assert AccessLogEntry.objects.get(case=case).action == AccessAction.VIEW_CASE


def test_no_panel_before_the_reviewer_accepts(client, past_decisions):
    from reviewers.models import AssignmentStatus

    case, assignment = case_for_review(status="assigned", assignment_status=AssignmentStatus.OFFERED)
    client.force_login(assignment.reviewer.user)
    body = client.get(f"/review/cases/{case.pk}/").content.decode()
    assert "How similar items were decided" not in body


def test_panel_queries_do_not_grow_with_the_library(client, django_assert_max_num_queries):
    case, assignment = case_for_review()
    client.force_login(assignment.reviewer.user)
    for number in range(2):
        _publish(
            number, category=ItemCategory.PHYSICAL_MEDICINE, description="Physical therapy", decision="upheld"
        )
    url = f"/review/cases/{case.pk}/"
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for number in range(2, 40):
        _publish(
            number, category=ItemCategory.PHYSICAL_MEDICINE, description="Physical therapy", decision="upheld"
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
