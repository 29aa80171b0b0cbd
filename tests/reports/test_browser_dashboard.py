"""In chromium: the dashboard draws its charts with the vendored Chart.js under the site's
Content-Security-Policy (no violation), each beside its table; a report page and its CSV link.
Screenshots go to tests/output/ (dashboard-1280.png, report-clocks-1280.png)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.reports.reports_support import END, START, TODAY, build_all
from tests.second_factor import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_charts_and_a_report_in_the_browser(page, output_dir, time_machine):
    # Frozen without ticking would stop the browser's session clock; the data set's dates are
    # fixed, so the clock only has to stand at the data set's today.
    time_machine.move_to("2026-03-10 12:00:00-08:00", tick=True)
    data = build_all()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    browser_login(page, data.staff)

    page.goto(reverse("reports:dashboard"))
    page.get_by_role("heading", name="Operations dashboard").wait_for()
    for table in ("ageing-table", "due-table", "workload-table", "trend-table"):
        page.locator(f"#{table}[data-chart-drawn='true']").wait_for()
    canvases = page.locator("canvas[role='img']")
    assert canvases.count() == 4
    # Each chart is drawn (its canvas has pixels) and names the table that holds its numbers.
    assert canvases.first.evaluate("c => c.width > 0 && c.height > 0")
    assert canvases.nth(3).get_attribute("aria-describedby") == "trend-table"
    assert "The table below gives the numbers" in (canvases.nth(3).get_attribute("aria-label") or "")
    page.screenshot(path=str(output_dir / "dashboard-1280.png"), full_page=True)

    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.get_by_role("link", name="The two DWC clocks").click()
    page.get_by_label("From", exact=True).fill(START.isoformat())
    page.get_by_label("To", exact=True).fill(END.isoformat())
    page.get_by_role("button", name="Show").click()
    table = page.locator("table[data-report='clocks']")
    table.wait_for()
    assert "39.9" in table.inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "clocks_2026-01-01_2026-02-28.csv"
    page.screenshot(path=str(output_dir / "report-clocks-1280.png"), full_page=True)
    assert violations == []
    assert TODAY.isoformat() == "2026-03-10"
