"""A double click on "Create case" in a real browser (Debian chromium) creates one case.

With JavaScript the button disables itself after the first click; without it both clicks
reach the server, whose one-time form token answers the second with the first's case.
Going Back to the filled form and pressing "Create case" again also creates nothing new.
"""

from __future__ import annotations

import re

import pytest

from cases.models import Case
from core.form_tokens import REPLAYED
from imr_site import roles
from tests.exchange.test_intake_views import intake_data
from tests.factories import UserFactory
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CASE_PAGE = re.compile(r".*/cases/\d+/$")


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


def _log_in(page, user) -> None:
    browser_login(page, user)  # password, then the second factor


def _fill_intake(page) -> None:
    page.goto("/cases/new/")
    for name, value in intake_data().items():
        field = page.locator(f'[name="{name}"]')
        if field.count() == 0 or field.first.get_attribute("type") == "hidden":
            continue
        kind = field.first.get_attribute("type")
        if field.first.evaluate("e => e.tagName") == "SELECT":
            field.first.select_option(value)
        elif kind == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "checkbox":
            field.first.check()
        else:
            field.first.fill(value)
    # Every item slot on the page is filled: a blank slot's selects still post values (issue 9,
    # item 2), so today's form refuses a partly filled page.
    slots = page.locator('[name^="items-"][name$="-description"]').count()
    for n in range(1, slots):
        page.locator(f'[name="items-{n}-description"]').fill(f"Acupuncture x{n + 5}")
        page.locator(f'[name="items-{n}-category"]').select_option("physical_medicine")
        page.locator(f'[name="items-{n}-quantity"]').fill("6")
        page.locator(f'[name="items-{n}-ur_decision"]').select_option("denied")


def _double_click_create_and_wait(page) -> None:
    page.get_by_role("button", name="Create case").dblclick()
    page.wait_for_url(CASE_PAGE)
    page.wait_for_load_state()


def test_double_click_with_javascript_creates_one_case_and_back_then_submit_creates_none(page):
    staff = UserFactory(username="intake.double", role=roles.INTAKE_STAFF)
    _log_in(page, staff)
    _fill_intake(page)
    button = page.get_by_role("button", name="Create case")
    _double_click_create_and_wait(page)
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert f"Case {case.case_number} created." in page.content()

    page.go_back()
    page.wait_for_load_state()
    assert button.is_enabled()  # the page from the history gives its buttons back
    button.click()
    page.wait_for_url(CASE_PAGE)
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert Case.objects.count() == 1
    assert REPLAYED in page.content()


def test_double_click_without_javascript_creates_one_case(browser, live_server, _live_server_serves_no_media):
    staff = UserFactory(username="intake.nojs", role=roles.INTAKE_STAFF)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        _log_in(page, staff)
        _fill_intake(page)
        _double_click_create_and_wait(page)
        case = Case.objects.get()
        assert page.url.endswith(f"/cases/{case.pk}/")
    finally:
        context.close()
