"""Logging in as a real user does, second factor included (pytest runs with DEBUG off, so the
second factor is required).

- `SecondFactorClient`: Django's test client whose `force_login` also passes the second factor
  with the user's real TOTP device (django_otp.login, as the token step does). conftest's
  `client` fixture is one.
- `browser_login(page, user)`: the log-in form, then the code from the user's authenticator app
  (a real TOTP device and a real token; a backup code when that token was used already).
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "pass-word-123"  # tests.factories.UserFactory's password


def totp_device(user) -> TOTPDevice:
    """The user's enrolled authenticator app (made, confirmed, if the user has none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_now(device: TOTPDevice) -> TOTP:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return totp


def current_token(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    return f"{totp_now(device).token():0{device.digits}d}"


def fresh_code(user) -> str:
    """A code the second-factor step accepts now: the app's, or a new backup code when the app's
    current code was used already (tokens are single use)."""
    device = totp_device(user)
    device.refresh_from_db()
    if device.last_t < totp_now(device).t():
        return current_token(device)
    backup, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
    token = StaticToken.random_token()
    backup.token_set.create(token=token)
    return token


class SecondFactorClient(Client):
    """force_login = the password step and the second factor (with the user's real device)."""

    def _login(self, user, backend=None):
        request = HttpRequest()
        if self.session:
            request.session = self.session
        else:
            request.session = import_module(settings.SESSION_ENGINE).SessionStore()
        login(request, user, backend)
        request.user = user  # login() sets it only on a request that had one
        otp_login(request, totp_device(user))
        assert request.session.get(DEVICE_ID_SESSION_KEY), "the second factor did not take"
        request.session.save()
        self._set_login_cookies(request)


def browser_login(page, user, password: str = PASSWORD) -> None:
    """Log in through the pages: username and password, then the code from the app."""
    totp_device(user)  # enrolled before (tests/security covers enrolling through the pages)
    page.goto(reverse("login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith(reverse("second_factor")), (
        page.url,
        page.locator("main").inner_text(),
    )
    page.get_by_label("Code").fill(fresh_code(user))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


# Every request of a logged-in user reads the session's OTP device once (django-otp's middleware:
# a device deleted by an administrator ends the sessions it verified). Query-count tests of pages
# add it to what the page itself costs.
SECOND_FACTOR_QUERIES = 1
