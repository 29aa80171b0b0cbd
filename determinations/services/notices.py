"""Issuing a notice: render it once, store it, deliver it to each party exactly once.

`issue_notice` runs inside the step that causes it (the NOARFI with the move to awaiting
records, the ineligibility with the finding, ...), which holds the case row locked: the notice,
its Delivery rows and their outbox rows are written in that transaction, or nothing is. The
deliveries then go through the letter's machinery (`determinations.services.delivery`): email
with the PDF where the party has an address (claimed, sent once, retried by the outbox), else
the post tray and its printable batch.

Refusals (a DomainError with the words staff read, raised before anything is written):
- a party entitled to the notice has neither an email nor a postal address (named);
- the notice was already issued for the case (one per kind and case, also a constraint).
"""

from __future__ import annotations

import hashlib
import io
import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction

from cases.errors import GuardError
from cases.hooks import notice_sender
from cases.models import Case, CaseEventKind, CaseStatus, NoticeKind
from cases.services.workflow import lock_case, record_case_event
from core import clock
from determinations.models import Delivery, DeliveryChannel, Notice
from determinations.notices import (
    build_notice_context,
    missing_addresses,
    notice_facts,
    notice_recipients,
    render_notice_pdf,
)
from determinations.services.letters import delivery_for, enqueue_send

log = logging.getLogger(__name__)


class NoticeError(GuardError):
    """A notice cannot be sent; the message says why (and nothing was sent)."""


def notice_event_data(*, notice: Notice) -> dict[str, Any]:
    """What the event of the step that sent `notice` records about it."""
    return {
        "notice": {
            "id": notice.pk,
            "kind": notice.kind,
            "sha256": notice.sha256,
            "deliveries": [
                {"role": d.recipient_role, "channel": d.channel, "delivery_id": d.pk}
                for d in notice.deliveries.order_by("id")
            ],
        }
    }


def issue_notice(
    *, case: Case, kind: str, by: AbstractBaseUser | None, reason: str = "", source: str = ""
) -> Notice:
    """Issue notice `kind` for the locked `case` (inside the caller's transaction) and deliver it.

    The caller's event records it (`notice_event_data`): the step's transition or action event."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("A notice is issued inside its step's transaction.")
    label = NoticeKind(kind).label
    if Notice.objects.filter(case=case, kind=kind).exists():
        raise NoticeError(
            f"The {label.lower()} of case {case.case_number} was already sent; it is not sent twice."
        )
    recipients = notice_recipients(case=case, kind=kind)
    missing = missing_addresses(recipients=recipients)
    if missing:
        raise NoticeError(
            f"The {label.lower()} cannot be sent: {'; '.join(missing)} "
            f"{'has' if len(missing) == 1 else 'have'} no email address and no postal address. "
            "Add one to the party on the case, then take the step again; nothing was sent."
        )
    facts = notice_facts(case=case, kind=kind, reason=reason, source=source)
    from pypdf import PdfReader  # here, not at load: about 0.1 s for every process that loads the app

    pdf = render_notice_pdf(
        context=build_notice_context(case=case, kind=kind, facts=facts, recipients=recipients)
    )
    notice = Notice(
        case=case,
        kind=kind,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=len(PdfReader(io.BytesIO(pdf)).pages),
        issued_on=clock.today(),
        facts=facts,
        created_by=by if by is not None and by.is_authenticated else None,  # type: ignore[misc]
    )
    notice.pdf.save(f"{notice.sha256}.pdf", ContentFile(pdf), save=False)
    try:
        notice.save()
        deliveries = Delivery.objects.bulk_create(
            [delivery_for(notice=notice, recipient=recipient) for recipient in recipients]
        )
        for delivery in deliveries:
            if delivery.channel == DeliveryChannel.EMAIL:
                enqueue_send(delivery=delivery, by=by, cause=f"{label} for {case.case_number}")  # type: ignore[arg-type]
    except Exception:
        # A rolled-back transaction cannot take back a written file: remove it ourselves.
        notice.pdf.storage.delete(notice.pdf.name)
        raise
    return notice


@notice_sender
def send_notice_from_step(
    *, case: Case, kind: str, by: AbstractBaseUser | None, reason: str, source: str
) -> dict[str, Any]:
    """The sender the workflow's steps call (`cases.hooks.send_notice`), registered from ready();
    returns what the step's event records."""
    notice = issue_notice(case=case, kind=kind, by=by, reason=reason, source=source)
    return notice_event_data(notice=notice)


# ---- Late records: to the claims administrator once the records due date has passed -------

LATE_RECORDS_BATCH = 200


def late_records_case_ids(*, after_id: int = 0, limit: int = LATE_RECORDS_BATCH) -> list[int]:
    """Open cases still awaiting records past their due date with no late-records notice yet."""
    return list(
        Case.objects.filter(
            status=CaseStatus.AWAITING_RECORDS, records_due__lt=clock.today(), pk__gt=after_id
        )
        .exclude(notices__kind=NoticeKind.LATE_RECORDS)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def send_late_records_notice(*, case_id: int, by: AbstractBaseUser | None = None) -> Notice:
    """The late-records notice of one case, with the days late and the penalty accrued today."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        if case.status != CaseStatus.AWAITING_RECORDS:
            raise NoticeError(
                f"Case {case.case_number} is {case.get_status_display().lower()}: it is not awaiting records."
            )
        if case.records_due is None or case.records_due >= clock.today():
            raise NoticeError(f"The records of case {case.case_number} are not late.")
        notice = issue_notice(case=case, kind=NoticeKind.LATE_RECORDS, by=by)
        record_case_event(
            case=case,
            by=by,  # type: ignore[arg-type]
            kind=CaseEventKind.NOTICE_ISSUED,
            reason=f"{notice.get_kind_display()}: {notice.facts['days_late']} day(s) late, "
            f"penalty ${notice.facts['penalty_usd']}",
            data=notice_event_data(notice=notice),
        )
        return notice


def send_late_records_notices() -> int:
    """Send every late-records notice due (the daily beat task); returns how many were sent.

    Safe to run again: a case with its notice is skipped, and one refused (no address) is logged
    and skipped without stopping the others."""
    sent = 0
    after = 0
    while True:
        ids = late_records_case_ids(after_id=after)
        if not ids:
            return sent
        for case_id in ids:
            try:
                send_late_records_notice(case_id=case_id)
                sent += 1
            except NoticeError as error:
                log.warning("late-records notice of case %s not sent: %s", case_id, error.message)
        after = ids[-1]
