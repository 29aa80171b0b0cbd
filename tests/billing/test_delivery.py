"""Invoices emailed through a REAL SMTP server (aiosmtpd), exactly once, through the outbox.

Bad inputs tried: the send job run twice for one delivery, the render job run twice, the SMTP
server refusing the first attempt (451: the retry sends with the same Message-ID), a delivery
that goes by post handed to the send job, marking an invoice posted twice, with a future date,
and with no address on file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import pytest

from billing.errors import BillingError
from billing.jobs import RENDER_INVOICE, SEND_INVOICE
from billing.models import InvoiceDelivery
from billing.services.invoicing import issue_month, mark_posted
from core import outbox
from core.models import OutboxJob, OutboxState
from tests.billing.support import billed_case
from tests.factories import UserFactory
from tests.outbox_support import run_job_now

pytestmark = pytest.mark.django_db

MAY = date(2021, 5, 1)
EMAIL = "billing@golden.example.com"


@pytest.fixture
def issued(frozen_today, django_capture_on_commit_callbacks, smtp_server):
    frozen_today(date(2021, 6, 3))
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4), email=EMAIL)
    billed_case(received_on=date(2021, 4, 2), outcome="terminated", outcome_on=date(2021, 5, 5), email=EMAIL)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [invoice] = issue_month(period=MAY).invoices
    # The render job ran on commit and enqueued the send job in its transaction: run that one too.
    while callbacks:
        pending = list(callbacks)
        callbacks.clear()
        with django_capture_on_commit_callbacks(execute=True) as more:
            for callback in pending:
                callback()
        callbacks.extend(more)
    invoice.refresh_from_db()
    return invoice


def _attachments(message) -> dict[str, bytes]:
    return {
        part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename()
    }


def test_the_invoice_is_emailed_once_with_its_pdf_and_csv(issued, smtp_server):
    [entry] = smtp_server.messages
    assert entry["rcpt_tos"] == [EMAIL]
    message = entry["message"]
    assert message["Subject"] == f"IMR invoice {issued.number} - May 2021"
    files = _attachments(message)
    assert hashlib.sha256(files[f"IMR-Invoice-{issued.number}.pdf"]).hexdigest() == issued.sha256
    rows = list(csv.reader(io.StringIO(files[f"IMR-Invoice-{issued.number}.csv"].decode())))
    assert rows[-1][-1] == "230" and len(rows) == 4  # header, two cases at $115, total
    delivery = InvoiceDelivery.objects.get(invoice=issued)
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert message["Message-ID"] == delivery.message_id

    # A repeated render job and a repeated send job send nothing more.
    run_job_now(RENDER_INVOICE, invoice_id=issued.pk)
    job = run_job_now(SEND_INVOICE, delivery_id=delivery.pk)
    assert job.state == OutboxState.DONE
    assert len(smtp_server.messages) == 1
    assert OutboxJob.objects.filter(kind=SEND_INVOICE).count() == 2  # the first, and the repeat above


def test_a_refused_send_is_retried_with_the_same_message_id(frozen_today, smtp_server):
    frozen_today(date(2021, 6, 3))
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4), email=EMAIL)
    [invoice] = issue_month(period=MAY).invoices  # on_commit not run: the jobs wait in the outbox
    run_job_now(RENDER_INVOICE, invoice_id=invoice.pk)
    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    smtp_server.fail_next = 1
    first = run_job_now(SEND_INVOICE, delivery_id=delivery.pk)
    assert first.state == OutboxState.PENDING and "451" in first.last_error  # retried later
    delivery.refresh_from_db()
    assert delivery.status == "failed" and smtp_server.messages == []
    message_id = delivery.message_id
    OutboxJob.objects.filter(pk=first.pk).update(next_attempt_at=first.created_at)
    assert outbox.run_job(first.pk) == OutboxState.DONE
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.message_id) == ("sent", 2, message_id)
    [entry] = smtp_server.messages
    assert entry["message"]["Message-ID"] == message_id


def test_without_an_email_the_invoice_waits_for_the_post(frozen_today, smtp_server):
    frozen_today(date(2021, 6, 3))
    admin = UserFactory()
    billed_case(
        received_on=date(2021, 4, 1),
        outcome="withdrawn",
        outcome_on=date(2021, 5, 4),
        email=None,
        mailing_address="1 Pier Way, Oakland, CA",
    )
    billed_case(
        received_on=date(2021, 4, 1),
        outcome="withdrawn",
        outcome_on=date(2021, 5, 4),
        email=None,
        claims_administrator="Nowhere Claims",
    )
    with_address, without = sorted(issue_month(period=MAY).invoices, key=lambda i: i.bill_to_key)
    run_job_now(RENDER_INVOICE, invoice_id=with_address.pk)
    assert not OutboxJob.objects.filter(kind=SEND_INVOICE).exists()
    delivery = InvoiceDelivery.objects.get(invoice=with_address)
    failed = run_job_now(SEND_INVOICE, delivery_id=delivery.pk)
    assert failed.state == OutboxState.FAILED and "goes by post, not email" in failed.last_error
    with pytest.raises(BillingError, match="cannot be in the future"):
        mark_posted(invoice_id=with_address.pk, mailed_on=date(2021, 6, 4), by=admin)
    with pytest.raises(BillingError, match="No postal address"):
        mark_posted(invoice_id=without.pk, mailed_on=date(2021, 6, 3), by=admin)
    posted = mark_posted(invoice_id=with_address.pk, mailed_on=date(2021, 6, 3), by=admin)
    assert (posted.status, posted.mailed_on) == ("posted", date(2021, 6, 3))
    with pytest.raises(BillingError, match="This invoice is mailed by post, not waiting for the post"):
        mark_posted(invoice_id=with_address.pk, mailed_on=date(2021, 6, 3), by=admin)
    assert smtp_server.messages == []


def test_a_send_claimed_by_a_worker_that_died_is_sent_with_the_same_message_id(frozen_today, smtp_server):
    """A worker killed between its claim (`sending`, Message-ID chosen) and the SMTP 250: the next
    attempt takes the claim over and sends with the same Message-ID, so mail systems drop a copy."""
    frozen_today(date(2021, 6, 3))
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4), email=EMAIL)
    [invoice] = issue_month(period=MAY).invoices
    run_job_now(RENDER_INVOICE, invoice_id=invoice.pk)
    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    from billing.services.delivery import _claim

    _claim(delivery_id=delivery.pk)  # the dead worker's claim, committed
    delivery.refresh_from_db()
    assert delivery.status == "sending" and delivery.message_id
    job = run_job_now(SEND_INVOICE, delivery_id=delivery.pk)
    assert job.state == OutboxState.DONE
    [entry] = smtp_server.messages
    assert entry["message"]["Message-ID"] == delivery.message_id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
