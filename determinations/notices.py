"""The notices the IMRO sends besides the letter: their facts, HTML and PDF (WeasyPrint).

Pure rendering, like `determinations.letters` (whose stylesheet, fonts, running header and
restricted URL fetcher every notice shares): nothing here writes to the database. Issuing a
notice (storing its PDF once, delivering it to each party) is `determinations.services.notices`.

A notice's `facts` are what it states beyond the case itself (the records due date, the
reasons, the days late, the fee): computed once when it is issued, stored with it as JSON, and
rendered from there, so a preview and the sent PDF say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from cases import deadlines
from cases.eligibility import evaluate_eligibility
from cases.models import (
    Case,
    CaseStatus,
    ItemCategory,
    NoticeKind,
    NoticeMethod,
    Party,
    PartyRole,
    Priority,
)
from cases.services.consolidation import review_parties
from core import clock
from core.dates import us_date
from determinations.letter_selectors import LETTER_RECIPIENT_ROLES, LetterRecipient, letter_recipient
from determinations.letters import _letter_css_text, html_to_pdf
from determinations.models import Delivery

NOTICE_TEMPLATE = "determinations/notices/{kind}.html"

# Who receives each notice, in the order it names them. Every party is told of eligibility,
# assignment, ineligibility, a conversion, a withdrawal or a termination (8 CCR 9792.10.4);
# only the claims administrator owes the late records and their penalty.
NOTICE_RECIPIENT_ROLES: dict[str, tuple[str, ...]] = {
    **{kind: tuple(LETTER_RECIPIENT_ROLES) for kind in NoticeKind.values},
    NoticeKind.LATE_RECORDS: (PartyRole.CLAIMS_ADMINISTRATOR,),
}
# The running header of each notice (the letter's is "IMR Final Determination").
RUNNING_TITLE: dict[str, str] = {
    NoticeKind.ELIGIBILITY: "IMR Notice of Eligibility",
    NoticeKind.NOARFI: "IMR Notice of Assignment and Request for Information",
    NoticeKind.INELIGIBILITY: "IMR Notice of Ineligibility",
    NoticeKind.EXPEDITED: "IMR Notice of Conversion to Expedited Review",
    NoticeKind.WITHDRAWAL: "IMR Confirmation of Withdrawal",
    NoticeKind.TERMINATION: "IMR Confirmation of Termination",
    NoticeKind.LATE_RECORDS: "IMR Notice of Late Medical Records",
}
# The states in which a case has not yet reached a reviewer: a review ended there costs the
# claims administrator the lower fee (domain.md, fees).
BEFORE_REVIEWER = frozenset(
    {
        CaseStatus.RECEIVED,
        CaseStatus.ELIGIBILITY_REVIEW,
        CaseStatus.AWAITING_RECORDS,
        CaseStatus.READY_FOR_ASSIGNMENT,
    }
)


# ---- How to send records: the address today, the records portal's link later -------------

# The records portal (another app, higher up) registers a function here from its `ready()`:
# `provider(case=..., party=...)` returns that party's upload link, or "" when it has none.
RecordsLinkProvider = Callable[..., str]
_records_link_providers: list[RecordsLinkProvider] = []


def register_records_link_provider(provider: RecordsLinkProvider) -> RecordsLinkProvider:
    """HOOK for the records portal: put a per-party upload link into the NOARFI's email."""
    if provider not in _records_link_providers:
        _records_link_providers.append(provider)
    return provider


def unregister_records_link_provider(provider: RecordsLinkProvider) -> None:
    if provider in _records_link_providers:
        _records_link_providers.remove(provider)


def records_address() -> str:
    """Where records are mailed: IMRO_RECORDS_ADDRESS, else the IMRO's own address."""
    return getattr(settings, "IMRO_RECORDS_ADDRESS", "") or getattr(settings, "IMRO_ADDRESS", "")


def records_upload_link(*, case: Case, party: Party | None) -> str:
    """The party's link to upload records through the portal ("" until a portal registers)."""
    for provider in _records_link_providers:
        link = provider(case=case, party=party)
        if link:
            return link
    return ""


# ---- Recipients ---------------------------------------------------------------------------


def notice_recipients(
    *, case: Case, kind: str, parties: dict[str, Party] | None = None
) -> list[LetterRecipient]:
    """The parties notice `kind` goes to (each by email when it has an address, else by post); a
    lead case's notice reaches the parties of the cases consolidated into it (`review_parties`,
    read here unless the caller read them once for several notices)."""
    if parties is None:
        parties = review_parties(case=case)
    return [letter_recipient(party=parties[role]) for role in NOTICE_RECIPIENT_ROLES[kind] if role in parties]


def missing_addresses(*, recipients: list[LetterRecipient]) -> list[str]:
    """'employer Central Valley Packing Co.' for each recipient with neither email nor postal address."""
    return [
        f"the {recipient.role_label.lower()} {recipient.name}"
        for recipient in recipients
        if not recipient.email and not recipient.postal_address
    ]


# ---- Facts: what each notice states, computed once when it is issued ----------------------


def records_days_text(*, method: str, expedited: bool) -> str:
    """How long the parties have for the records, as the NOARFI says it."""
    if expedited:
        return "24 hours"
    if method == NoticeMethod.MAIL:
        return f"{deadlines.RECORDS_DAYS_AFTER_MAILED_NOTICE} calendar days"
    return f"{deadlines.RECORDS_DAYS_AFTER_ELECTRONIC_NOTICE} calendar days"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _fee(*, case: Case, ended_before_reviewer: bool) -> int | None:
    items = list(case.disputed_items.all())
    return deadlines.compute_fee_usd(
        received_on=case.received_on,
        expedited=case.priority == Priority.EXPEDITED,
        pharmacy_only=bool(items) and all(item.category == ItemCategory.PHARMACEUTICALS for item in items),
        ended_before_reviewer=ended_before_reviewer,
    )


def notice_facts(
    *, case: Case, kind: str, reason: str = "", source: str = "", on: date | None = None
) -> dict:
    """What notice `kind` states about `case` on `on` (JSON-ready), beyond the case's own fields.

    `reason`: the reasons of an ineligibility (one a line), the written reason of a withdrawal or
    termination, the certification note of a conversion. `source`: the state before the step.
    """
    on = on or clock.today()
    facts: dict[str, Any] = {"notice_date": on.isoformat()}
    if kind == NoticeKind.NOARFI:
        method = case.notice_method or NoticeMethod.MAIL
        facts.update(
            records_due=_iso(case.records_due),
            notice_method=method,
            records_days=records_days_text(method=method, expedited=case.priority == Priority.EXPEDITED),
            records_address=records_address(),
        )
    elif kind == NoticeKind.ELIGIBILITY:
        facts.update(eligible_on=_iso(case.eligible_on), notice_due=_iso(case.notice_due))
    elif kind == NoticeKind.INELIGIBILITY:
        reasons = [line.strip() for line in reason.splitlines() if line.strip()]
        if not reasons:
            reasons = [r.message for r in evaluate_eligibility(case=case).reasons]
        facts.update(reasons=reasons)
    elif kind == NoticeKind.EXPEDITED:
        facts.update(
            expedited_on=_iso(case.expedited_on),
            records_due=_iso(case.records_due),
            determination_due=_iso(case.determination_due),
            records_complete=case.records_complete_on is not None,
        )
    elif kind in (NoticeKind.WITHDRAWAL, NoticeKind.TERMINATION):
        before_reviewer = (source or case.status) in BEFORE_REVIEWER
        facts.update(
            reason=reason.strip(),
            ended_before_reviewer=before_reviewer,
            fee_usd=_fee(case=case, ended_before_reviewer=before_reviewer),
        )
    elif kind == NoticeKind.LATE_RECORDS:
        days_late = deadlines.compute_records_days_late(
            records_due=case.records_due, records_complete_on=case.records_complete_on, today=on
        )
        facts.update(
            records_due=_iso(case.records_due),
            days_late=days_late,
            penalty_usd=deadlines.compute_records_late_penalty_usd(days_late=days_late),
            penalty_per_day_usd=deadlines.RECORDS_LATE_PENALTY_PER_DAY_USD,
            penalty_max_usd=deadlines.RECORDS_LATE_PENALTY_MAX_USD,
        )
    return facts


# ---- HTML and PDF -------------------------------------------------------------------------


def _us(iso: str) -> str:
    return us_date(date.fromisoformat(iso)) if iso else ""


def _long_date(day: date) -> str:
    return day.strftime("%B %d, %Y").replace(" 0", " ")


def build_notice_context(*, case: Case, kind: str, facts: dict, recipients: list[LetterRecipient]) -> dict:
    """Everything a notice template shows. Reads the case's parties and items (prefetched or not)."""
    parties = {party.role: party for party in case.parties.all()}
    employee = parties.get(PartyRole.EMPLOYEE)
    attorney = parties.get(PartyRole.ATTORNEY)
    employer = parties.get(PartyRole.EMPLOYER)
    claims_administrator = parties.get(PartyRole.CLAIMS_ADMINISTRATOR)
    provider = parties.get(PartyRole.REQUESTING_PROVIDER)
    notice_date = date.fromisoformat(facts["notice_date"])
    consolidated = [other.case_number for other in case.consolidated_cases.order_by("case_number")]
    shown = {key: _us(value) for key, value in facts.items() if key.endswith(("_due", "_on")) and value}
    return {
        "kind": kind,
        "title": NoticeKind(kind).label,
        "running_title": RUNNING_TITLE[kind],
        "imro_name": settings.IMRO_NAME,
        "imro_short_name": settings.IMRO_SHORT_NAME,
        "imro_address": getattr(settings, "IMRO_ADDRESS", ""),
        "notice_date": _long_date(notice_date),
        "case_number": case.case_number,
        "expedited": case.priority == Priority.EXPEDITED,
        "header": [
            ("Case Number", case.case_number),
            ("Notice Date", us_date(notice_date)),
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
            # Applications consolidated into this case (8 CCR 9792.10.4): one notice for all.
            *([("Consolidated Case(s)", ", ".join(consolidated))] if consolidated else []),
        ],
        "treatments": [" ".join(item.description.split()) for item in case.disputed_items.all()],
        "provider_name": provider.name if provider else "the requesting physician",
        "claims_administrator_name": claims_administrator.name if claims_administrator else "",
        "ur_decision_date": us_date(case.ur_decision_date),
        "received_on": us_date(case.received_on),
        "facts": facts,
        "dates": shown,
        "copies_to": [{"role_label": r.role_label, "name": r.name} for r in recipients],
    }


def render_notice_html(*, context: dict, draft: bool, inline_css: bool) -> str:
    return render_to_string(
        NOTICE_TEMPLATE.format(kind=context["kind"]),
        {**context, "draft": draft, "inline_css": _letter_css_text() if inline_css else ""},
    )


def render_notice_pdf(*, context: dict, draft: bool = False) -> bytes:
    """The notice as PDF bytes: the letter's stylesheet, fonts and restricted fetcher."""
    return html_to_pdf(html=render_notice_html(context=context, draft=draft, inline_css=False))


def preview_notice_html(*, case: Case, kind: str, reason: str = "") -> str:
    """A staff preview of notice `kind` as it would go today (self-contained HTML, marked DRAFT)."""
    recipients = notice_recipients(case=case, kind=kind)
    facts = notice_facts(case=case, kind=kind, reason=reason, source=case.status)
    if kind == NoticeKind.NOARFI and not case.notice_sent_on:
        facts.update(_noarfi_preview_facts(case=case))
    return render_notice_html(
        context=build_notice_context(case=case, kind=kind, facts=facts, recipients=recipients),
        draft=True,
        inline_css=True,
    )


def _noarfi_preview_facts(*, case: Case) -> dict:
    """Before the NOARFI goes, its records due date as it would be if it went today."""
    on = clock.today()
    emails = [party.email.strip() for party in case.parties.all()]
    method = NoticeMethod.ELECTRONIC if emails and all(emails) else NoticeMethod.MAIL
    expedited = case.priority == Priority.EXPEDITED
    due = deadlines.compute_records_due(notice_on=on, notice_method=method, expedited=expedited)
    days = records_days_text(method=method, expedited=expedited)
    return {"records_due": due.isoformat(), "notice_method": method, "records_days": days}


# ---- The email that carries a notice ------------------------------------------------------


def notice_email(*, delivery: Delivery) -> tuple[str, str]:
    """(subject, body) of the email that carries a notice's PDF to one party.

    Names the case only by its number (never a party's name or health details); the NOARFI's
    email adds how to send the records, with the party's upload link once the portal gives one.
    """
    notice = delivery.notice
    assert notice is not None
    case = notice.case
    title = NoticeKind(notice.kind).label
    body = render_to_string(
        "determinations/notices/delivery_email.txt",
        {
            "title": title,
            "case_number": case.case_number,
            "notice": notice,
            "delivery": delivery,
            "imro_name": settings.IMRO_NAME,
            "is_noarfi": notice.kind == NoticeKind.NOARFI,
            "records_address": notice.facts.get("records_address") or records_address(),
            "records_due": _us(notice.facts.get("records_due", "")),
            # The party's own page on the records portal (status, records upload, the letter once
            # issued): every notice carries it once a portal registers.
            "upload_link": records_upload_link(case=case, party=delivery.party),
        },
    )
    return f"IMR {title} - Case {case.case_number}", body
