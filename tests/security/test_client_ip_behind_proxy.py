"""The client's address behind a reverse proxy: one rule (imr_site/client_ip.py, django-ipware)
for the lockout (django-axes) and the access log.

Attacks tried: with TRUSTED_PROXY_COUNT off, a client rotating a forged X-Forwarded-For on every
wrong password (the lock still falls on its real address, and the access log records that
address); with it on (one proxy that appends the peer's address), two people behind the same
proxy (one locked, the other still logs in), and a locked client writing its own X-Forwarded-For
in front of the one the proxy appends (still locked). Odd headers tried: empty, garbage, IPv6.
"""

from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from cases.models import AccessLogEntry
from cases.services.audit import request_context
from imr_site import roles
from imr_site.client_ip import client_ip
from tests.factories import UserFactory, make_seed_like_case
from tests.second_factor import PASSWORD, SecondFactorClient

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the reverse proxy: every request through it comes from this address


def through_proxy(client_address: str, sent_header: str = "") -> dict[str, str]:
    """The request's META as the site sees it behind one proxy that appends the peer's address
    to X-Forwarded-For (nginx's $proxy_add_x_forwarded_for)."""
    forwarded = f"{sent_header}, {client_address}" if sent_header else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def wrong_password(client: Client, username: str, **meta):
    return client.post(reverse("login"), {"username": username, "password": "wrong-password"}, **meta)


def right_password(client: Client, username: str, **meta):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, **meta)


def test_off_by_default_a_forged_forwarded_for_changes_nothing(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    attacker = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # A new forged address on every try: were it believed, no address would ever be locked.
        wrong_password(attacker, f"nobody{n}", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    victim = UserFactory(username="victim_off", role=roles.INTAKE_STAFF)
    locked = right_password(
        attacker, victim.username, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.250"
    )
    assert locked.status_code == 429

    # The access log records the same address.
    staff = UserFactory(role=roles.INTAKE_STAFF)
    reader = SecondFactorClient()
    reader.force_login(staff)
    case = make_seed_like_case()
    page = reader.get(
        reverse("cases:case", args=[case.pk]), REMOTE_ADDR="203.0.113.6", HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    assert page.status_code == 200
    assert AccessLogEntry.objects.get(user=staff, case=case).ip_address == "203.0.113.6"


def test_behind_the_proxy_two_clients_are_locked_separately(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    first, second = Client(), Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        wrong_password(first, f"nobody{n}", **through_proxy("198.51.100.20"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.20"}

    user = UserFactory(username="colleague", role=roles.INTAKE_STAFF)
    # The first client's address is locked, for every username, whatever it writes in the header.
    assert right_password(first, user.username, **through_proxy("198.51.100.20")).status_code == 429
    forged = through_proxy("198.51.100.20", sent_header="192.0.2.77")
    assert right_password(first, user.username, **forged).status_code == 429
    # The second client behind the same proxy (same REMOTE_ADDR) is not: it logs in.
    answer = right_password(second, user.username, **through_proxy("198.51.100.30"))
    assert answer.status_code == 302  # on to the second factor
    assert second.session["_auth_user_id"] == str(user.pk)


def test_behind_the_proxy_the_access_log_records_the_address_axes_locks(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    staff = UserFactory(role=roles.INTAKE_STAFF)
    reader = SecondFactorClient()
    reader.force_login(staff)
    case = make_seed_like_case()
    meta = through_proxy("198.51.100.40", sent_header="192.0.2.9")
    assert reader.get(reverse("cases:case", args=[case.pk]), **meta).status_code == 200
    assert AccessLogEntry.objects.get(user=staff, case=case).ip_address == "198.51.100.40"


@pytest.mark.parametrize("proxies", [0, 1, 2])
@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "203.0.113.5"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.20"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "192.0.2.1, 198.51.100.20"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.20, 10.0.0.1"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": ""},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "not-an-address, <script>"},
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "2001:db8::1"},
    ],
)
def test_one_rule_for_axes_and_the_access_log(settings, proxies, meta):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", **meta)
    assert get_client_ip_address(request) == client_ip(request) == request_context(request).ip_address


def test_which_entry_is_the_client():
    factory = RequestFactory()

    def address(proxies: int, forwarded: str) -> str | None:
        from django.test import override_settings

        with override_settings(TRUSTED_PROXY_COUNT=proxies):
            return client_ip(factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded))

    assert address(0, "198.51.100.20") == PROXY
    assert address(1, "198.51.100.20") == "198.51.100.20"
    assert address(1, "192.0.2.1, 198.51.100.20") == "198.51.100.20"  # a forged entry on the left
    # Two proxies: the outer one appended the client, the inner one the outer proxy.
    assert address(2, "192.0.2.1, 198.51.100.20, 10.0.0.1") == "198.51.100.20"
    # Fewer entries than proxies (the request skipped one): the header is not believed.
    assert address(2, "198.51.100.20") == PROXY
    assert address(1, "") == PROXY
    assert address(1, "not-an-address") == PROXY
    assert address(1, "2001:db8::1") == "2001:db8::1"
