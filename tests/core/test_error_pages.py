"""403, 404, 405 and 500 in the site's layout, as production (DEBUG=False) serves them.

Tried: a reviewer opening a staff page (403); a case that does not exist and an address
that is no page (404, and no internal exception name on the page); a GET on a workflow
step and on other POST-only addresses (405 with the Allow header); a page whose selector
fails (500, rendered without touching the database).
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cases import selectors
from core import views as error_views
from imr_site import roles
from tests.determinations.review_support import case_for_review
from tests.factories import UserFactory, make_seed_like_case, make_seed_reviewer

pytestmark = pytest.mark.django_db

NAV = '<nav class="navbar'


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    return client


def _in_layout(body: str, *, link: str | None = None) -> None:
    assert NAV in body and 'href="/static/css/site.css"' in body
    assert "js/submit-once.js" in body
    if link is not None:
        assert f'href="{link}"' in body.split("<main", 1)[0], f"nav link {link} missing"


def test_403_a_reviewer_opening_a_staff_page(client):
    reviewer = make_seed_reviewer()
    client.force_login(reviewer.user)
    response = client.get(reverse("cases:queues"))
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body, link=reverse("review:reviewer_home"))  # the reviewer's own "My cases"
    assert "You may not open this page" in body
    assert "Log out" in body


def test_403_says_why_when_the_code_says_it(client):
    client.force_login(UserFactory())  # no role at all
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "Your account has no role in this system yet" in response.content.decode()


def test_404_a_case_that_does_not_exist(staff_client):
    response = staff_client.get(reverse("cases:case", args=[987654]))
    assert response.status_code == 404
    body = response.content.decode()
    _in_layout(body, link=reverse("cases:queues"))
    assert "No such case." in body


def test_404_an_address_that_is_no_page_shows_no_internals(staff_client):
    response = staff_client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    _in_layout(body, link=reverse("cases:queues"))
    assert "Page not found" in body
    assert "Resolver404" not in body and "tried" not in body


def test_405_a_delete_on_a_workflow_step(staff_client):
    # A step's address is its page (GET) and its form's target (POST): anything else is a 405.
    case = make_seed_like_case()
    response = staff_client.delete(reverse("cases:action", args=[case.pk, "start_eligibility_review"]))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    body = response.content.decode()
    _in_layout(body, link=reverse("cases:queues"))
    assert "opened as a page" in body and "sent from a form" in body


@pytest.mark.parametrize(
    ("name", "method", "allow"),
    [
        ("review:submit", "get", "POST"),
        ("review:accept", "get", "POST"),
        ("review:save_draft", "get", "POST"),
        ("review:case_file", "post", "GET, HEAD"),
        ("review:preview", "put", "GET, POST"),
    ],
)
def test_405_on_the_reviewers_addresses(client, name, method, allow):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    client.force_login(reviewer.user)
    response = getattr(client, method)(reverse(name, args=[case.pk]))
    assert response.status_code == 405
    assert response["Allow"] == allow
    _in_layout(response.content.decode(), link=reverse("review:reviewer_home"))


def test_405_on_the_staff_letter_pages(staff_client):
    response = staff_client.delete(reverse("letters:to_post"))
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    _in_layout(response.content.decode(), link=reverse("letters:to_post"))


def test_500_when_a_page_fails(staff_client, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(selectors, "queue_counts", broken)
    staff_client.raise_request_exception = False
    response = staff_client.get(reverse("cases:queues"))
    assert response.status_code == 500
    body = response.content.decode()
    _in_layout(body)
    assert "Something went wrong on our side" in body
    assert f'href="{reverse("home")}"' in body
    assert "the database went away" not in body and "RuntimeError" not in body


def test_500_and_400_pages_need_no_database(django_assert_num_queries):
    request = RequestFactory().get("/anything/")
    with django_assert_num_queries(0):
        server_error = error_views.server_error(request)
        bad_request = error_views.bad_request(request, ValueError("x"))
    assert server_error.status_code == 500 and bad_request.status_code == 400
    for response in (server_error, bad_request):
        _in_layout(response.content.decode())


def test_403_a_form_posted_without_its_csrf_cookie():
    from tests.second_factor import SecondFactorClient

    client = SecondFactorClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    response = client.post(reverse("cases:intake"), {})
    assert response.status_code == 403
    body = response.content.decode()
    _in_layout(body)
    assert "Nothing was saved" in body and "reload the page" in body
