"""The staff intake page (`/cases/new/`, exchange.views.intake): a new application typed in.

Bad inputs tried: an intake form with missing fields, an unparseable date, no disputed items,
an NPI with a bad check digit, an application dated in the future, a date of injury after the
application, attorney details without the attorney's name, a formulary box ticked on an item
that is no drug.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from cases.models import Case, CaseStatus
from tests.exchange.intake_support import PT, intake_post, slot
from tests.forms_helpers import with_token

S = CaseStatus
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


def case_url(case: Case) -> str:
    return reverse("cases:case", args=[case.pk])


def intake_data(**overrides) -> dict[str, str]:
    """What a browser posts: every field ("" when empty), item 1 filled, item 2 left blank."""
    data = intake_post(slot(**PT), slot())
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def post_intake(client, data):
    """POST the intake form as the browser does: with the token of the page it came from."""
    url = reverse("cases:intake")
    return client.post(url, with_token(client, url, data))


def test_intake_form_renders(staff_client):
    response = staff_client.get(reverse("cases:intake"))
    assert response.status_code == 200
    assert 'name="items-0-description"' in response.content.decode()


def test_intake_creates_a_case_in_received(staff_client):
    response = post_intake(staff_client, intake_data())
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == case_url(case)
    assert case.status == S.RECEIVED
    assert case.body_parts == ["right hip", "back"]
    assert list(case.disputed_items.values_list("description", "quantity")) == [
        ("Physical Therapy 2x8 for the Lumbar Spine", 16)
    ]
    assert case.parties.count() == 4


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"employee_last_name": ""}, "employee_last_name", "required"),
        ({"received_on": "27/02/2015x"}, "received_on", "valid date"),
        ({"provider_npi": "1234567890"}, "provider_npi", ""),
        ({"received_on": (date.today() + timedelta(days=5)).isoformat()}, "received_on", ""),
        ({"injury_date": "2016-01-01"}, "injury_date", ""),
        ({"attorney_firm": "Law LLP"}, "attorney_name", "attorney's name"),
    ],
)
def test_intake_bad_input_is_a_form_error(staff_client, overrides, field, fragment):
    response = post_intake(staff_client, intake_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert not Case.objects.exists()


def test_intake_needs_a_disputed_item(staff_client):
    response = post_intake(
        staff_client,
        intake_data(
            **{
                "items-0-description": "",
                "items-0-category": "",
                "items-0-quantity": "",
                "items-0-ur_decision": "",
            }
        ),
    )
    assert response.status_code == 400
    assert response.context["formset"].non_form_errors()
    assert not Case.objects.exists()


def test_intake_item_error_lands_on_the_item(staff_client):
    response = post_intake(staff_client, intake_data(**{"items-0-formulary_drug": "on"}))
    assert response.status_code == 400
    assert "formulary_drug" in response.context["formset"].forms[0].errors
    assert not Case.objects.exists()
