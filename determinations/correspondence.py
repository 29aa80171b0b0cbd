"""The "Correspondence" section of the staff case page: every document sent or still to be sent.

Registered into `cases.sections` from `DeterminationsConfig.ready()`. It lists the notices and
letters issued for the case with each delivery (recipient, method, address, status), and the
notices the case may still need in its state, each with the parties it would go to, how (email
or post) and a preview link. Reads a fixed number of queries (notices, letters, their deliveries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from cases.models import OPEN_STATUSES, Case, CaseStatus, NoticeKind, Priority
from cases.services.consolidation import review_parties
from core import clock
from determinations.letter_selectors import LetterRecipient, case_correspondence
from determinations.notices import notice_recipients
from determinations.services.delivery import AUTOMATIC_STATUSES, RESENDABLE_STATUSES

S = CaseStatus


@dataclass(frozen=True)
class UpcomingNotice:
    kind: str
    label: str
    when: str  # what sends it
    recipients: list[LetterRecipient]


def upcoming_notices(*, case: Case, issued: set[str]) -> list[UpcomingNotice]:
    """The notices `case` may still get in its state (not yet issued), with what would send them."""
    rows: list[tuple[str, str]] = []
    if case.status in (S.RECEIVED, S.ELIGIBILITY_REVIEW):
        rows += [
            (
                NoticeKind.ELIGIBILITY,
                "Staff: “Send the notice of eligibility”, once eligibility is confirmed",
            ),
            (NoticeKind.NOARFI, "Staff: “Send the NOARFI”, once eligibility is confirmed"),
            (NoticeKind.INELIGIBILITY, "When the application is found ineligible"),
        ]
    if case.status == S.AWAITING_RECORDS:
        due = case.records_due.strftime("%m/%d/%Y") if case.records_due else "the records due date"
        rows.append(
            (NoticeKind.LATE_RECORDS, f"Automatically, the day after {due}, if the records are not in")
        )
    if case.status in OPEN_STATUSES:
        if case.priority != Priority.EXPEDITED:
            rows.append((NoticeKind.EXPEDITED, "Staff: “Convert to expedited”"))
        rows += [
            (NoticeKind.WITHDRAWAL, "Staff: “Withdraw”"),
            (NoticeKind.TERMINATION, "Staff: “Terminate (treatment authorized)”"),
        ]
    parties = review_parties(case=case) if rows else {}  # once for every notice listed
    return [
        UpcomingNotice(
            kind=kind,
            label=NoticeKind(kind).label,
            when=when,
            recipients=notice_recipients(case=case, kind=kind, parties=parties),
        )
        for kind, when in rows
        if kind not in issued
    ]


def correspondence_section(*, request: HttpRequest, case: Case) -> SafeString | str:
    user = request.user
    if not user.has_perm("determinations.view_delivery"):
        return ""
    notices, letters = case_correspondence(case=case)
    return mark_safe(  # noqa: S308 (a rendered template: autoescaped)
        render_to_string(
            "determinations/staff/_correspondence.html",
            {
                "case": case,
                "notices": notices,
                "letters": letters,
                "upcoming": upcoming_notices(case=case, issued={notice.kind for notice in notices}),
                "resendable": RESENDABLE_STATUSES,
                "automatic": AUTOMATIC_STATUSES,
                "can_resend": user.has_perm("determinations.change_delivery"),
                "can_download": user.has_perm("determinations.view_letter"),
                "overdue_before": clock.now() - timedelta(seconds=settings.OUTBOX_OVERDUE_SECONDS),
            },
            request=request,
        )
    )
