"""A URL with a NUL or another character no address of the site has answers 404, never 500.

Found by probing: `/letters/cases/CM15%000041877/deliveries/` reached PostgreSQL with a NUL in
the case number (DataError, a 500). The case number is now matched by its format, and a
middleware answers 404 for control characters anywhere in a path.
"""

from __future__ import annotations

import pytest

from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/cases/CM15%000041877/",
        "/letters/cases/CM15%000041877/deliveries/",
        "/letters/cases/CM15-0041877%00/deliveries/",
        "/letters/cases/CM15-0041877%0A/deliveries/",
        "/letters/cases/%ED%A0%80/deliveries/",
        "/letters/cases/CM15-0041877'--/deliveries/",
        "/documents/1%00/",
        "/admin/cases/case/1%00/change/",
        "/review/cases/1%1b/",
        "/%00",
    ],
)
def test_invalid_characters_in_a_path_answer_404(client, url):
    approved_seed_determination()
    admin = UserFactory(role=roles.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.raise_request_exception = True  # a 500 would fail the test with its traceback
    response = client.get(url)
    assert response.status_code == 404
    assert b"Page not found" in response.content or b"not found" in response.content.lower()


def test_a_valid_case_number_still_opens_the_deliveries_page(client):
    determination = approved_seed_determination()
    client.force_login(UserFactory(role=roles.ADMINISTRATOR, is_staff=True, is_superuser=True))
    response = client.get(f"/letters/cases/{determination.case.case_number}/deliveries/")
    assert response.status_code == 200
