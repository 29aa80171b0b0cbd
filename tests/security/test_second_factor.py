"""The second factor (issue 13): pytest runs with DEBUG off, so it is required here as in production.

Attacks tried: a password-only session on a case page and on the admin, a wrong code, a backup
code used twice, a password-only session trying to enroll a device of its own.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from imr_site import roles
from tests.factories import UserFactory, make_seed_like_case
from tests.second_factor import PASSWORD, current_token, totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user():
    return UserFactory(username="intake.otp", role=roles.INTAKE_STAFF)


@pytest.fixture
def case():
    return make_seed_like_case()


def password_only(user) -> Client:
    """A plain client that logged in with the password through the form, and nothing more."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_a_password_only_session_is_refused_on_a_case_page(settings, staff_user, case):
    assert settings.DEBUG is False and settings.OTP_REQUIRED is True
    totp_device(staff_user)
    client = password_only(staff_user)
    url = reverse("cases:case", args=[case.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('second_factor')}?next=%2Fcases%2F{case.pk}%2F"
    assert case.case_number not in client.get(url, follow=True).content.decode()
    # and the admin too
    staff_user.is_staff = True
    staff_user.save()
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("second_factor"))
    # log-out needs no second factor, and ends the session on the server
    key = client.session.session_key
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_a_password_only_session_without_a_device_is_sent_to_enroll(staff_user, case):
    client = password_only(staff_user)
    response = client.get(reverse("cases:case", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_setup"))


def test_enrollment_with_a_qr_code_then_the_case_page_opens(staff_user, case):
    client = password_only(staff_user)
    page = client.get(reverse("second_factor_setup"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f'src="{reverse("second_factor_qr")}"' in body
    pending = TOTPDevice.objects.get(user=staff_user, confirmed=False)
    qr = client.get(reverse("second_factor_qr"))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    assert "no-store" in qr["Cache-Control"]
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', body).group(1)
    assert secret and pending.config_url.find(f"secret={secret}") > 0

    done = client.post(
        reverse("second_factor_setup"), {"token": current_token(pending), "next": reverse("cases:queues")}
    )
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.filter(device__user=staff_user).values_list("token", flat=True)) == set(
        codes
    )
    pending.refresh_from_db()
    assert pending.confirmed
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 200


def test_enrollment_refuses_a_wrong_code(staff_user):
    client = password_only(staff_user)
    client.get(reverse("second_factor_setup"))
    pending = TOTPDevice.objects.get(user=staff_user, confirmed=False)
    wrong = f"{(int(current_token(pending)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("second_factor_setup"), {"token": wrong})
    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    pending.refresh_from_db()
    assert not pending.confirmed
    assert client.get(reverse("cases:queues"))["Location"].startswith(reverse("second_factor_setup"))


def test_the_right_totp_passes_and_opens_the_page_asked_for(staff_user, case):
    device = totp_device(staff_user)
    client = password_only(staff_user)
    url = reverse("cases:case", args=[case.pk])
    response = client.post(reverse("second_factor"), {"token": current_token(device), "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert client.get(url).status_code == 200


def test_a_wrong_totp_fails(staff_user, case):
    device = totp_device(staff_user)
    client = password_only(staff_user)
    wrong = f"{(int(current_token(device)) + 1) % 1_000_000:06d}"
    for token in (wrong, "abc", ""):
        response = client.post(reverse("second_factor"), {"token": token})
        assert response.status_code == 200
        assert (
            "This field is required" in response.content.decode() or "not right" in response.content.decode()
        )
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 302


def test_a_backup_code_works_once(staff_user, case):
    totp_device(staff_user)
    backup = StaticDevice.objects.create(user=staff_user, name="Backup codes")
    backup.token_set.create(token="k3m4n5p6")
    url = reverse("cases:case", args=[case.pk])

    client = password_only(staff_user)
    response = client.post(reverse("second_factor"), {"token": "K3M4 N5P6", "next": url}, follow=True)
    assert response.status_code == 200 and case.case_number in response.content.decode()
    assert "You used a backup code; 0 left" in response.content.decode()
    client.post(reverse("logout"))

    again = password_only(staff_user)
    response = again.post(reverse("second_factor"), {"token": "k3m4n5p6", "next": url})
    assert response.status_code == 200 and "not right, or it was used already" in response.content.decode()
    assert again.get(url).status_code == 302


def test_a_password_only_session_cannot_enroll_a_device_of_its_own(staff_user):
    # An attacker with the password must not replace the user's authenticator app.
    device = totp_device(staff_user)
    client = password_only(staff_user)
    response = client.get(reverse("second_factor_setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor") + "?")
    assert client.get(reverse("second_factor_qr")).status_code == 403
    assert list(TOTPDevice.objects.filter(user=staff_user)) == [device]


def test_backup_codes_are_renewed_only_after_the_second_factor(client, staff_user):
    assert password_only(staff_user).post(reverse("second_factor_backup_codes")).status_code == 302
    client.force_login(staff_user)  # both steps
    response = client.post(reverse("second_factor_backup_codes"))
    assert response.status_code == 200
    assert len(re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())) == 10


def test_the_demo_without_otp_required_lets_a_password_only_session_in(settings, staff_user, case):
    # DEBUG=true (make demo) turns OTP_REQUIRED off: demo users log in with the password alone,
    # unless they enrolled a device.
    settings.OTP_REQUIRED = False
    client = password_only(staff_user)
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 200
    totp_device(staff_user)
    assert client.get(reverse("cases:case", args=[case.pk])).status_code == 302
