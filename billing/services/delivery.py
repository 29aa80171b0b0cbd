"""Emailing an invoice to its claims administrator, exactly once.

The same two transactions as a letter's delivery (core.email_once, whose docstring explains
them): (1) claim the InvoiceDelivery (`sending`, a new attempt id, the
Message-ID kept from the first attempt) and commit; (2) lock it again, check the claim is
still this attempt's, hand the message to SMTP and mark it `sent` (or `failed`, re-raised so
the outbox job retries). A retry after a crash sends with the same Message-ID; a delivery
already sent returns at once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from billing.documents import invoice_filename, render_invoice_csv
from billing.errors import BillingError
from billing.models import InvoiceDelivery, InvoiceDeliveryChannel, InvoiceDeliveryStatus
from billing.months import month_label
from core import email_once


def _claim(*, delivery_id: int) -> str | None:
    def by_email(delivery: InvoiceDelivery) -> None:
        if delivery.channel != InvoiceDeliveryChannel.EMAIL:
            raise BillingError(f"Invoice delivery {delivery_id} goes by post, not email.")

    return email_once.claim(
        queryset=InvoiceDelivery.objects.all(),
        pk=delivery_id,
        sent=InvoiceDeliveryStatus.SENT,
        sending=InvoiceDeliveryStatus.SENDING,
        message_id_prefix="imr.invoice",
        check=by_email,
    )


def _message_for(*, delivery: InvoiceDelivery, connection) -> EmailMessage:
    invoice = delivery.invoice
    if not invoice.sha256:
        raise BillingError(f"Invoice {invoice.number} has no PDF yet.")
    body = render_to_string(
        "billing/invoice_email.txt",
        {"invoice": invoice, "month": month_label(invoice.period), "imro_name": settings.IMRO_NAME},
    )
    message = EmailMessage(
        subject=f"IMR invoice {invoice.number} - {month_label(invoice.period)}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"Message-ID": delivery.message_id},
        connection=connection,
    )
    with invoice.pdf.open("rb") as pdf:
        message.attach(invoice_filename(invoice=invoice, extension="pdf"), pdf.read(), "application/pdf")
    message.attach(
        invoice_filename(invoice=invoice, extension="csv"), render_invoice_csv(invoice=invoice), "text/csv"
    )
    return message


def send_invoice_delivery(*, delivery_id: int) -> InvoiceDelivery:
    """Email the invoice (PDF and CSV attached) at most once; SMTP errors are recorded, then re-raised."""
    attempt_id = _claim(delivery_id=delivery_id)
    if attempt_id is None:
        return InvoiceDelivery.objects.get(pk=delivery_id)
    return email_once.send_claimed(
        queryset=InvoiceDelivery.objects.select_related("invoice"),
        pk=delivery_id,
        attempt_id=attempt_id,
        sent=InvoiceDeliveryStatus.SENT,
        failed=InvoiceDeliveryStatus.FAILED,
        build_message=lambda row, connection: _message_for(delivery=row, connection=connection),
    )
