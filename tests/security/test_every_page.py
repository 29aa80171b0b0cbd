"""Every page, in a real browser, through axe-core (issue 16 item 6, "Checked by").

For each role that has pages of its own — intake staff, clinical QA, the assigned reviewer, an
administrator, an organization's user (the portal), a user who passed the password but not yet
the second factor (the code page, the set-up) and the anonymous visitor (log-in, the public
decision library, a party's signed link, an invitation) — every GET page of the root resolver
that the access matrix (test_access_matrix.EXPECTED) says answers that role 200 is opened in
chromium, with the matrix's real objects for its arguments (matrix_support.build_world,
test_access_matrix.concrete_path): a URL added to the project is visited here as soon as it has
its matrix row. Then error pages in the site's layout (403, 404, 405) and empty lists (a queue,
a search, the library), whose empty state must show.

On each page the vendored axe-core (static/vendor/axe-core, loaded by this test only, from the
site's own origin as the Content-Security-Policy requires) runs the WCAG 2 A and AA rules; the
test prints one line per page (violations by impact) and fails on any serious or critical one.
Every page is saved at 1280 and 390 px wide (full page) as
tests/output/pages/<role>-<url name>-<width>.png.

Left out, and why:
- downloads (the answer is not HTML: PDFs, CSVs, the QR code's SVG, JSON from /healthz and the
  API's schema): decided from the answer's Content-Type, not from the route;
- routes answering the role only to a POST (p200 in the matrix: the backup codes, the keep-alive);
- the Django admin's pages beyond one of each kind (index, a list, a change form, an add form, a
  history, a delete confirmation, the password form): its 130 pages are the same six templates
  over different models; one of each keeps the run under five minutes.

Bad inputs: an address that resolves to nothing and a case id that does not exist (404), a GET
where only POST is taken (405), another role's page (403), searches matching nothing.
Each page and width must also fit the screen (no sideways scrolling outside a table's own
scroll box) and carry a title of its own.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest
from django.urls import resolve, reverse
from playwright.sync_api import expect

from cases.models import Case
from cases.services.notices import mark_overdue_cases
from tests.second_factor import PASSWORD, browser_login
from tests.security.matrix_support import (
    ADMIN,
    ANONYMOUS,
    ASSIGNED,
    INTAKE,
    ORG_USER,
    PASSWORD_ONLY,
    QA,
    ROLES,
    build_world,
    url_patterns,
)
from tests.security.test_access_matrix import EXPECTED, PUBLIC, concrete_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = "/static/vendor/axe-core/axe.min.js"
# PASSWORD_ONLY: the password passed, not yet the second factor (the code page and its set-up).
VISITED_ROLES = (ANONYMOUS, PASSWORD_ONLY, INTAKE, QA, ASSIGNED, ADMIN, ORG_USER)
BLOCKING = ("serious", "critical")
WIDTHS = ((1280, 900), (390, 844))
# One admin page of each template (the others are the same templates over other models).
ADMIN_SAMPLE = {
    "admin/",
    "admin/password_change/",
    "admin/cases/case/",
    "admin/cases/case/add/",
    "admin/cases/case/<path:object_id>/change/",
    "admin/cases/case/<path:object_id>/history/",
    "admin/cases/case/<path:object_id>/delete/",
}
# What a page must show for axe to check it (the world is made so that it does).
MUST_SHOW = {
    "cases/": "tr.table-danger td a",  # an overdue row's link (3.4:1 with Bootstrap's link colour)
    "review/qa/determinations/<int:determination_id>/": "button.btn-outline-warning",  # Return to reviewer
}


def _extra_pages(role: str, world) -> tuple[tuple[str, str, int], ...]:
    """Pages besides the matrix's: error pages in the site's layout, empty lists, the code step
    of the log-in; (name, path, status)."""
    return {
        INTAKE: (
            ("error-403", "/billing/", 403),
            ("error-404", "/cases/999999999/", 404),
            ("queue-empty", "/cases/?status=terminated", 200),
            ("search-empty", "/cases/search/?q=ZZ-NO-SUCH-CASE", 200),
        ),
        ASSIGNED: (
            ("error-404", "/no-such-page/", 404),
            # A GET where only POST is taken: the 405 page (core.http).
            ("error-405", reverse("review:accept", args=[world.case_in_review.pk]), 405),
        ),
        PASSWORD_ONLY: (("second-factor", reverse("second_factor"), 200),),
        ANONYMOUS: (("library-empty", "/decisions/?q=zzzzqqqq", 200),),
    }.get(role, ())


EXTRA_SHOWS = {"queue-empty": ".empty-state", "search-empty": ".empty-state", "library-empty": ".empty-state"}


def _pages_of(role: str, world) -> list[tuple[str, str]]:
    """(route, path) of every GET page the matrix says answers `role` 200."""
    column = ROLES.index(role)
    pages = []
    for route, _pattern in url_patterns():
        if EXPECTED[route].split()[column] != "200":
            continue
        if route.startswith("admin/") and route not in ADMIN_SAMPLE:
            continue
        if route in PUBLIC and role != ANONYMOUS:  # the same page for everyone: seen once
            continue
        pages.append((route, concrete_path(route, world)))
    return pages


def _slug(path: str) -> str:
    match = resolve(path.split("?")[0])
    name = match.view_name or path
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


# The elements that stick out past the right edge of the screen (outside a table's own scroll box):
# at 390 px the page must not scroll sideways.
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= width) return [];
    const out = e => e.getBoundingClientRect().right > width + 1;
    const scrolled = e => { const box = e.closest('.table-responsive'); return box && !out(box); };
    return [...document.body.querySelectorAll('*')]
        .filter(e => out(e) && !scrolled(e) && ![...e.children].some(out))
        .slice(0, 5)
        .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
             + [...e.classList].map(c => '.' + c).join('')
             + ' :: ' + Math.round(e.getBoundingClientRect().right) + ' px');
}"""


def _axe(page) -> list[dict]:
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    n => n.target.join(' ') + ' :: ' + n.failureSummary.replace(/\\s+/g, ' ')),
            }));
        }"""
    )


def _visit(
    page,
    *,
    role: str,
    name: str,
    path: str,
    status: int,
    out: Path,
    report: list[str],
    details: list[str],
    shows: str = "",
) -> list[str]:
    """Open, check with axe and save at both widths; the blocking violations' descriptions."""
    page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
    response = page.goto(path)
    assert response is not None and response.status == status, (role, path, response and response.status)
    expect(page.locator("main")).to_be_visible()
    if shows:  # what axe must see on this page (e.g. a link on an overdue row)
        expect(page.locator(shows).first).to_be_visible()
    # A title of its own (base.html's default block says only "IMR").
    expect(page).to_have_title(re.compile(r"^(?!IMR · )\S.*(IMR|IMR admin)$"))
    page.add_script_tag(url=AXE)
    blocking = []
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        expect(page.locator("main")).to_be_visible()
        expect(page.locator("html")).to_have_js_property("clientWidth", width)
        violations = _axe(page)
        overflowing = page.evaluate(OVERFLOWING)
        if overflowing:
            violations.append(
                {
                    "id": "page-wider-than-screen",
                    "impact": "serious",
                    "help": "The page scrolls sideways",
                    "nodes": overflowing,
                }
            )
        blocking += [dict(v, id=f"{v['id']} at {width} px") for v in violations if v["impact"] in BLOCKING]
        counts = ", ".join(f"{v['impact']} {v['id']} x{len(v['nodes'])}" for v in violations) or "none"
        report.append(f"{role:17} {width:4} {path[:70]:70} axe: {counts}")
        details.extend(
            f"{role} {width} {path} {v['impact']} {v['id']}: {node}"
            for v in violations
            for node in v["nodes"]
        )
        page.screenshot(path=str(out / f"{role}-{name}-{width}.png"), full_page=True)
    return [
        f"{role} {path}: {v['impact']} {v['id']} ({v['help']})\n      " + "\n      ".join(v["nodes"])
        for v in blocking
    ]


def test_every_page_passes_axe_and_is_saved_at_both_widths(
    browser, _live_server_serves_no_media, live_server, output_dir, capsys
):
    world = build_world()
    # An overdue case in the work queue: its row is tinted, and axe checks the links on it.
    Case.objects.filter(pk=world.other_case.pk).update(next_deadline=date(2015, 4, 1))
    assert mark_overdue_cases().marked >= 1
    out = output_dir / "pages"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.png"):  # a page that is gone leaves no picture behind
        old.unlink()
    report: list[str] = []
    details: list[str] = []  # every violation's element and what axe says of it
    failures: list[str] = []
    skipped: list[str] = []
    started = time.monotonic()
    visited = 0
    for role in VISITED_ROLES:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            if role == PASSWORD_ONLY:  # the log-in form only: the next page asks for the code
                page.goto(reverse("login"))
                page.get_by_label("Username").fill(world.users[role].username)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                expect(page.get_by_label("Code")).to_be_visible()
            elif role != ANONYMOUS:
                browser_login(page, world.users[role])
            for route, path in _pages_of(role, world):
                # Downloads are told by their answer, not their address (the same session's cookies).
                answer = context.request.get(path, max_redirects=0)
                content_type = answer.headers.get("content-type", "")
                if answer.status != 200 or not content_type.startswith("text/html"):
                    skipped.append(f"{role} {path} ({answer.status} {content_type.split(';')[0]})")
                    continue
                failures += _visit(
                    page,
                    role=role,
                    name=_slug(path),
                    path=path,
                    status=200,
                    out=out,
                    report=report,
                    details=details,
                    shows=MUST_SHOW.get(route, ""),
                )
                visited += 1
            for name, path, status in _extra_pages(role, world):
                failures += _visit(
                    page,
                    role=role,
                    name=name,
                    path=path,
                    status=status,
                    out=out,
                    report=report,
                    details=details,
                    shows=EXTRA_SHOWS.get(name, ""),
                )
                visited += 1
        finally:
            context.close()
    elapsed = time.monotonic() - started
    lines = [*report, "", "Violations (any impact):", *details, "", "Not HTML (not checked):", *skipped]
    (output_dir / "axe-report.txt").write_text("\n".join(lines) + "\n")
    with capsys.disabled():
        print(f"\naxe-core (wcag2a, wcag2aa) on {visited} pages in {elapsed:.0f} s:")
        print("\n".join(report))
        print(f"not HTML, not checked: {', '.join(skipped)}")
        print(f"serious or critical: {len(failures)}")
    assert visited > 40, f"only {visited} pages visited: is the matrix world complete?"
    assert not failures, "axe found serious or critical violations:\n" + "\n".join(failures)
