"""The workflow admin actions: thin calls to the services, with a result per case.

Tried: a mix of cases where the step is allowed for one and refused for the other, and a
user without the transition permission.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from cases import admin_actions
from cases.models import Case, CaseStatus
from imr_site import roles
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


class Recorder(admin.ModelAdmin):
    def __init__(self):
        self.messages: list[tuple[str, int]] = []

    def message_user(self, request, message, level=20, *args, **kwargs):
        self.messages.append((str(message), level))


def make_request(user):
    request = RequestFactory().post("/admin/cases/case/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_action_reports_each_case():
    staff = UserFactory(role=roles.INTAKE_STAFF)
    ok = CaseFactory(case_number="CM15-0000001")
    refused = CaseFactory(case_number="CM15-0000002", status=CaseStatus.CLOSED)
    modeladmin = Recorder()
    admin_actions.start_eligibility_review(
        modeladmin, make_request(staff), Case.objects.filter(pk__in=[ok.pk, refused.pk])
    )
    assert Case.objects.get(pk=ok.pk).status == CaseStatus.ELIGIBILITY_REVIEW
    assert Case.objects.get(pk=refused.pk).status == CaseStatus.CLOSED
    texts = [text for text, _level in modeladmin.messages]
    assert texts[0] == "CM15-0000001: eligibility review started."
    assert texts[1].startswith("CM15-0000002: ") and "cannot" in texts[1]
    assert [level for _text, level in modeladmin.messages] == [25, 40]


def test_action_needs_the_transition_permission():
    qa = UserFactory(role=roles.CLINICAL_QA)
    case = CaseFactory()
    modeladmin = Recorder()
    admin_actions.start_eligibility_review(modeladmin, make_request(qa), Case.objects.filter(pk=case.pk))
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED
    assert "may not" in modeladmin.messages[0][0]


def test_every_action_is_listed():
    names = {action.__name__ for action in admin_actions.CASE_ACTIONS}
    assert {"withdraw", "terminate", "convert_to_expedited", "remand", "mark_records_complete"} <= names
    assert all(callable(action) and action.short_description for action in admin_actions.CASE_ACTIONS)


def test_withdraw_action_asks_for_a_reason_then_withdraws(client):
    """Tried: no reason (the page asks again, nothing changes), then a reason (withdrawn, reason logged)."""
    staff = UserFactory(role=roles.INTAKE_STAFF)
    case = CaseFactory(case_number="CM15-0000009", status=CaseStatus.ELIGIBILITY_REVIEW)
    client.force_login(staff)
    url = reverse("admin:cases_case_changelist")
    selection = {"action": "withdraw", "_selected_action": [case.pk]}

    asked = client.post(url, selection)
    assert asked.status_code == 200
    assert b"Why are they withdrawn?" in asked.content

    empty = client.post(url, {**selection, "apply": "1", "reason": "   "})
    assert empty.status_code == 200
    assert b"This field is required" in empty.content
    case.refresh_from_db()
    assert case.status == CaseStatus.ELIGIBILITY_REVIEW

    done = client.post(url, {**selection, "apply": "1", "reason": "The employee withdrew by letter."})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    event = case.events.filter(to_status=CaseStatus.WITHDRAWN).get()
    assert (event.actor, event.reason) == (staff, "The employee withdrew by letter.")
