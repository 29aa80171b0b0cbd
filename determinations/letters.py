"""The Final Determination letter: its context, its HTML and its PDF (WeasyPrint).

Pure rendering: nothing here writes to the database. Issuing (storing the PDF once,
freezing the credentials) lives in `determinations.services.letters`.

The print stylesheet is parsed once per process (`_letter_css`) and every PDF shares one
`FontConfiguration`: WeasyPrint otherwise re-parses the CSS and re-initialises fontconfig
for each document, which dominates the cost of a two-page letter.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cases.models import PartyRole
from cases.selectors import date_assigned
from core import clock
from core.dates import us_date
from core.us_states import STATE_NAMES
from determinations.letter_selectors import LetterRecipient, letter_recipients
from determinations.models import Decision, Determination

logger = logging.getLogger(__name__)

LETTER_TEMPLATE = "determinations/letters/final_determination.html"
LETTER_DIR = Path(settings.BASE_DIR) / "templates" / "determinations" / "letters"
LETTER_CSS_PATH = LETTER_DIR / "letter.css"
# Relative URLs in the letter (none today) resolve inside the template folder, never the network.
LETTER_BASE_URL = LETTER_DIR.as_uri() + "/"

# What a letter may load: files the project ships under these folders, of these kinds (style
# sheets, fonts, images). Nothing else: no other file, no network, no data: URL.
LETTER_ASSET_DIRS = (LETTER_DIR, Path(settings.BASE_DIR) / "static")
LETTER_ASSET_SUFFIXES = frozenset(
    {".css", ".woff", ".woff2", ".ttf", ".otf", ".png", ".jpg", ".jpeg", ".gif", ".svg"}
)


class LetterAssetRefused(ValueError):
    """The letter asked for something outside its own assets; nothing was fetched."""


def _letter_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LetterURLFetcher(URLFetcher):
        """WeasyPrint's fetcher for letters: serves the project's own letter assets and refuses
        every other URL (other files, http(s), data:, ...) without opening it.

        `refused` lists the URLs turned down, for tests and the log."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file",), allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            path = _allowed_asset(url)
            if path is None:
                self.refused.append(url)
                logger.warning("letter rendering refused to fetch %.200s", url)
                raise LetterAssetRefused(f"the letter may not load {url[:200]}")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime_type}
            )

    return LetterURLFetcher


def _allowed_asset(url: str) -> Path | None:
    """The file `url` names when it is one of the letter's assets, else None."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    try:
        path = Path(unquote(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if path.suffix.lower() not in LETTER_ASSET_SUFFIXES or not path.is_file():
        return None
    for folder in LETTER_ASSET_DIRS:
        if path.is_relative_to(folder.resolve()):
            return path
    return None


def letter_url_fetcher():  # -> LetterURLFetcher (a weasyprint.urls.URLFetcher)
    """A new fetcher restricted to the letter's own assets."""
    return _letter_fetcher_class()()


def state_name(code: str) -> str:
    """'GA' -> 'Georgia'; an unknown code is shown as given rather than dropped."""
    return STATE_NAMES.get(code.strip().upper(), code.strip())


def _with_period(text: str) -> str:
    """The letter ends each guideline sentence with one period, whatever the citation ends with."""
    text = " ".join(text.split())
    return text if text.endswith(".") else f"{text}."


# A word holding "/" or "-" (his/her, 98-99, 5/3/2007): WeasyPrint may break a line after
# the slash or hyphen, and the extracted text would then read "his/ her".
_BREAKABLE_WORD = re.compile(r"\S*[/\-]\S*")
# Longer than this (a URL), a word may be broken anywhere: kept whole it would run off the
# right margin and be lost (letter.css wraps it with overflow-wrap).
KEEP_WHOLE_MAX_CHARS = 40


def keep_words_whole(text: str) -> SafeString:
    """Escape `text` and keep each word containing '/' or '-' on one line (unless very long)."""
    parts: list[str] = []
    last = 0
    for match in _BREAKABLE_WORD.finditer(text):
        if len(match.group()) > KEEP_WHOLE_MAX_CHARS:
            continue
        parts.append(escape(text[last : match.start()]))
        parts.append(f'<span class="nobreak">{escape(match.group())}</span>')
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece is escaped above)


# A filter over the letter's free text (the library app's redaction); identity by default.
TextFilter = Callable[[str], str]


def _unchanged(text: str) -> str:
    return text


def _paragraphs(text: str, redact: TextFilter = _unchanged) -> list[SafeString]:
    """Blank lines separate the reviewer's paragraphs; single line breaks are just spaces."""
    return [keep_words_whole(redact(part.strip())) for part in re.split(r"\n\s*\n", text) if part.strip()]


def _guideline(text: str, redact: TextFilter = _unchanged) -> SafeString | str:
    return keep_words_whole(_with_period(redact(text))) if text.strip() else ""


def letter_credentials(*, determination: Determination) -> tuple[list[str], list[str]]:
    """(state codes, specialties) as the letter states them.

    Recorded on the determination for migrated past cases and frozen at issue; otherwise
    read from the reviewer's current licenses (in their recorded order) and certifications.
    """
    states = list(determination.licensure_states or [])
    certifications = list(determination.certifications or [])
    reviewer = determination.reviewer
    if not states and reviewer is not None:
        for license_ in reviewer.licenses.all():  # ordered by position
            if license_.active and license_.state not in states:
                states.append(license_.state)
    if not certifications and reviewer is not None:
        certifications = [c.specialty for c in reviewer.certifications.all()]
    return states, certifications


def _date_assigned(*, determination: Determination) -> date | None:
    """The day the case was assigned to the reviewer who decided it (imported history too)."""
    reviewer = determination.reviewer
    return date_assigned(
        case_id=determination.case_id, reviewer_number=reviewer.reviewer_number if reviewer else None
    )


def build_letter_context(
    *,
    determination: Determination,
    recipients: list[LetterRecipient] | None = None,
    redact: TextFilter = _unchanged,
) -> dict[str, Any]:
    """Everything the letter template shows, read in a fixed number of queries.

    The reviewer appears only through their credentials: no name, no reviewer number.
    The copies list is `recipients` when given (issuing passes the list it delivers to),
    else `letter_recipients` of the case: the same list either way.
    `redact` is applied to every free text (summary, items, guidelines, rationales, document
    titles) before it is escaped: the library app passes its redaction for the published copy
    and replaces the header's party fields and the copies list itself.
    """
    determination = (
        Determination.objects.select_related("case", "reviewer")
        .prefetch_related(
            "reviewer__licenses", "reviewer__certifications", "case__parties", "case__consolidated_cases"
        )
        .get(pk=determination.pk)
    )
    case = determination.case
    parties = {party.role: party for party in case.parties.all()}
    decisions = list(determination.items.select_related("disputed_item").order_by("disputed_item__position"))
    states, certifications = letter_credentials(determination=determination)

    items = []
    for decision in decisions:
        item = decision.disputed_item
        items.append(
            {
                "description": keep_words_whole(redact(" ".join(item.description.split()))),
                "decision": decision.decision,
                "decision_label": Decision(decision.decision).label if decision.decision else "Undecided",
                "claims_administrator_guideline": _guideline(item.claims_administrator_guideline, redact),
                "reviewer_guideline": _guideline(decision.reviewer_guideline, redact),
                "rationale": _paragraphs(decision.rationale, redact),
            }
        )
    if not items:
        # An empty draft still previews its disputed items.
        for item in case.disputed_items.all():
            items.append(
                {
                    "description": keep_words_whole(redact(" ".join(item.description.split()))),
                    "decision": "",
                    "decision_label": "Undecided",
                    "claims_administrator_guideline": _guideline(item.claims_administrator_guideline, redact),
                    "reviewer_guideline": "",
                    "rationale": [],
                }
            )

    employee = parties.get(PartyRole.EMPLOYEE)
    attorney = parties.get(PartyRole.ATTORNEY)
    employer = parties.get(PartyRole.EMPLOYER)
    claims_administrator = parties.get(PartyRole.CLAIMS_ADMINISTRATOR)
    provider = parties.get(PartyRole.REQUESTING_PROVIDER)
    documents = [
        {"kind": doc.get_kind_display(), "title": redact(doc.title), "received_on": us_date(doc.received_on)}
        for doc in case.documents.all()
    ]
    letter_date = determination.issued_on or clock.today()
    consolidated = sorted(other.case_number for other in case.consolidated_cases.all())
    if recipients is None:
        recipients = letter_recipients(case=case)
    copies_to = [{"role_label": recipient.role_label, "name": recipient.name} for recipient in recipients]
    return {
        "imro_name": settings.IMRO_NAME,
        "imro_short_name": settings.IMRO_SHORT_NAME,
        "imro_address": getattr(settings, "IMRO_ADDRESS", ""),
        "letter_date": letter_date.strftime("%B %d, %Y").replace(" 0", " "),
        "case_number": case.case_number,
        "header": [
            ("Case Number", case.case_number),
            ("Date Assigned", us_date(_date_assigned(determination=determination))),
            ("UR Denial Date", us_date(case.ur_decision_date)),
            ("Application Received", us_date(case.received_on)),
            ("Priority", case.get_priority_display()),
            ("Employee", employee.name if employee else ""),
            ("Claim Number", claims_administrator.claim_number if claims_administrator else ""),
            ("Date of Injury", us_date(case.injury_date)),
            ("Employer", employer.name if employer else ""),
            ("Claims Administrator", claims_administrator.name if claims_administrator else ""),
            ("Requesting Provider", provider.name if provider else ""),
            *([("Employee's Attorney", attorney.name)] if attorney else []),
            # Applications consolidated into this case: one letter decides all their items.
            *([("Consolidated Case(s)", ", ".join(consolidated))] if consolidated else []),
        ],
        "treatments": [item["description"] for item in items],
        "licensure_states": [state_name(code) for code in states],
        "certifications": certifications,
        "clinical_case_summary": _paragraphs(determination.clinical_case_summary, redact),
        "items": items,
        "any_overturned": any(item["decision"] == Decision.OVERTURNED for item in items),
        "documents": documents,
        "copies_to": copies_to,
    }


@functools.cache
def _letter_css_text() -> str:
    return LETTER_CSS_PATH.read_text(encoding="utf-8")


@functools.cache
def font_configuration():  # -> weasyprint.text.fonts.FontConfiguration
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def _letter_css():  # -> weasyprint.CSS
    import weasyprint

    return weasyprint.CSS(
        string=_letter_css_text(),
        base_url=LETTER_BASE_URL,
        font_config=font_configuration(),
        url_fetcher=letter_url_fetcher(),
    )


def _render_html(*, context: dict[str, Any], draft: bool, inline_css: bool) -> str:
    return render_to_string(
        LETTER_TEMPLATE,
        {**context, "draft": draft, "inline_css": _letter_css_text() if inline_css else ""},
    )


def render_letter_html(
    *, determination: Determination, draft: bool = True, recipients: list[LetterRecipient] | None = None
) -> str:
    """The letter as a self-contained HTML page (its print stylesheet inlined), for previews."""
    return _render_html(
        context=build_letter_context(determination=determination, recipients=recipients),
        draft=draft,
        inline_css=True,
    )


def render_context_pdf(*, context: dict[str, Any], draft: bool = False) -> bytes:
    """A letter PDF from a context built (and possibly changed) by the caller: the published copy."""
    return html_to_pdf(html=_render_html(context=context, draft=draft, inline_css=False))


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF with its page count, as WeasyPrint laid it out (no need to parse the PDF again)."""

    data: bytes
    pages: int


def html_to_pdf(*, html: str, url_fetcher=None) -> bytes:
    """Lay out letter HTML (without inline CSS) with the cached stylesheet and fonts.

    Whatever the HTML asks to load goes through `letter_url_fetcher()` (or the one given):
    only the letter's own assets are served, so even HTML that escaped escaping can neither
    read a local file nor reach a network service."""
    return render_html(html=html, url_fetcher=url_fetcher).data


def render_html(*, html: str, url_fetcher=None) -> RenderedPdf:
    """`html_to_pdf` with the number of pages laid out."""
    import weasyprint

    fetcher = url_fetcher if url_fetcher is not None else letter_url_fetcher()
    # One layout at a time per process: the shared FontConfiguration (Pango's font map) is not
    # thread-safe, and two threads laying out at once (a thread-pool worker rendering two
    # invoices, threaded web workers sending two notices) hung in it. The work is CPU-bound
    # Python under the GIL, so the lock costs no throughput; processes still render in parallel.
    with _RENDER_LOCK:
        document = weasyprint.HTML(string=html, base_url=LETTER_BASE_URL, url_fetcher=fetcher).render(
            stylesheets=[_letter_css()], font_config=font_configuration()
        )
        return RenderedPdf(data=document.write_pdf(), pages=len(document.pages))


_RENDER_LOCK = threading.Lock()


def render_letter_pdf(
    *, determination: Determination, draft: bool, recipients: list[LetterRecipient] | None = None
) -> bytes:
    """The letter as PDF bytes (US Letter, 'Page X of Y' on every page)."""
    return render_letter(determination=determination, draft=draft, recipients=recipients).data


def render_letter(
    *, determination: Determination, draft: bool, recipients: list[LetterRecipient] | None = None
) -> RenderedPdf:
    """`render_letter_pdf` with its page count (issuing stores both)."""
    html = _render_html(
        context=build_letter_context(determination=determination, recipients=recipients),
        draft=draft,
        inline_css=False,
    )
    return render_html(html=html)
