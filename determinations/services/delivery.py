"""Getting an issued letter to every party, exactly once: by email, or by post.

Sending an email is the one step a database transaction cannot undo, so `send_delivery`
works in two transactions:

1. The claim: a short one that locks the Delivery, returns at once when it was already sent,
   and commits `sending`, a new attempt id, a stable Message-ID and the attempt count.
2. One that locks the row again, checks the claim is still this attempt's, hands the message
   to SMTP and records the outcome (`sent`, or `failed` with the error). A duplicate run waits
   on the row lock and then finds it sent, or claimed by a later attempt, and sends nothing.

The send is an outbox job (`determinations.jobs.SEND_DELIVERY`): its retries are scheduled in
the database and a job whose worker died is handed over again by the sweeper. A `sending`
claim left by a crash is taken over by the next attempt, which sends with the SAME
Message-ID, so mail systems discard the copy. Only a crash after the SMTP server accepted the
message and before (2) commits can send twice: that window is one commit long.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from cases.errors import GuardError
from cases.models import Case, CaseEventKind, NoticeMethod
from cases.services.workflow import record_case_event, refresh_deadlines
from core import clock, email_once, outbox
from core.models import OutboxJob
from determinations.jobs import SEND_DELIVERY
from determinations.letter_selectors import letter_recipient
from determinations.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Determination,
    Letter,
    Notice,
    NoticeKind,
)
from determinations.services.letters import delivery_for, enqueue_send

# Deliveries whose letter counts as mailed once they are done (the first sends, not resends).
DONE_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.POSTED)
# A deliberate resend repeats a failed send, or one the party says never arrived; a pending
# (or stuck `sending`) email is sent now when no automatic try is due soon (`resend_refusal`).
RESENDABLE_STATUSES = (
    DeliveryStatus.FAILED,
    DeliveryStatus.SENT,
    DeliveryStatus.POSTED,
    DeliveryStatus.PENDING,
    DeliveryStatus.SENDING,
)
# Statuses an automatic send still works on: a resend waits for it unless it is overdue.
AUTOMATIC_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.FAILED)


class DeliveryError(GuardError):
    """A delivery action that cannot be carried out; the message says why."""


def letter_filename(*, letter: Letter) -> str:
    case_number = letter.determination.case.case_number
    suffix = f"-v{letter.version}" if letter.version > 1 else ""
    return f"IMR-Final-Determination-{case_number}{suffix}.pdf"


def notice_filename(*, notice: Notice) -> str:
    title = NoticeKind(notice.kind).label.replace(" ", "-")
    return f"IMR-{title}-{notice.case.case_number}.pdf"


def document_filename(*, delivery: Delivery) -> str:
    if delivery.notice_id is not None:
        assert delivery.notice is not None
        return notice_filename(notice=delivery.notice)
    assert delivery.letter is not None
    return letter_filename(letter=delivery.letter)


def _message_for(*, delivery: Delivery, connection) -> EmailMessage:
    if delivery.notice_id is not None:
        from determinations.notices import notice_email

        assert delivery.notice is not None
        subject, body = notice_email(delivery=delivery)
        document = delivery.notice.pdf
    else:
        letter = delivery.letter
        assert letter is not None
        case = letter.determination.case
        corrected = " (corrected)" if letter.version > 1 else ""
        subject = f"IMR Final Determination{corrected} - Case {case.case_number}"
        body = render_to_string(
            "determinations/letters/delivery_email.txt",
            {
                "delivery": delivery,
                "case_number": case.case_number,
                "letter": letter,
                "imro_name": settings.IMRO_NAME,
            },
        )
        document = letter.pdf
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"Message-ID": delivery.message_id},
        connection=connection,
    )
    with document.open("rb") as pdf:
        message.attach(document_filename(delivery=delivery), pdf.read(), "application/pdf")
    return message


def _claim(*, delivery_id: int) -> str | None:
    """Transaction 1 (core.email_once.claim): claim the Delivery for one attempt (`sending`);
    its attempt id, or None when it was sent already. A `sending` claim found here was left by
    an attempt that died (or is still inside SMTP, holding the row lock transaction 2 waits
    for): this attempt takes it over and keeps the Message-ID."""

    def by_email(delivery: Delivery) -> None:
        if delivery.channel != DeliveryChannel.EMAIL:
            raise DeliveryError(f"Delivery {delivery_id} goes by post, not email.")

    return email_once.claim(
        queryset=Delivery.objects.all(),
        pk=delivery_id,
        sent=DeliveryStatus.SENT,
        sending=DeliveryStatus.SENDING,
        message_id_prefix="imr",
        check=by_email,
    )


def send_delivery(*, delivery_id: int) -> Delivery:
    """Email the letter to one recipient, at most once; SMTP errors are recorded then re-raised."""
    attempt_id = _claim(delivery_id=delivery_id)
    if attempt_id is None:
        delivery = Delivery.objects.get(pk=delivery_id)
        # A crash may have come between marking it sent and recording the letter mailed.
        with transaction.atomic():
            record_done_if_complete(delivery=delivery)
        return delivery
    return _send_claimed(delivery_id=delivery_id, attempt_id=attempt_id)


def _send_claimed(*, delivery_id: int, attempt_id: str) -> Delivery:
    """Transaction 2 (core.email_once.send_claimed): send under the claim `attempt_id`, unless
    it was sent or taken over since; then record the letter mailed once all are out."""
    delivery = email_once.send_claimed(
        # Only the delivery row is locked: its letter or notice (one of them null) is read.
        queryset=Delivery.objects.select_related("letter__determination__case", "notice__case"),
        pk=delivery_id,
        attempt_id=attempt_id,
        sent=DeliveryStatus.SENT,
        failed=DeliveryStatus.FAILED,
        build_message=lambda row, connection: _message_for(delivery=row, connection=connection),
        lock_of=("self",),
    )
    if delivery.status != DeliveryStatus.SENT or delivery.attempt_id != attempt_id:
        return delivery  # sent by an earlier attempt, or a later attempt holds the claim
    with transaction.atomic():
        record_done_if_complete(delivery=delivery)
    return delivery


def record_done_if_complete(*, delivery: Delivery) -> None:
    """Record the letter mailed, or the notice delivered, once all its first deliveries are out."""
    if delivery.notice_id is not None:
        _record_notice_done_if_complete(notice_id=delivery.notice_id)
    else:
        assert delivery.letter_id is not None
        _record_mailed_if_complete(letter_id=delivery.letter_id)


def _reached_by(*, deliveries: list[Delivery]) -> dict[int, Delivery] | None:
    """{first delivery id: the delivery that reached that party first}, or None while a party has
    not been reached. A failed first send counts once a resend of it (by hand, perhaps by post
    after the party's email was removed) went out."""
    by_id = {d.pk: d for d in deliveries}

    def first_of(delivery: Delivery) -> int:
        while delivery.resend_of_id is not None and delivery.resend_of_id in by_id:
            delivery = by_id[delivery.resend_of_id]
        return delivery.pk

    reached: dict[int, Delivery] = {}
    for delivery in deliveries:
        if delivery.status not in DONE_STATUSES:
            continue
        first = first_of(delivery)
        if first not in reached or _went_out_on(delivery=delivery) < _went_out_on(delivery=reached[first]):
            reached[first] = delivery
    firsts = [d.pk for d in deliveries if d.resend_of_id is None]
    if not firsts or any(pk not in reached for pk in firsts):
        return None
    return {pk: reached[pk] for pk in firsts}


def _record_notice_done_if_complete(*, notice_id: int) -> None:
    """Once every party was sent the notice (emailed or posted, first send or a resend of it), it
    counts as delivered on the last of those dates. For the NOARFI that date and how it went are the
    records clock's start: by email only when every party was reached by email, otherwise the mail
    rule's longer clock."""
    notice = Notice.objects.get(pk=notice_id)
    if _reached_by(deliveries=list(notice.deliveries.all())) is None:
        return
    case = Case.objects.select_for_update().get(pk=notice.case_id)
    notice = Notice.objects.select_for_update().get(pk=notice_id)
    if notice.completed_on is not None:
        return
    reached = _reached_by(deliveries=list(notice.deliveries.all()))
    assert reached is not None  # deliveries only ever move on to sent or posted
    completed_on = max(_went_out_on(delivery=d) for d in reached.values())
    notice.completed_on = completed_on
    notice.save(update_fields=["completed_on"])
    data: dict[str, str] = {"notice_id": str(notice.pk), "completed_on": completed_on.isoformat()}
    if notice.kind == NoticeKind.NOARFI:
        electronic = all(d.channel == DeliveryChannel.EMAIL for d in reached.values())
        case.notice_sent_on = completed_on
        case.notice_method = NoticeMethod.ELECTRONIC if electronic else NoticeMethod.MAIL
        refresh_deadlines(case=case)
        case.save()
        data.update(
            notice_method=case.notice_method,
            records_due=case.records_due.isoformat() if case.records_due else "",
        )
    record_case_event(
        case=case,
        by=None,
        kind=CaseEventKind.NOTICE_DELIVERED,
        reason=f"{notice.get_kind_display()} sent to every recipient",
        data=data,
    )


def _record_mailed_if_complete(*, letter_id: int) -> None:
    """Once every first delivery of the letter is sent or posted, the letter counts as mailed.

    The mailing date is the last of their dates, so no party's appeal time is shortened.
    """
    letter = Letter.objects.select_related("determination").get(pk=letter_id)
    first_sends = list(letter.deliveries.filter(resend_of__isnull=True))
    if not first_sends or any(d.status not in DONE_STATUSES for d in first_sends):
        return
    # Case before determination: the order every other write on them takes.
    case = Case.objects.select_for_update().get(pk=letter.determination.case_id)
    determination = Determination.objects.select_for_update().get(pk=letter.determination_id)
    if determination.mailed_on is not None:
        return
    mailed_on = max(_went_out_on(delivery=d) for d in first_sends)
    determination.mailed_on = mailed_on
    determination.save(update_fields=["mailed_on", "updated_at"])
    refresh_deadlines(case=case, mailed_on=mailed_on)
    case.save()
    record_case_event(
        case=case,
        by=None,
        kind=CaseEventKind.LETTER_MAILED,
        data={"letter_id": letter_id, "mailed_on": mailed_on.isoformat()},
    )


def mark_posted(*, delivery_ids: list[int], mailed_on: date, by: User | None) -> list[Delivery]:
    """Record that the printed letters went into the post on `mailed_on`."""
    if not delivery_ids:
        raise DeliveryError("Choose at least one letter that was mailed.")
    if mailed_on > clock.today():
        raise DeliveryError("The mailing date cannot be in the future.", field="mailed_on")
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=delivery_ids)
            # not joined: FOR UPDATE refuses a nullable outer join
            .prefetch_related("party", "letter__determination__case", "notice__case")
            .order_by("pk")
        )
        if len(deliveries) != len(set(delivery_ids)):
            raise DeliveryError("Some of the chosen letters no longer exist.")
        not_waiting = [d for d in deliveries if d.status != DeliveryStatus.TO_POST]
        if not_waiting:
            raise DeliveryError(
                "Already marked as mailed (or not for the post): "
                + ", ".join(f"{d.case.case_number} to {d.recipient_name}" for d in not_waiting)
            )
        no_address = [d for d in deliveries if not d.postal_address]
        if no_address:
            raise DeliveryError(
                "No postal address on file, so these letters cannot have been mailed: "
                + ", ".join(
                    f"{d.case.case_number} to {d.recipient_name} ({d.get_recipient_role_display().lower()})"
                    for d in no_address
                )
                + ". Add the party's postal address on the case, print the letter with its address "
                "sheet and mail it, then record it; nothing was recorded as mailed.",
                field="deliveries",
            )
        too_early = [d for d in deliveries if mailed_on < d.document_date]
        if too_early:
            raise DeliveryError("A letter cannot be mailed before it was issued.", field="mailed_on")
        for delivery in deliveries:
            delivery.status = DeliveryStatus.POSTED
            delivery.mailed_on = mailed_on
            delivery.address = delivery.postal_address  # the address it was mailed to
            delivery.attempts += 1
            delivery.save(update_fields=["status", "mailed_on", "address", "attempts"])
            record_case_event(
                case=delivery.case,
                by=by,
                kind=CaseEventKind.LETTER_POSTED if delivery.letter_id else CaseEventKind.NOTICE_POSTED,
                data={"delivery_id": delivery.pk, "mailed_on": mailed_on.isoformat()},
            )
        for letter_id in sorted({d.letter_id for d in deliveries if d.letter_id is not None}):
            _record_mailed_if_complete(letter_id=letter_id)
        for notice_id in sorted({d.notice_id for d in deliveries if d.notice_id is not None}):
            _record_notice_done_if_complete(notice_id=notice_id)
        return deliveries


def automatic_send(*, delivery: Delivery) -> OutboxJob | None:
    """The open outbox job that still sends `delivery` by itself, if any."""
    return outbox.open_job(kind=SEND_DELIVERY, key=f"delivery:{delivery.pk}")


def resend_refusal(*, delivery: Delivery, job: OutboxJob | None, now: datetime | None = None) -> str:
    """Why `delivery` may not be sent again by hand now ("" when it may)."""
    if delivery.status not in RESENDABLE_STATUSES:
        return (
            f"This delivery is {delivery.get_status_display().lower()}; only a failed, pending or "
            "sent (or mailed) one that did not arrive can be sent again."
        )
    if delivery.status in AUTOMATIC_STATUSES and job is not None and not outbox.is_overdue(job, now=now):
        when = timezone.localtime(job.next_attempt_at).strftime("%m/%d/%Y %I:%M %p")
        return (
            f"An automatic try is still {'running' if job.state == 'running' else 'scheduled'} "
            f"(next try {when}); sending it again now could send it twice. Wait for it, or cancel the "
            "job on the jobs page first."
        )
    return ""


def resend_delivery(*, delivery_id: int, by: User | None, reason: str) -> Delivery:
    """A deliberate send again: of a failed or returned delivery as a new one, to the party's
    current address; of a pending one overdue, as the same delivery (same Message-ID) now."""
    reason = reason.strip()
    if not reason:
        raise DeliveryError("Say why the letter is sent again.", field="reason")
    with transaction.atomic():
        original = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("letter__determination__case", "notice__case", "party")
            .get(pk=delivery_id)
        )
        resent_kind = CaseEventKind.LETTER_RESENT if original.letter_id else CaseEventKind.NOTICE_RESENT
        job = automatic_send(delivery=original)
        refusal = resend_refusal(delivery=original, job=job)
        if refusal:
            raise DeliveryError(refusal)
        if job is not None:
            outbox.cancel_job(job_id=job.pk, by=by, reason=f"Superseded by a send by hand: {reason}")
        if original.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
            # Never went out (as far as we know): send the same delivery now, same Message-ID.
            record_case_event(
                case=original.case,
                by=by,
                kind=resent_kind,
                reason=reason,
                data={"delivery_id": original.pk, "resend_of": None, "channel": original.channel},
            )
            enqueue_send(delivery=original, by=by, cause=f"sent by hand: {reason}")
            return original
        if original.party is None:
            raise DeliveryError("The recipient of this delivery no longer exists on the case.")
        resend = delivery_for(
            letter=original.letter,
            notice=original.notice,
            recipient=letter_recipient(party=original.party),
            resend_of=original,
        )
        resend.save()
        record_case_event(
            case=original.case,
            by=by,
            kind=resent_kind,
            reason=reason,
            data={"delivery_id": resend.pk, "resend_of": original.pk, "channel": resend.channel},
        )
        if resend.channel == DeliveryChannel.EMAIL:
            enqueue_send(delivery=resend, by=by, cause=f"resent by hand: {reason}")
        return resend


def build_post_batch_pdf(*, deliveries: list[Delivery]) -> bytes:
    """One printable PDF: for each delivery an address sheet, then its letter or notice."""
    from pypdf import PdfReader, PdfWriter  # here, not at load: about 0.1 s for every process

    from determinations.letters import html_to_pdf
    from determinations.notices import records_upload_link

    if not deliveries:
        raise DeliveryError("There is nothing to print.")
    writer = PdfWriter()
    for delivery in deliveries:
        sheet_html = render_to_string(
            "determinations/letters/address_sheet.html",
            {
                "delivery": delivery,
                "case_number": delivery.case.case_number,
                "imro_name": settings.IMRO_NAME,
                "imro_address": getattr(settings, "IMRO_ADDRESS", ""),
                # A party reached by post gets its own portal link on paper, as an email carries it.
                "party_link": records_upload_link(case=delivery.case, party=delivery.party),
            },
        )
        writer.append(PdfReader(io.BytesIO(html_to_pdf(html=sheet_html))))
        with delivery.document.pdf.open("rb") as pdf:
            writer.append(PdfReader(io.BytesIO(pdf.read())))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _went_out_on(*, delivery: Delivery) -> date:
    """The day a sent delivery left: the postmark date of a letter posted, else the day it was emailed."""
    if delivery.channel == DeliveryChannel.POST:
        assert delivery.mailed_on is not None  # a posted delivery is done once its mailing date is in
        return delivery.mailed_on
    return timezone.localdate(delivery.sent_at)
