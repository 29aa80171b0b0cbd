"""The demo data: `seed_demo` twice, `demo_logins`.

Bad inputs tried: running the seed a second time (must change nothing and not fail), a
wrong password for a demo user (refused), a demo file with an unknown key (refused with the
file and case named, nothing written).
"""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from cases.errors import IntakeError
from cases.models import AccessLogEntry, Case, CaseEvent, CaseStatus, Document, Party
from exchange.services.demo import (
    DEMO_PASSWORD,
    DEMO_REVIEWERS,
    DEMO_USERS,
    demo_case_payloads,
    seed_demo_data,
)
from imr_site import roles
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from tests.second_factor import fresh_code, totp_device

pytestmark = pytest.mark.django_db

COUNTED = [get_user_model(), Reviewer, Case, Party, CaseEvent, Assignment, Document, AccessLogEntry]


def snapshot() -> dict:
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    counts["passwords"] = dict(get_user_model().objects.values_list("username", "password"))
    counts["statuses"] = dict(Case.objects.values_list("case_number", "status"))
    return counts


def test_seed_runs_twice_and_the_second_run_changes_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == first
    assert "0 cases imported" in out.getvalue()
    assert first["Case"] == len(demo_case_payloads()) >= 8


def test_seed_case_and_the_cases_in_each_state():
    call_command("seed_demo", stdout=io.StringIO())
    seed = Case.objects.get(case_number="CM15-0041877")
    assert seed.disputed_items.count() == 2
    assert seed.status == CaseStatus.DETERMINATION_ISSUED
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {
        CaseStatus.RECEIVED,
        CaseStatus.ELIGIBILITY_REVIEW,
        CaseStatus.AWAITING_RECORDS,
        CaseStatus.READY_FOR_ASSIGNMENT,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_REVIEW,
        CaseStatus.INELIGIBLE,
    } <= statuses
    assert Case.objects.filter(priority="expedited").exists()
    assert Case.objects.filter(disputed_items__formulary_drug=True).exists()
    # Each demo file's name says the state its case ends in.
    for name, payload in demo_case_payloads():
        history = payload.get("history")
        if history:
            assert Case.objects.get(case_number=payload["case_number"]).status == history[-1]["status"], name


def test_seed_reviewer_has_the_seed_credentials_and_the_assigned_cases():
    call_command("seed_demo", stdout=io.StringIO())
    reviewer = Reviewer.objects.get(user__username="reviewer")
    assert list(reviewer.licenses.values_list("state", flat=True)) == ["GA", "CA", "TX"]
    assert list(reviewer.certifications.values_list("specialty", flat=True)) == [
        "Preventive Medicine",
        "Occupational Medicine",
    ]
    assert reviewer.in_practice_since.year == 2000
    assert reviewer.weekly_practice_hours == 40
    held = Assignment.objects.active().filter(reviewer=reviewer)
    assert {a.status for a in held} == {AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED}
    specialties = set(
        Reviewer.objects.exclude(pk=reviewer.pk).values_list("certifications__specialty", flat=True)
    )
    assert {
        "Orthopaedic Surgery",
        "Physical Medicine and Rehabilitation",
        "Pain Medicine",
        "Psychiatry",
    } <= specialties
    assert Reviewer.objects.filter(affiliations__isnull=False).distinct().count() >= 2


def _log_in(client, username: str, password: str):
    """The log-in form as a person posts it (django-axes needs the request, so not client.login)."""
    return client.post(reverse("login"), {"username": username, "password": password})


def test_each_role_user_exists_and_can_log_in(client):
    # DEBUG is off in the tests, so each log-in also passes the second factor with a real code.
    call_command("seed_demo", stdout=io.StringIO())
    for spec in DEMO_USERS:
        user = get_user_model().objects.get(username=spec.username)
        assert user.groups.filter(name=spec.role).exists()
        assert user.is_staff == (spec.role in roles.ADMIN_CONSOLE_ROLES)
        totp_device(user)
        assert _log_in(client, spec.username, DEMO_PASSWORD).status_code == 302, spec.username
        response = client.get("/")  # the password alone opens nothing: on to the second factor
        assert response["Location"].startswith(reverse("second_factor")), spec.username
        response = client.post(reverse("second_factor"), {"token": fresh_code(user), "next": "/"})
        assert response.status_code == 302 and response["Location"] == "/", spec.username
        response = client.get("/")
        assert response.status_code == 302  # home sends each role to its workspace
        assert not response["Location"].startswith("/accounts/"), spec.username
        client.post(reverse("logout"))
        refused = _log_in(client, spec.username, "wrong-password")
        assert refused.status_code == 200 and "correct username and password" in refused.content.decode()
    for spec in DEMO_REVIEWERS:
        response = _log_in(client, spec.username, DEMO_PASSWORD)
        assert response.status_code == 302, spec.username
        client.post(reverse("logout"))


def test_demo_logins_prints_every_user_role_and_the_password():
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for spec in DEMO_USERS:
        assert spec.username in text
        assert spec.role in text
    assert "not created yet" not in text


def test_a_bad_demo_file_is_refused_naming_it(tmp_path):
    payload = dict(next(p for n, p in demo_case_payloads() if n == "seed-case.json"))
    payload["colour"] = "blue"
    (tmp_path / "broken.json").write_text(json.dumps(payload))
    with pytest.raises(IntakeError, match=r"broken\.json \(CM15-0041877\)"):
        seed_demo_data(data_dir=tmp_path)
    assert not Case.objects.exists()
