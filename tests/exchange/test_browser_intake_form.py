"""Intake staff type a new application with three treatments, remove one, and create the case.

In a real browser (Debian chromium through Playwright) with the page's JavaScript: "Add
another item" adds a slot without a round trip, "Remove item 2" hides it. Bad input tried on
the way: "Create case" with the second item only half filled (a description, no category or
UR decision): the error summary lists it, links to the field and nothing is written.
"""

from __future__ import annotations

import re

import pytest

from cases.models import Case, PartyRole
from imr_site import roles
from tests.exchange.intake_support import MRI, PT, TRAMADOL
from tests.factories import UserFactory
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


def _fill_item(slot, item: dict[str, str]) -> None:
    slot.get_by_label("Treatment in dispute").fill(item["description"])
    slot.get_by_label("Category").select_option(item["category"])
    slot.get_by_label("UR decision").select_option(item["ur_decision"])
    if "quantity" in item:
        slot.get_by_label("Quantity").fill(item["quantity"])


def _log_in_and_fill_the_application(page) -> None:
    staff = UserFactory(username="intake.form", role=roles.INTAKE_STAFF)
    browser_login(page, staff)  # password, then the second factor
    page.goto("/cases/new/")
    page.get_by_label("Application received on").fill("2015-02-27")
    page.get_by_label("Employee first name").fill("Maria")
    page.get_by_label("Employee last name").fill("Example")
    page.get_by_label("Employee mailing address").fill("12 Orchard Lane\nFresno, CA 93701")
    page.locator("#id_employer_name").fill("Central Valley Packing Co.")
    page.locator("#id_claims_administrator_name").fill("Golden State Claims Services")
    page.get_by_label("Claim number").fill("GSC-07-999999")
    page.get_by_label("Requesting provider").fill("Dr. Alan Treating")
    page.get_by_label("Provider NPI").fill("1234567893")
    page.get_by_label("Date of injury").fill("2007-05-03")
    page.get_by_label("UR decision date").fill("2015-02-06")


def test_staff_add_and_remove_items_with_javascript_and_create_the_case(page, output_dir):
    _log_in_and_fill_the_application(page)

    slots = page.locator("[data-item-slot]:visible")
    assert slots.count() == 1
    _fill_item(slots.nth(0), PT)

    # "Add another item" with JavaScript: no page load (the marker survives), focus in the new slot.
    page.evaluate("window.__noReload = true")
    page.get_by_role("button", name="Add another item").click()
    assert slots.count() == 2
    assert page.evaluate("window.__noReload") is True
    assert page.evaluate("document.activeElement.name") == "items-1-description"
    slots.nth(1).get_by_label("Treatment in dispute").fill("Acupuncture x6")  # half filled
    page.get_by_role("button", name="Add another item").click()
    _fill_item(slots.nth(2), MRI)
    assert page.locator("#id_items-TOTAL_FORMS").input_value() == "3"

    # Half-filled item 2: the summary lists its fields, links to them, and nothing is written.
    page.get_by_role("button", name="Create case").click()
    page.wait_for_selector("[data-error-summary]")
    summary = page.locator("[data-error-summary]")
    assert "There are 2 problems" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    summary.get_by_role("link", name="Item 2, Category: Choose the treatment's category.").click()
    assert page.evaluate("location.hash") == "#id_items-1-category"
    assert not Case.objects.exists()
    page.screenshot(path=str(output_dir / "intake-form-errors-1280.png"), full_page=True)

    # Remove item 2 with JavaScript, add a third item, create the case.
    page.evaluate("window.__noReload = true")
    page.get_by_role("button", name="Remove item 2").click()
    assert slots.count() == 2
    assert page.locator("[data-item-slot]:visible h3").all_inner_texts() == ["Item 1", "Item 2"]
    page.get_by_role("button", name="Add another item").click()
    _fill_item(slots.nth(2), TRAMADOL)
    slots.nth(2).get_by_label("Drug-formulary item").check()
    assert page.evaluate("window.__noReload") is True
    page.get_by_role("button", name="Create case").click()
    page.wait_for_url(re.compile(r"/cases/\d+/"))
    assert "created" in page.content()

    case = Case.objects.get()
    assert list(case.disputed_items.order_by("position").values_list("description", flat=True)) == [
        PT["description"],
        MRI["description"],
        TRAMADOL["description"],
    ]
    assert case.parties.get(role=PartyRole.EMPLOYEE).mailing_address == "12 Orchard Lane\nFresno, CA 93701"


@pytest.fixture
def page_without_javascript(browser, _live_server_serves_no_media, live_server):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


def test_add_and_remove_work_without_javascript_and_enter_creates_the_case(page_without_javascript):
    """No script: Add and Remove go to the server and back; Enter in a field still means "Create case"."""
    page = page_without_javascript
    _log_in_and_fill_the_application(page)
    slots = page.locator("[data-item-slot]:visible")
    _fill_item(slots.nth(0), PT)

    page.get_by_role("button", name="Add another item").click()
    page.wait_for_selector("#id_items-1-description")
    assert slots.count() == 2
    assert page.get_by_label("Employee last name").input_value() == "Example"  # typed values kept
    assert page.locator("[data-error-summary]").count() == 0
    _fill_item(slots.nth(1), MRI)

    page.get_by_role("button", name="Remove item 1").click()
    page.wait_for_load_state()
    assert slots.count() == 1
    assert slots.nth(0).get_by_label("Treatment in dispute").input_value() == MRI["description"]
    page.get_by_role("button", name="Add another item").click()
    page.wait_for_selector("#id_items-1-description")
    _fill_item(slots.nth(1), TRAMADOL)
    assert not Case.objects.exists()

    slots.nth(1).get_by_label("Treatment in dispute").press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/"))
    case = Case.objects.get()
    assert list(case.disputed_items.order_by("position").values_list("description", flat=True)) == [
        MRI["description"],
        TRAMADOL["description"],
    ]
