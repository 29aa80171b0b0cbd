"""Issuing the month's invoices, storing their PDFs, recording payment and posting.

`issue_month` is the one write that bills cases: under a lock on the month it reads the cases
whose billing outcome fell in it and are not billed yet (billing.selectors.billable_cases),
groups them by claims administrator (billing.bill_to), and writes per administrator one
Invoice with its lines, its recorded delivery and the outbox job that renders its PDF, all in
one transaction. A case is billed once ever (InvoiceLine.case is unique), so running a month
again issues nothing new; a case recorded late for a month already invoiced goes on a
supplementary invoice (sequence 2, 3...).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max
from pypdf import PdfReader

from billing.errors import BillingError
from billing.jobs import RENDER_INVOICE, SEND_INVOICE
from billing.models import (
    Invoice,
    InvoiceDelivery,
    InvoiceDeliveryChannel,
    InvoiceDeliveryStatus,
    InvoiceLine,
)
from billing.months import ensure_invoiceable, month_label
from billing.selectors import BillableCase, billable_cases
from core import clock, outbox

log = logging.getLogger(__name__)

# Namespace of the advisory lock that serializes the issuing of one month (core.outbox uses 0x0B0C).
MONTH_LOCK_NAMESPACE = 0x0B11


@dataclass
class MonthResult:
    period: date
    invoices: list[Invoice] = field(default_factory=list)
    # Cases whose outcome fell in the month but that cannot be billed, with why.
    not_billed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cases_billed(self) -> int:
        return sum(invoice.line_count for invoice in self.invoices)

    @property
    def total_usd(self) -> int:
        return sum(invoice.total_usd for invoice in self.invoices)


def _lock_month(period: date) -> None:
    """Two runs for one month (the beat task and a command) take turns."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [MONTH_LOCK_NAMESPACE, period.year * 100 + period.month]
        )


def issue_month(*, period: date, by: User | None = None) -> MonthResult:
    """Invoice every claims administrator for the cases that reached their outcome in `period`."""
    ensure_invoiceable(period)
    result = MonthResult(period=period)
    with transaction.atomic():
        _lock_month(period)
        groups: dict[str, list[BillableCase]] = defaultdict(list)
        for case in billable_cases(period=period):
            if case.bill_to is None or not case.bill_to.key:
                result.not_billed.append((case.case_number, "no claims administrator recorded on the case"))
            elif case.fee_usd is None:
                result.not_billed.append((case.case_number, "received before IMR fees began (2013-01-01)"))
            else:
                groups[case.bill_to.key].append(case)
        if not groups:
            return result
        sequences = dict(
            Invoice.objects.filter(period=period, bill_to_key__in=list(groups))
            .values("bill_to_key")
            .annotate(last=Max("sequence"))
            .values_list("bill_to_key", "last")
        )
        numbered = Invoice.objects.filter(period=period).count()
        today = clock.today()
        for key in sorted(groups):
            cases = groups[key]
            numbered += 1
            result.invoices.append(
                _write_invoice(
                    period=period,
                    sequence=sequences.get(key, 0) + 1,
                    number=f"INV-{period:%Y%m}-{numbered:04d}",
                    cases=cases,
                    issued_on=today,
                    by=by,
                )
            )
    log.info(
        "invoiced %s: %s invoices, %s cases, $%s",
        month_label(period),
        len(result.invoices),
        result.cases_billed,
        result.total_usd,
    )
    return result


def _write_invoice(
    *, period: date, sequence: int, number: str, cases: list[BillableCase], issued_on: date, by: User | None
) -> Invoice:
    # The addressee as the latest case records it (the cases are in outcome order).
    bill_to = cases[-1].bill_to
    assert bill_to is not None
    invoice = Invoice.objects.create(
        number=number,
        period=period,
        sequence=sequence,
        bill_to_key=bill_to.key,
        bill_to_name=bill_to.name,
        bill_to_email=bill_to.email,
        bill_to_address=bill_to.mailing_address,
        issued_on=issued_on,
        line_count=len(cases),
        total_usd=sum(case.fee_usd or 0 for case in cases),
        created_by=by if by is not None and by.is_authenticated else None,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            case_id=case.case_id,
            position=position,
            case_number=case.case_number,
            claim_number=case.claim_number,
            received_on=case.received_on,
            priority=case.priority,
            outcome=case.outcome,
            outcome_on=case.outcome_on,
            pharmacy_only=case.pharmacy_only,
            ended_before_reviewer=case.ended_before_reviewer,
            fee_usd=case.fee_usd or 0,
            fee_basis=case.fee_basis,
        )
        for position, case in enumerate(cases, start=1)
    )
    if bill_to.email:
        InvoiceDelivery.objects.create(
            invoice=invoice, channel=InvoiceDeliveryChannel.EMAIL, address=bill_to.email
        )
    else:
        InvoiceDelivery.objects.create(
            invoice=invoice,
            channel=InvoiceDeliveryChannel.POST,
            address=bill_to.mailing_address,
            status=InvoiceDeliveryStatus.TO_POST,
        )
    outbox.enqueue(
        RENDER_INVOICE,
        payload={"invoice_id": invoice.pk},
        key=f"invoice:{invoice.pk}",
        by=by,
        cause=f"invoice {number} issued",
    )
    return invoice


def store_invoice_pdf(*, invoice_id: int) -> Invoice:
    """Render and store the invoice's PDF once; an email delivery is handed to the send job in
    the same transaction. A repeat finds the PDF stored and does nothing."""
    from billing.documents import invoice_filename, render_invoice_pdf

    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.sha256:
            return invoice
        pdf = render_invoice_pdf(invoice=invoice)
        invoice.sha256 = hashlib.sha256(pdf).hexdigest()
        invoice.pages = len(PdfReader(io.BytesIO(pdf)).pages)
        invoice.pdf.save(invoice_filename(invoice=invoice, extension="pdf"), ContentFile(pdf), save=False)
        invoice.save(update_fields=["pdf", "sha256", "pages"])
        delivery = InvoiceDelivery.objects.select_for_update().get(invoice=invoice)
        if (
            delivery.channel == InvoiceDeliveryChannel.EMAIL
            and delivery.status == InvoiceDeliveryStatus.PENDING
        ):
            outbox.enqueue(
                SEND_INVOICE,
                payload={"delivery_id": delivery.pk},
                key=f"invoice-delivery:{delivery.pk}",
                cause=f"invoice {invoice.number} rendered",
            )
        return invoice


def mark_paid(*, invoice_id: int, paid_on: date, by: User) -> Invoice:
    """Record that the claims administrator paid the invoice on `paid_on` (once)."""
    with transaction.atomic():
        try:
            invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        except Invoice.DoesNotExist as error:
            raise BillingError(f"Invoice {invoice_id} does not exist.") from error
        if invoice.paid_on is not None:
            raise BillingError(
                f"Invoice {invoice.number} was already marked paid on {invoice.paid_on:%m/%d/%Y}; "
                "a payment is recorded once."
            )
        if paid_on > clock.today():
            raise BillingError("The date paid cannot be in the future.", field="paid_on")
        if paid_on < invoice.issued_on:
            raise BillingError(
                f"The date paid cannot be before the invoice was issued ({invoice.issued_on:%m/%d/%Y}).",
                field="paid_on",
            )
        invoice.paid_on = paid_on
        invoice.paid_by = by
        invoice.paid_recorded_at = clock.now()
        invoice.save(update_fields=["paid_on", "paid_by", "paid_recorded_at"])
    log.info("invoice %s marked paid on %s by %s", invoice.number, paid_on, by)
    return invoice


def mark_posted(*, invoice_id: int, mailed_on: date, by: User) -> InvoiceDelivery:
    """Record that the printed invoice (no email on file) went into the post on `mailed_on`."""
    with transaction.atomic():
        delivery = (
            InvoiceDelivery.objects.select_for_update().select_related("invoice").get(invoice_id=invoice_id)
        )
        if delivery.status != InvoiceDeliveryStatus.TO_POST:
            raise BillingError(
                f"This invoice is {delivery.get_status_display().lower()}, not waiting for the post."
            )
        if not delivery.address.strip():
            raise BillingError(
                "No postal address was on file for this claims administrator; nothing was recorded as mailed."
            )
        if mailed_on > clock.today():
            raise BillingError("The mailing date cannot be in the future.", field="mailed_on")
        if mailed_on < delivery.invoice.issued_on:
            raise BillingError("An invoice cannot be mailed before it was issued.", field="mailed_on")
        delivery.status = InvoiceDeliveryStatus.POSTED
        delivery.mailed_on = mailed_on
        delivery.attempts += 1
        delivery.save(update_fields=["status", "mailed_on", "attempts"])
    return delivery
