"""What a party may see: the cases of an organization, a case's status in plain words.

An organization's users see a case only through a `CaseLink` of their organization; anything
else answers None (the views turn it into the same 404 as a case that does not exist).
Nothing here returns a reviewer's identity or another party's contact details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from cases import deadlines
from cases.models import Case, CaseStatus, DocumentKind, PartyRole
from core import clock
from determinations.models import Determination, Letter
from portal.models import CaseLink, Membership, Organization, SubmittedRecord

S = CaseStatus
CASES_PER_PAGE = 50

# The state of a case in the words a party reads.
PLAIN_STATUS: dict[str, str] = {
    S.RECEIVED: "The application was received and is waiting to be checked.",
    S.ELIGIBILITY_REVIEW: "The application is being checked for eligibility for Independent Medical Review.",
    S.INELIGIBLE: "The application is not eligible for Independent Medical Review; a notice says why.",
    S.AWAITING_RECORDS: "The case was accepted; the medical records are being collected.",
    S.READY_FOR_ASSIGNMENT: "The records are complete; the case is waiting for an expert reviewer.",
    S.ASSIGNED: "The case is with an expert reviewer.",
    S.IN_REVIEW: "An expert reviewer is reviewing the case.",
    S.QA_REVIEW: "The expert reviewer's determination is being checked before the letter is issued.",
    S.DETERMINATION_ISSUED: "The Final Determination letter was issued.",
    S.CLOSED: "The review is finished and the case is closed.",
    S.WITHDRAWN: "The application was withdrawn.",
    S.TERMINATED: "The review ended: the claims administrator authorized the disputed treatment.",
}

# The parties the Final Determination letter goes to, and so who may download it (domain.md).
LETTER_ENTITLED_ROLES = frozenset(
    {
        PartyRole.EMPLOYEE,
        PartyRole.ATTORNEY,
        PartyRole.REQUESTING_PROVIDER,
        PartyRole.CLAIMS_ADMINISTRATOR,
        PartyRole.EMPLOYER,
    }
)
# States in which records may still be submitted.
RECORDS_OPEN_STATUSES = frozenset(
    {S.ELIGIBILITY_REVIEW, S.AWAITING_RECORDS, S.READY_FOR_ASSIGNMENT, S.ASSIGNED, S.IN_REVIEW}
)


def membership_of(*, user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organization").filter(user_id=user.pk).first()


def organization_of(*, user: AbstractBaseUser | AnonymousUser) -> Organization | None:
    membership = membership_of(user=user)
    return membership.organization if membership is not None else None


def cases_of(*, organization: Organization) -> QuerySet[CaseLink]:
    return CaseLink.objects.filter(organization=organization).select_related("case")


def case_page(*, organization: Organization, page: str | int | None) -> Page:
    """One page of the organization's cases, newest link first (index on organization, id)."""
    return Paginator(cases_of(organization=organization).order_by("-id"), CASES_PER_PAGE).get_page(page)


def link_for(*, organization: Organization, case_number: str) -> CaseLink | None:
    """The organization's link to the case, or None (not a party: the case does not exist for it)."""
    return (
        CaseLink.objects.select_related("case", "organization")
        .filter(organization=organization, case__case_number=case_number)
        .first()
    )


def current_letter(*, case: Case) -> Letter | None:
    """The latest version of the issued letter of the case's current determination, or None."""
    if case.status not in (S.DETERMINATION_ISSUED, S.CLOSED):
        return None
    determination = Determination.objects.current().filter(case=case).first()
    if determination is None:
        return None
    return determination.letters.order_by("-version").first()


@dataclass(frozen=True)
class DateRow:
    label: str
    on: date


@dataclass(frozen=True)
class CaseStatusView:
    """What every party may read about a case: no reviewer, no other party's contact details."""

    case_number: str
    status: str
    status_label: str
    plain_status: str
    priority: str
    expedited: bool
    dates: list[DateRow]
    waiting_for: list[str]
    treatments: list[str]
    letter: Letter | None
    records_open: bool
    records_due: date | None
    determination_due: date | None
    records_complete_on: date | None


def waiting_for(*, case: Case, role: str, has_medical_record: bool) -> list[str]:
    """What the IMRO waits for now, in words, with what this party can do about it."""
    status = case.status
    if status == S.RECEIVED or status == S.ELIGIBILITY_REVIEW:
        return ["The IMRO is checking the application; the parties may be asked for missing information."]
    if status == S.AWAITING_RECORDS:
        due = f" by {case.records_due:%m/%d/%Y}" if case.records_due else ""
        items = [f"The medical records from the claims administrator and the treating physician{due}."]
        if role == PartyRole.CLAIMS_ADMINISTRATOR:
            items.append(
                "Once every record is uploaded, declare the records complete on this page."
                if has_medical_record
                else "Upload the medical records, then declare the records complete."
            )
        return items
    if status in (S.READY_FOR_ASSIGNMENT, S.ASSIGNED, S.IN_REVIEW, S.QA_REVIEW):
        due = f" (due {case.determination_due:%m/%d/%Y})" if case.determination_due else ""
        return [f"The expert reviewer's determination{due}. Nothing is needed from the parties now."]
    return []


def case_status(*, case: Case, role: str) -> CaseStatusView:
    """The status page of `case` for the party in `role` (three queries: items, records, letter)."""
    rows: list[DateRow] = [DateRow("Application received", case.received_on)]
    for label, value in (
        ("Notice of assignment sent", case.notice_sent_on),
        ("Medical records due", case.records_due),
        ("Records complete", case.records_complete_on),
        ("Determination due", case.determination_due),
    ):
        if value is not None:
            rows.append(DateRow(label, value))
    letter = current_letter(case=case)
    if letter is not None:
        rows.append(DateRow("Final Determination letter issued", letter.issued_on))
        if case.appeal_due:
            rows.append(DateRow("Last day to appeal to the WCAB", case.appeal_due))
    has_medical_record = case.documents.filter(kind=DocumentKind.MEDICAL_RECORD).exists()
    return CaseStatusView(
        case_number=case.case_number,
        status=case.status,
        status_label=case.get_status_display(),
        plain_status=PLAIN_STATUS.get(case.status, case.get_status_display()),
        priority=case.get_priority_display(),
        expedited=case.is_expedited,
        dates=rows,
        waiting_for=waiting_for(case=case, role=role, has_medical_record=has_medical_record),
        treatments=list(case.disputed_items.order_by("position").values_list("description", flat=True)),
        letter=letter if role in LETTER_ENTITLED_ROLES else None,
        records_open=case.status in RECORDS_OPEN_STATUSES,
        records_due=case.records_due,
        determination_due=case.determination_due,
        records_complete_on=case.records_complete_on,
    )


def days_late_at(*, case: Case, on: date) -> int:
    """Days past the case's records due date of an upload on `on` (0 when on time or none due)."""
    return deadlines.compute_records_days_late(records_due=case.records_due, records_complete_on=on, today=on)


def can_declare_complete(*, link: CaseLink) -> str | None:
    """Why the organization cannot declare the records complete now (None: it can)."""
    if link.role != PartyRole.CLAIMS_ADMINISTRATOR:
        return "Only the claims administrator declares the records complete."
    if link.case.status != S.AWAITING_RECORDS:
        return f"Case {link.case.case_number} is not waiting for records."
    return None


def submissions_for(
    *, case: Case, organization: Organization | None = None, party_link_id: int | None = None
):
    """The submissions this submitter made on the case, newest first, with their records (2 queries)."""
    from portal.models import RecordSubmission

    submissions = RecordSubmission.objects.filter(case=case)
    if organization is not None:
        submissions = submissions.filter(organization=organization)
    else:
        submissions = submissions.filter(party_link_id=party_link_id)
    return submissions.prefetch_related("records__document").order_by("-submitted_at", "-id")[:20]


def new_records_page(*, after: int | None, size: int = 50) -> list[SubmittedRecord]:
    """The staff queue: records no staff member has seen yet, oldest first (keyset on id)."""
    records = SubmittedRecord.objects.filter(seen_at__isnull=True).select_related(
        "case", "document", "submission__organization", "submission__party_link"
    )
    if after is not None:
        records = records.filter(id__gt=after)
    return list(records.order_by("id")[: size + 1])


def today() -> date:
    return clock.today()
