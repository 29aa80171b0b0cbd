"""Records a party submits (browser, party link or API), the receipt, declaring them complete.

Each PDF goes through the staff upload's own checks and storage (`cases.services.documents`:
content must be a whole PDF without active content, within DOCUMENT_MAX_UPLOAD_MB, not already
on the case). A submission of several files is all-or-nothing: every file is checked before
anything is written, and the documents, the submission, its records and the receipt email's
outbox row are written in one transaction. An upload after the case's records due date is
late: its days late and penalty are computed from the upload's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from cases import deadlines
from cases.errors import CaseError
from cases.models import EARLIEST_CASE_DATE, Case, DocumentKind
from cases.services.case_actions import mark_records_complete
from cases.services.documents import add_document, check_not_duplicate, inspect_pdf
from cases.services.workflow import lock_case
from core import clock, outbox
from core.dates import us_date
from portal import selectors
from portal.errors import DuplicateRecordError, PortalError
from portal.models import CaseLink, Organization, PartyLink, RecordKind, RecordSubmission, SubmittedRecord

RECEIPT_EMAIL = "portal.records_receipt"
MAX_FILES_PER_SUBMISSION = 20

# The case document kind each record kind is filed as.
DOCUMENT_KIND = {
    RecordKind.MEDICAL_RECORDS: DocumentKind.MEDICAL_RECORD,
    RecordKind.IMAGING: DocumentKind.MEDICAL_RECORD,
    RecordKind.OTHER: DocumentKind.MEDICAL_RECORD,
    RecordKind.UR_FILE: DocumentKind.UR_DECISION,
    RecordKind.CORRESPONDENCE: DocumentKind.CORRESPONDENCE,
}


@dataclass(frozen=True)
class RecordUpload:
    file: File
    kind: str
    date_from: date | None
    date_to: date | None


@dataclass(frozen=True)
class Submitter:
    """Who submits: an organization (a user of it, or its API token) or a party through its link."""

    label: str
    organization: Organization | None = None
    party_link: PartyLink | None = None
    user: User | None = None
    through_api: bool = False
    email: str = ""


def _file_name(upload: RecordUpload, index: int) -> str:
    name = getattr(upload.file, "name", "") or ""
    return name.rsplit("/", 1)[-1][:200] or f"file {index + 1}"


def _check_upload(upload: RecordUpload, *, index: int, on: date) -> None:
    name = _file_name(upload, index)
    if upload.kind not in RecordKind.values:
        raise PortalError(
            f"{name}: unknown kind of record {upload.kind!r}; choose one of: {', '.join(RecordKind.values)}.",
            field="kind",
        )
    if upload.date_from is None or upload.date_to is None:
        raise PortalError(f"{name}: give the dates the records cover (from and to).", field="date_from")
    if upload.date_from > upload.date_to:
        raise PortalError(f"{name}: the records' first date is after their last date.", field="date_from")
    if upload.date_to > on:
        raise PortalError(f"{name}: the records cannot cover dates in the future.", field="date_to")
    if upload.date_from < EARLIEST_CASE_DATE:
        raise PortalError(f"{name}: the records cannot start before 1900.", field="date_from")


def _title(upload: RecordUpload, submitter: Submitter) -> str:
    return (
        f"{RecordKind(upload.kind).label}, {us_date(upload.date_from)} to {us_date(upload.date_to)}, "
        f"from {submitter.label}"
    )[:200]


def submit_records(*, case_id: int, uploads: list[RecordUpload], submitter: Submitter) -> RecordSubmission:
    """Store every upload as a document of the case, or none; raises PortalError saying why."""
    if not uploads:
        raise PortalError("Choose at least one PDF to upload.", field="files")
    if len(uploads) > MAX_FILES_PER_SUBMISSION:
        raise PortalError(f"Upload at most {MAX_FILES_PER_SUBMISSION} files at a time.", field="files")
    on = clock.today()
    hashes: dict[str, str] = {}
    for index, upload in enumerate(uploads):
        _check_upload(upload, index=index, on=on)
        name = _file_name(upload, index)
        try:
            inspection = inspect_pdf(uploaded_file=upload.file)
        except CaseError as error:
            raise PortalError(f"{name}: {error.message}", field="files") from error
        if inspection.sha256 in hashes:
            raise DuplicateRecordError(
                f"{name} is the same file as {hashes[inspection.sha256]}; upload it once.", field="files"
            )
        hashes[inspection.sha256] = name
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        if case.status not in selectors.RECORDS_OPEN_STATUSES:
            raise PortalError(
                f"Case {case.case_number} is {case.get_status_display().lower()}: it takes no more records.",
                field="files",
            )
        for sha256, name in hashes.items():
            try:
                check_not_duplicate(case=case, sha256=sha256)
            except CaseError as error:
                raise DuplicateRecordError(f"{name}: {error.message}", field="files") from error
        now = clock.now()
        days_late = selectors.days_late_at(case=case, on=timezone.localdate(now))
        submission = RecordSubmission.objects.create(
            case=case,
            organization=submitter.organization,
            party_link=submitter.party_link,
            submitted_by=submitter.user,
            through_api=submitter.through_api,
            submitted_at=now,
            receipt_email=submitter.email,
        )
        records = []
        for index, upload in enumerate(uploads):
            date_from, date_to = upload.date_from, upload.date_to
            assert date_from is not None and date_to is not None  # _check_upload refused None
            document = add_document(
                case=case,
                uploaded_file=upload.file,
                kind=DOCUMENT_KIND[RecordKind(upload.kind)],
                title=_title(upload, submitter),
                received_on=on,
                by=submitter.user,
            )
            records.append(
                SubmittedRecord(
                    submission=submission,
                    case=case,
                    document=document,
                    kind=upload.kind,
                    date_from=date_from,
                    date_to=date_to,
                    original_name=_file_name(upload, index),
                    uploaded_at=now,
                    days_late=days_late,
                    penalty_usd=deadlines.compute_records_late_penalty_usd(days_late=days_late),
                )
            )
        SubmittedRecord.objects.bulk_create(records)
        if submitter.email:
            outbox.enqueue(
                RECEIPT_EMAIL,
                payload={"submission_id": submission.pk},
                key=f"receipt:{submission.pk}",
                by=submitter.user,
                cause=f"records received on {case.case_number}",
            )
    return submission


def receipt_text(*, submission: RecordSubmission) -> str:
    lines = [
        f"{settings.IMRO_NAME} received these records for IMR case {submission.case.case_number} on "
        f"{timezone.localtime(submission.submitted_at):%m/%d/%Y at %I:%M %p} (Pacific time):",
        "",
    ]
    for record in submission.records.select_related("document").order_by("id"):
        lines.append(
            f"- {record.original_name}: {record.get_kind_display()}, {us_date(record.date_from)} to "
            f"{us_date(record.date_to)}, {record.document.pages} page(s), SHA-256 {record.document.sha256}"
        )
        if record.late:
            lines.append(
                f"  Received {record.days_late} day(s) after the records were due; "
                f"penalty ${record.penalty_usd:,}."
            )
    lines += ["", "Keep this receipt: the SHA-256 identifies each file exactly.", "", settings.IMRO_NAME]
    return "\n".join(lines)


def send_receipt(*, submission_id: int) -> int:
    """Email the receipt once (the row is marked under a lock; a replay sends nothing)."""
    with transaction.atomic():
        submission = RecordSubmission.objects.select_for_update().select_related("case").get(pk=submission_id)
        if submission.receipt_sent_at is not None or not submission.receipt_email:
            return 0
        sent = EmailMessage(
            subject=f"Receipt: records for IMR case {submission.case.case_number}",
            body=receipt_text(submission=submission),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[submission.receipt_email],
        ).send()
        submission.receipt_sent_at = clock.now()
        submission.save(update_fields=["receipt_sent_at"])
    return sent


def declare_records_complete(*, link: CaseLink, by: User) -> Case:
    """The claims administrator says every record is in: the case moves on (workflow service)."""
    reason = selectors.can_declare_complete(link=link)
    if reason is not None:
        raise PortalError(reason)
    return mark_records_complete(case_id=link.case_id, by=by, expected_from=link.case.status)


def mark_seen(*, case_id: int, by: User) -> int:
    """Staff saw the case's new records: they leave the queue and the case page's flag."""
    return SubmittedRecord.objects.filter(case_id=case_id, seen_at__isnull=True).update(
        seen_at=clock.now(), seen_by=by
    )
