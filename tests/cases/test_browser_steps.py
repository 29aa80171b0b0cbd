"""The case page's steps in a real browser (Debian chromium through Playwright): the likely step
is a button, the rare ones sit under "More actions" (a Bootstrap dropdown) that opens and is
walked with the keyboard only; withdrawing needs its box ticked (the server refuses it
unticked: the page says so and nothing changes), and once done the case page says what
happened (the confirmation to the parties, the fee). At 390 px the menu opens inside the
screen (a "Next steps" link at the top jumps down to it) and its step's page fits.

Bad input tried: the withdrawal sent with its reason but without the box ticked.
Screenshots: tests/output/steps-more-actions-1280.png, steps-withdraw-unconfirmed-1280.png,
steps-withdrawn-1280.png, steps-more-actions-390.png, steps-withdraw-390.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.models import Case, CaseEvent, CaseStatus
from imr_site import roles
from tests.factories import UserFactory, make_seed_like_case
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_withdraw_from_more_actions_by_keyboard_with_its_confirmation(page, output_dir):
    case = make_seed_like_case()
    staff = UserFactory(username="intake.steps.browser", role=roles.INTAKE_STAFF)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page, staff)
    page.goto(f"/cases/{case.pk}/")

    # The likely step is a button; the rare ones are not on the page until the menu opens.
    expect(page.get_by_role("button", name="Start eligibility review")).to_be_visible()
    withdraw = page.locator("a#step-withdraw")
    expect(withdraw).to_be_hidden()
    expect(page.locator("textarea[name='withdraw-reason']")).to_have_count(0)

    # Keyboard only: focus the toggle, Enter opens the menu, the arrow keys walk it.
    toggle = page.get_by_role("button", name="More actions")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(withdraw).to_be_visible()
    for _ in range(3):  # consolidate, convert to expedited, withdraw
        page.keyboard.press("ArrowDown")
    expect(withdraw).to_be_focused()
    page.screenshot(path=str(output_dir / "steps-more-actions-1280.png"), full_page=True)
    page.keyboard.press("Enter")

    # The step's own page: a heading, what it does, a specific label, the box to tick.
    expect(page.get_by_role("heading", name="Withdraw the application")).to_be_visible()
    expect(page.locator("#step-explanation")).to_contain_text("confirmation of withdrawal")
    page.get_by_label("Why is the application withdrawn?").fill("The employee's letter of 03/02/2015")
    page.get_by_role("button", name="Withdraw", exact=True).click()
    expect(page.locator("#step-withdraw")).to_contain_text(
        "Tick the box to confirm: this step cannot be undone."
    )
    expect(page.get_by_label("Why is the application withdrawn?")).to_have_value(
        "The employee's letter of 03/02/2015"
    )
    page.screenshot(path=str(output_dir / "steps-withdraw-unconfirmed-1280.png"), full_page=True)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED
    assert not CaseEvent.objects.filter(case=case).exists()

    page.get_by_label("I understand this ends the review").check()
    page.get_by_role("button", name="Withdraw", exact=True).click()
    expect(page.locator("#case-status")).to_have_attribute("data-status", "withdrawn")
    message = page.get_by_role("alert").filter(has_text="Case withdrawn.")
    expect(message).to_contain_text("Confirmation of withdrawal emailed to the")
    expect(message).to_contain_text("The claims administrator owes $160")
    page.screenshot(path=str(output_dir / "steps-withdrawn-1280.png"), full_page=True)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.WITHDRAWN
    assert errors == []


def test_more_actions_at_390_px(page, output_dir):
    case = make_seed_like_case()
    staff = UserFactory(username="intake.steps.narrow", role=roles.INTAKE_STAFF)
    browser_login(page, staff)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/cases/{case.pk}/")
    # The steps are below the case file at this width: a link at the top jumps to them.
    page.get_by_role("link", name="Next steps").click()
    toggle = page.get_by_role("button", name="More actions")
    expect(toggle).to_be_in_viewport()
    toggle.click()
    menu = page.locator(".steps-more .dropdown-menu")
    expect(menu).to_be_visible()
    expect(page.locator("a#step-terminate")).to_be_visible()
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(output_dir / "steps-more-actions-390.png"), full_page=False)

    page.locator("a#step-withdraw").click()
    expect(page.get_by_role("heading", name="Withdraw the application")).to_be_visible()
    expect(page.get_by_label("I understand this ends the review")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the step page scrolls sideways at 390 px ({width} px wide)"
    page.screenshot(path=str(output_dir / "steps-withdraw-390.png"), full_page=True)


def test_without_javascript_more_actions_is_a_list_of_links_and_the_step_works(
    browser, _live_server_serves_no_media, live_server, output_dir
):
    """No JavaScript: the noscript stylesheet shows the menu's links, the step's page and its
    server-side box work as with it."""
    case = make_seed_like_case()
    staff = UserFactory(username="intake.steps.nojs", role=roles.INTAKE_STAFF)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, staff)
        page.goto(f"/cases/{case.pk}/")
        terminate = page.locator("a#step-terminate")
        expect(terminate).to_be_visible()
        page.screenshot(path=str(output_dir / "steps-no-javascript-1280.png"), full_page=False)
        terminate.click()
        expect(page.get_by_role("heading", name="Terminate the review: treatment authorized")).to_be_visible()
        page.get_by_label("What authorized the treatment?").fill("Golden State's authorization of 03/05/2015")
        page.get_by_role("button", name="Terminate (treatment authorized)").click()
        expect(page.locator("#step-terminate")).to_contain_text("Tick the box to confirm")
        page.get_by_label("I understand this ends the review").check()
        page.get_by_role("button", name="Terminate (treatment authorized)").click()
        expect(page.locator("#case-status")).to_have_attribute("data-status", "terminated")
        expect(page.get_by_role("alert").filter(has_text="Case terminated.")).to_contain_text(
            "Confirmation of termination emailed to the"
        )
    finally:
        context.close()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.TERMINATED
