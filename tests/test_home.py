"""The home page sends each role to its workspace; nothing is visible without logging in."""

import pytest
from django.urls import reverse

from imr_site import roles
from tests.factories import ReviewerFactory, UserFactory


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "target"),
    [
        (roles.INTAKE_STAFF, "cases:queues"),
        (roles.CLINICAL_QA, "review:qa_queue"),
        (roles.ADMINISTRATOR, "cases:queues"),
    ],
)
def test_each_role_lands_in_its_workspace(client, role, target):
    client.force_login(UserFactory(role=role))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


@pytest.mark.django_db
def test_reviewer_lands_in_the_reviewer_queue(client):
    client.force_login(ReviewerFactory().user)
    response = client.get("/")
    assert response["Location"] == reverse("review:reviewer_home")


@pytest.mark.django_db
def test_user_without_a_role_is_refused(client):
    # Bad input tried: an account with no group and no reviewer profile.
    client.force_login(UserFactory())
    assert client.get("/").status_code == 403
