"""The visual system's rules that need no browser (issue 16 item 6; the browser half is
test_every_page.py, axe-core on every page).

- every case status has its badge colour in static/css/site.css, and white text on it reads at
  4.5:1 or more (WCAG 2 AA), as do the text colours named there;
- the main navigation marks exactly one link as the current page (aria-current="page"), the one
  whose address is the longest beginning of the page's (core.templatetags.navigation);
- /favicon.ico answers everyone (the admin's pages and every browser ask for it) and the pages
  link the SVG icon.

Bad inputs: an address under a workspace that is not itself a nav link (a case page, /cases/1/),
an address two links begin (/cases/new/ and /cases/), and the anonymous visitor asking for the
icon with no session.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.models import CaseStatus
from core.templatetags.navigation import current_of
from imr_site import roles
from tests.determinations.review_support import case_for_review
from tests.factories import UserFactory, make_seed_reviewer

SITE_CSS = settings.BASE_DIR / "static" / "css" / "site.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _css_variables() -> dict[str, str]:
    return dict(re.findall(r"(--imr-[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", SITE_CSS.read_text()))


def test_contrast_formula_matches_the_issue_figures():
    # The issue's measurements: Bootstrap's yellow "Return to reviewer" and links on overdue rows.
    assert round(contrast("#ffc107", "#ffffff"), 2) == 1.63
    assert round(contrast("#0d6efd", "#f8d7da"), 1) == 3.4


def test_every_case_status_has_a_badge_colour_with_aa_contrast():
    css = SITE_CSS.read_text()
    variables = _css_variables()
    for status in CaseStatus.values:
        pattern = rf"\.status-{status}\b[^{{]*\{{\s*background-color:\s*var\((--imr-status-[\w-]+)\)"
        rule = re.search(pattern, css)
        assert rule, f"no badge colour for the status {status!r} in site.css"
        background = variables[rule.group(1)]
        assert contrast("#ffffff", background) >= 4.5, (status, background)


@pytest.mark.parametrize(
    ("name", "background"),
    [
        ("--imr-ink", "#ffffff"),
        ("--imr-muted", "#ffffff"),
        ("--imr-link", "#ffffff"),
        ("--imr-link", "#f8d7da"),  # an overdue row (table-danger)
        ("--imr-link", "#fff3cd"),  # a flagged row, a warning alert
        ("--imr-danger-text", "#ffffff"),
        ("--imr-danger-text", "#f8d7da"),
        ("--imr-warning-text", "#ffffff"),  # "Return to reviewer", "due soon"
        ("--imr-warning-text", "#fff3cd"),
        ("--imr-success-text", "#ffffff"),
    ],
)
def test_text_colours_read_at_aa_contrast(name, background):
    assert contrast(_css_variables()[name], background) >= 4.5


def test_current_of_picks_the_longest_beginning():
    urls = ["/cases/", "/cases/new/", "/review/", "/review/qa/", "/admin/"]
    assert current_of("/cases/12/", urls) == "/cases/"
    assert current_of("/cases/new/", urls) == "/cases/new/"
    assert current_of("/review/qa/determinations/3/", urls) == "/review/qa/"
    assert current_of("/review/cases/3/", urls) == "/review/"
    assert current_of("/billing/", urls) is None


def _current_links(html: str) -> list[str]:
    nav = html[html.index('<nav class="navbar') : html.index("</nav>")]
    return re.findall(r'<a class="nav-link active" aria-current="page" href="([^"]+)">([^<]+)</a>', nav)


@pytest.mark.django_db
def test_the_navigation_marks_the_current_page_once(client):
    intake = UserFactory(role=roles.INTAKE_STAFF)
    reviewer = make_seed_reviewer()
    case, _assignment = case_for_review(reviewer=reviewer, case_number="CM15-0900077")
    client.force_login(intake)
    for path, expected in (
        (reverse("cases:queues"), [(reverse("cases:queues"), "Work queues")]),
        (reverse("cases:case", kwargs={"case_id": case.pk}), [(reverse("cases:queues"), "Work queues")]),
        (reverse("cases:intake"), [(reverse("cases:intake"), "New application")]),
        (reverse("reports:index"), [(reverse("reports:index"), "Reports")]),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _current_links(response.content.decode()) == expected, path
    client.force_login(reviewer.user)
    response = client.get(reverse("review:case_file", args=[case.pk]))
    assert _current_links(response.content.decode()) == [(reverse("review:reviewer_home"), "My cases")]


@pytest.mark.django_db
def test_favicon_answers_everyone_and_pages_link_the_icon(client):
    anonymous = Client()
    response = anonymous.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    login_page = anonymous.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login_page
    assert anonymous.get(reverse("library:decisions")).content.decode().count('rel="icon"') == 1
