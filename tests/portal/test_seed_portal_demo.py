"""`seed_portal_demo` after `seed_demo`, twice: one organization, its user, its linked cases.
Bad input tried: running it before seed_demo (a clear error, nothing written)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases.models import CaseStatus
from portal.models import CaseLink, Membership, Organization
from tests.second_factor import SecondFactorClient

pytestmark = pytest.mark.django_db


def test_the_portal_demo_before_seed_demo_is_refused():
    with pytest.raises(CommandError, match="seed_demo first"):
        call_command("seed_portal_demo", stdout=io.StringIO())
    assert not Organization.objects.exists()


def test_the_portal_demo_twice():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_portal_demo", stdout=out)
    call_command("seed_portal_demo", stdout=io.StringIO())
    assert "adjuster / imr-demo-2026" in out.getvalue() and "/portal/p/" in out.getvalue()
    organization = Organization.objects.get()
    links = CaseLink.objects.filter(organization=organization)
    assert links.filter(case__case_number="CM15-0041877").exists()
    assert links.filter(case__status=CaseStatus.AWAITING_RECORDS).exists()
    client = SecondFactorClient()
    client.force_login(Membership.objects.get().user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "CM15-0041877" in page
