"""Emailing an invoice to its claims administrator, exactly once.

The same two transactions as a letter's delivery (determinations.services.delivery, whose
docstring explains them): (1) claim the InvoiceDelivery (`sending`, a new attempt id, the
Message-ID kept from the first attempt) and commit; (2) lock it again, check the claim is
still this attempt's, hand the message to SMTP and mark it `sent` (or `failed`, re-raised so
the outbox job retries). A retry after a crash sends with the same Message-ID; a delivery
already sent returns at once.
"""

from __future__ import annotations

import secrets
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string

from billing.documents import invoice_filename, render_invoice_csv
from billing.errors import BillingError
from billing.models import InvoiceDelivery, InvoiceDeliveryChannel, InvoiceDeliveryStatus
from billing.months import month_label
from core import clock

SMTP_TIMEOUT_SECONDS = 60


def _claim(*, delivery_id: int) -> str | None:
    with transaction.atomic():
        delivery = InvoiceDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status == InvoiceDeliveryStatus.SENT:
            return None
        if delivery.channel != InvoiceDeliveryChannel.EMAIL:
            raise BillingError(f"Invoice delivery {delivery_id} goes by post, not email.")
        if not delivery.message_id:
            domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "imro.invalid"
            delivery.message_id = f"<imr.invoice.{delivery.pk}.{secrets.token_hex(6)}@{domain}>"
        delivery.status = InvoiceDeliveryStatus.SENDING
        delivery.attempt_id = secrets.token_hex(8)
        delivery.attempts += 1
        delivery.save(update_fields=["message_id", "status", "attempt_id", "attempts"])
        return delivery.attempt_id


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
    failure: BaseException | None = None
    connection = get_connection(timeout=SMTP_TIMEOUT_SECONDS)
    try:
        with transaction.atomic():
            delivery = (
                InvoiceDelivery.objects.select_for_update().select_related("invoice").get(pk=delivery_id)
            )
            if delivery.status == InvoiceDeliveryStatus.SENT or delivery.attempt_id != attempt_id:
                return delivery
            message = _message_for(delivery=delivery, connection=connection)
            try:
                connection.open()
                message.send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as error:
                delivery.status = InvoiceDeliveryStatus.FAILED
                delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
                delivery.save(update_fields=["status", "last_error"])
                failure = error
            else:
                delivery.status = InvoiceDeliveryStatus.SENT
                delivery.sent_at = clock.now()
                delivery.last_error = ""
                delivery.save(update_fields=["status", "sent_at", "last_error"])
    finally:
        connection.close()
    if failure is not None:
        raise failure
    return delivery
