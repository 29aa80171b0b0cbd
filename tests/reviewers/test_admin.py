"""Reviewer, specialty-rule and assignment admin.

Bad inputs tried: a non-numeric reviewer id in the change URL (no 500), trying to add or
edit an assignment through the admin (refused: assignments go through the services).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from imr_site import roles
from reviewers.models import Assignment, Reviewer, SpecialtyRule
from reviewers.services.assignment import assign_case_automatically
from tests.factories import LicenseFactory, UserFactory
from tests.reviewers.helpers import affiliate, qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    return client


def test_reviewer_list_shows_load_and_warnings(admin_client, django_assert_max_num_queries):
    busy = qualified_reviewer(max_open_cases=2)
    assign_case_automatically(case_id=ready_case().pk)
    expiring = qualified_reviewer()
    LicenseFactory(reviewer=expiring, state="NV", position=5, expires_on=date.today() + timedelta(days=10))
    due = qualified_reviewer(hours_attested_on=date.today() - timedelta(days=350))
    for _ in range(20):
        r = qualified_reviewer()
        affiliate(r, "Somewhere Inc.")
    url = reverse("admin:reviewers_reviewer_changelist")
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 / 2" in body
    assert "license expiring" in body and "attestation due" in body

    filtered = admin_client.get(url, {"warning": "license"}).content.decode()
    assert expiring.reviewer_number in filtered and busy.reviewer_number not in filtered
    filtered = admin_client.get(url, {"warning": "attestation"}).content.decode()
    assert due.reviewer_number in filtered and expiring.reviewer_number not in filtered
    filtered = admin_client.get(url, {"warning": "any"}).content.decode()
    assert due.reviewer_number in filtered and expiring.reviewer_number in filtered


def test_reviewer_change_page_warns(admin_client):
    reviewer = qualified_reviewer(hours_attested_on=date.today() - timedelta(days=370))
    LicenseFactory(reviewer=reviewer, state="NV", position=5, expires_on=date.today() + timedelta(days=3))
    affiliate(reviewer, "Golden State Claims Services")
    response = admin_client.get(reverse("admin:reviewers_reviewer_change", args=[reviewer.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Practice-hours attestation lapsed" in body
    assert f"License NV {reviewer.licenses.get(state='NV').number} expires on" in body
    assert "Golden State Claims Services" in body  # the affiliations inline
    assert admin_client.get("/admin/reviewers/reviewer/abc/change/").status_code in (302, 404)


def test_specialty_rules_are_editable(admin_client):
    url = reverse("admin:reviewers_specialtyrule_changelist")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        reverse("admin:reviewers_specialtyrule_add"),
        {"category": "surgery", "body_region": "foot", "specialty": "Podiatry"},
    )
    assert response.status_code == 302
    assert SpecialtyRule.objects.filter(category="surgery", body_region="foot", specialty="Podiatry").exists()


def test_assignment_admin_is_read_only(admin_client):
    qualified_reviewer()
    conflicted = qualified_reviewer()
    affiliate(conflicted, "Central Valley Packing")
    Reviewer.objects.filter(pk=conflicted.pk).update(reviewer_number="R00001")  # considered first
    assignment = assign_case_automatically(case_id=ready_case().pk)
    assert assignment is not None
    response = admin_client.get(reverse("admin:reviewers_assignment_change", args=[assignment.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Candidates considered" in body and "R00001" in body and "Central Valley Packing" in body
    assert admin_client.get(reverse("admin:reviewers_assignment_add")).status_code == 403
    assert admin_client.get(reverse("admin:reviewers_assignment_changelist")).status_code == 200
    assert Assignment.objects.count() == 1
