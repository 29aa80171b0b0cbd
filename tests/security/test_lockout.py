"""Throttling and lockout (django-axes), issue 13. Attack tried: 30 wrong passwords, then the right one."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse

from imr_site import roles
from tests.factories import UserFactory
from tests.second_factor import PASSWORD

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (attacker test)"


def attempt(client: Client, username: str, password: str, ip: str = "198.51.100.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_USER_AGENT=UA
    )


def test_thirty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(settings):
    user = UserFactory(username="target", role=roles.INTAKE_STAFF)
    client = Client()
    answers = [attempt(client, user.username, f"guess-{n}").status_code for n in range(30)]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(answers[limit:]) == {429}

    right = attempt(client, user.username, PASSWORD)
    assert right.status_code == 429
    body = right.content.decode()
    assert "Too many failed log-ins" in body and "Log-in is locked until" in body
    assert "_auth_user_id" not in client.session

    # logged with address and user agent
    record = AccessAttempt.objects.get(username="target")
    assert record.ip_address == "198.51.100.7" and record.user_agent == UA
    assert record.failures_since_start >= limit
    assert AccessFailureLog.objects.filter(username="target", locked_out=True, user_agent=UA).exists()


def test_wrong_passwords_from_one_address_lock_that_address_for_every_username(settings):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"nobody{n}", "wrong-password", ip="203.0.113.9")
    victim = UserFactory(username="victim", role=roles.INTAKE_STAFF)
    assert attempt(client, victim.username, PASSWORD, ip="203.0.113.9").status_code == 429
    # the same user from another address is not locked out
    assert attempt(Client(), victim.username, PASSWORD, ip="203.0.113.10").status_code == 302


def test_a_successful_log_in_is_logged_with_address_and_user_agent():
    UserFactory(username="ok.user", role=roles.INTAKE_STAFF)
    assert attempt(Client(), "ok.user", PASSWORD).status_code == 302
    entry = AccessLog.objects.get(username="ok.user")
    assert entry.ip_address == "198.51.100.7" and entry.user_agent == UA


def test_an_administrator_unlocks_through_the_admin(client, settings):
    user = UserFactory(username="locked.user", role=roles.INTAKE_STAFF)
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), user.username, f"guess-{n}")
    assert attempt(Client(), user.username, PASSWORD).status_code == 429

    admin = UserFactory(username="administrator", role=roles.ADMINISTRATOR)  # the role, not a superuser
    client.force_login(admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert "locked.user" in client.get(changelist).content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt(Client(), user.username, PASSWORD).status_code == 302
