"""Session lifetime (issue 13): idle logoff, browser-close cookies, an absolute lifetime, a
server-side logout. Attack tried: an expired idle session (the clock moved with time-machine)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from imr_site import roles
from tests.factories import UserFactory, make_seed_like_case
from tests.second_factor import PASSWORD, current_token, totp_device

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def staff_user():
    return UserFactory(username="intake.session", role=roles.INTAKE_STAFF)


@pytest.fixture
def case():
    return make_seed_like_case()


def log_in(user) -> Client:
    """Both steps through the pages, as a person logs in."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # ends when the browser closes
    assert cookie["secure"] is True and cookie["httponly"] is True
    response = client.post(reverse("second_factor"), {"token": current_token(totp_device(user))})
    assert response.status_code == 302
    return client


def test_an_idle_session_is_logged_off_on_the_server(time_machine, settings, staff_user, case):
    assert settings.SESSION_IDLE_TIMEOUT == 900
    time_machine.move_to(START, tick=False)
    client = log_in(staff_user)
    url = reverse("cases:case", args=[case.pk])
    assert client.get(url).status_code == 200
    key = client.session.session_key

    time_machine.move_to(START + timedelta(seconds=899), tick=False)
    assert client.get(url).status_code == 200  # activity: the idle clock starts again

    time_machine.move_to(START + timedelta(seconds=899 + 901), tick=False)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "You were logged out after 15 minutes without activity" in page
    assert client.get(url).status_code == 302


def test_the_absolute_lifetime_ends_an_active_session(time_machine, settings, staff_user, case):
    assert settings.SESSION_ABSOLUTE_LIFETIME <= 12 * 3600
    time_machine.move_to(START, tick=False)
    client = log_in(staff_user)
    url = reverse("cases:case", args=[case.pk])
    moment = START
    while moment < START + timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME - 600):
        moment += timedelta(minutes=10)
        time_machine.move_to(moment, tick=False)
        assert client.get(url).status_code == 200, moment
    time_machine.move_to(START + timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME + 1), tick=False)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "time limit" in client.get(response["Location"]).content.decode()


def test_pages_carry_the_idle_countdown_and_the_keepalive_restarts_it(time_machine, staff_user):
    time_machine.move_to(START, tick=False)
    client = log_in(staff_user)
    time_machine.move_to(START + timedelta(seconds=600), tick=False)
    page = client.get(reverse("cases:queues")).content.decode()
    assert 'data-idle-seconds-left="900"' in page  # this request counted as activity
    assert 'src="/static/js/idle-logoff.js"' in page and 'id="idle-warning"' in page
    time_machine.move_to(START + timedelta(seconds=610), tick=False)
    assert client.post(reverse("session_keepalive")).json() == {"seconds_left": 900}


def test_logout_is_a_post_that_flushes_the_session_on_the_server(staff_user):
    client = log_in(staff_user)
    key = client.session.session_key
    assert client.get(reverse("logout")).status_code == 405
    assert Session.objects.filter(session_key=key).exists()
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(reverse("cases:queues")).status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_idle_warning_shows_and_stay_logged_in_keeps_the_session(page, settings, staff_user):
    from tests.second_factor import browser_login

    settings.SESSION_IDLE_TIMEOUT = 62  # the warning (a minute before) shows within seconds
    browser_login(page, staff_user)
    page.goto(reverse("cases:queues"))
    warning = page.locator("#idle-warning")
    warning.wait_for(state="visible")
    assert "You will be logged out in" in warning.inner_text()
    with page.expect_response(lambda r: r.url.endswith(reverse("session_keepalive"))) as answer:
        page.get_by_role("button", name="Stay logged in").click()
    assert answer.value.status == 200 and answer.value.json()["seconds_left"] >= 60
    page.goto(reverse("cases:queues"))
    assert page.url.endswith(reverse("cases:queues"))
