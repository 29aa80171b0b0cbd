"""The billing pages in a real browser (Debian chromium through Playwright): an administrator
issues last month's invoices (after typing a month that does not exist), opens one, records the
payment (after a date in the future). Screenshot: tests/output/billing-invoice.png."""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.models import Invoice
from billing.months import previous_month
from core import clock
from imr_site import roles
from tests.billing.support import billed_case
from tests.factories import UserFactory
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_issue_open_and_mark_paid_in_the_browser(page, output_dir):
    month = previous_month(clock.today())
    for day in (3, 4, 5):
        billed_case(received_on=previous_month(month), outcome="withdrawn", outcome_on=month.replace(day=day))
    admin = UserFactory(username="billing-admin", role=roles.ADMINISTRATOR)
    browser_login(page, admin)

    page.goto("/billing/")
    page.get_by_label("Month").fill("2026-13")
    page.get_by_role("button", name="Issue the month's invoices").click()
    page.wait_for_load_state()
    assert "is not a month: write it as YYYY-MM" in page.locator("main").inner_text()
    assert not Invoice.objects.exists()

    page.get_by_label("Month").fill(f"{month:%Y-%m}")
    page.get_by_role("button", name="Issue the month's invoices").click()
    page.wait_for_load_state()
    assert "1 invoice(s) issued for 3 case(s), $345." in page.locator("main").inner_text()
    invoice = Invoice.objects.get()
    page.get_by_role("link", name=invoice.number).click()
    page.wait_for_load_state()
    assert "$345" in page.locator("#invoice-total").inner_text()

    page.get_by_label("Date paid").fill(f"{clock.today() + timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Mark paid").click()
    page.wait_for_load_state()
    assert "The date paid cannot be in the future." in page.locator("main").inner_text()
    page.get_by_label("Date paid").fill(f"{clock.today():%Y-%m-%d}")
    page.get_by_role("button", name="Mark paid").click()
    page.wait_for_load_state()
    assert page.locator("#invoice-paid").inner_text().startswith(f"Paid on {clock.today():%m/%d/%Y}")
    page.screenshot(path=str(output_dir / "billing-invoice.png"), full_page=True)
    invoice.refresh_from_db()
    assert invoice.paid_on == clock.today()
