"""Consolidate and split from the Case admin: the same services, the same refusals, the reason.

Tried: one case selected (refused, nothing asked), no reason (asked again, nothing changed), a
case of another date of injury (the service's refusal, nothing changed), a split of a case that
is not consolidated (named), a split with a reason (items back, event with the reason), and a
user without the workflow permission.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Case, CaseEvent, CaseEventKind, DisputedItem
from imr_site import roles
from tests.factories import DisputedItemFactory, UserFactory, make_seed_like_case

pytestmark = pytest.mark.django_db
URL = "admin:cases_case_changelist"


def _second_application() -> Case:
    other = make_seed_like_case()
    other.disputed_items.all().delete()
    DisputedItemFactory(
        case=other, position=1, description="Lumbar MRI without contrast", category="diagnostics"
    )
    return other


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def admin_staff(client):
    user = UserFactory(username="intake-admin", role=roles.INTAKE_STAFF, is_staff=True)
    client.force_login(user)
    return user


def test_consolidate_then_split_from_the_admin(client, admin_staff):
    lead = make_seed_like_case()
    other = _second_application()
    selection = {"action": "consolidate", "_selected_action": [lead.pk, other.pk]}

    asked = client.post(reverse(URL), selection)
    assert asked.status_code == 200 and b"Lead case" in asked.content
    assert lead.case_number.encode() in asked.content and other.case_number.encode() in asked.content

    empty = client.post(reverse(URL), {**selection, "apply": "1", "lead": lead.pk, "reason": "  "})
    assert empty.status_code == 200 and b"This field is required" in empty.content
    assert Case.objects.get(pk=other.pk).consolidated_into_id is None

    done = client.post(
        reverse(URL),
        {**selection, "apply": "1", "lead": lead.pk, "reason": "Same RFA, two forms"},
        follow=True,
    )
    assert f"{lead.case_number}: {other.case_number} consolidated into it." in _messages(done)
    assert Case.objects.get(pk=other.pk).consolidated_into_id == lead.pk
    assert DisputedItem.objects.filter(case=lead, origin_case=other).count() == 1
    event = CaseEvent.objects.get(case=other, kind=CaseEventKind.CONSOLIDATED)
    assert event.actor == admin_staff and "Same RFA, two forms" in event.reason

    # Split: the lead itself is not consolidated (named), the other goes back on its own.
    split = {"action": "split_consolidation", "_selected_action": [lead.pk, other.pk]}
    asked = client.post(reverse(URL), split)
    assert asked.status_code == 200 and b"Why are they split off?" in asked.content
    done = client.post(reverse(URL), {**split, "apply": "1", "reason": "Filed apart by mistake"}, follow=True)
    texts = _messages(done)
    assert f"{lead.case_number}: it is not consolidated into another case." in texts
    assert f"{lead.case_number}: {other.case_number} split off; each continues on its own." in texts
    assert Case.objects.get(pk=other.pk).consolidated_into_id is None
    assert list(DisputedItem.objects.filter(case=other).values_list("description", flat=True)) == [
        "Lumbar MRI without contrast"
    ]
    assert (
        "Filed apart by mistake"
        in CaseEvent.objects.get(case=other, kind=CaseEventKind.CONSOLIDATION_SPLIT).reason
    )
    # Both changes are in the access log, for each case touched.
    changed = set(
        AccessLogEntry.objects.filter(user=admin_staff, action=AccessAction.CHANGE).values_list(
            "case_id", "object_repr"
        )
    )
    assert (other.pk, f"admin action: consolidated into {lead.case_number} ({other.case_number})") in changed
    assert (lead.pk, f"admin action: split off {lead.case_number} ({lead.case_number})") in changed
    assert (other.pk, f"admin action: split off {lead.case_number} ({other.case_number})") in changed


def test_admin_refusals_are_the_services_and_change_nothing(client, admin_staff):
    lead = make_seed_like_case()
    other = _second_application()
    Case.objects.filter(pk=other.pk).update(injury_date=date(2009, 5, 6))
    alone = client.post(reverse(URL), {"action": "consolidate", "_selected_action": [lead.pk]}, follow=True)
    assert "Select the lead case and at least one case to consolidate into it." in _messages(alone)
    refused = client.post(
        reverse(URL),
        {
            "action": "consolidate",
            "_selected_action": [lead.pk, other.pk],
            "apply": "1",
            "lead": lead.pk,
            "reason": "x",
        },
        follow=True,
    )
    assert (
        f"{lead.case_number}: Case {other.case_number} has another date of injury (05/06/2009)."
        in _messages(refused)
    )
    assert Case.objects.get(pk=other.pk).consolidated_into_id is None
    assert not CaseEvent.objects.filter(kind=CaseEventKind.CONSOLIDATED).exists()


def test_admin_consolidation_needs_the_workflow_permission(client):
    qa = UserFactory(username="qa-admin", role=roles.CLINICAL_QA, is_staff=True)
    qa.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    client.force_login(qa)
    lead = make_seed_like_case()
    other = _second_application()
    response = client.post(
        reverse(URL),
        {
            "action": "consolidate",
            "_selected_action": [lead.pk, other.pk],
            "apply": "1",
            "lead": lead.pk,
            "reason": "x",
        },
        follow=True,
    )
    assert "You may not move cases through the workflow." in _messages(response)
    assert Case.objects.get(pk=other.pk).consolidated_into_id is None
