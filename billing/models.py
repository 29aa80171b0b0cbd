"""Monthly invoices to claims administrators, one line per case, and their delivery.

An issued invoice never changes what it bills: its lines are append-only and its header's
amounts and addressee are fixed (in Python here, and in PostgreSQL: migration
0002_issued_invoices_read_only). Only three things are recorded on it afterwards, each once:
its PDF (rendered by a job after the invoice commits), and the payment (date paid, by whom).
A case is billed once ever: `InvoiceLine.case` is unique.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.models import Case
from core.errors import DomainError


class ReadOnlyInvoiceError(DomainError):
    """An issued invoice (or one of its lines) cannot be changed or deleted."""


# Fixed once the invoice is written; the PDF fields are fixed once filled, the payment once recorded.
INVOICE_FIXED_FIELDS = (
    "number",
    "period",
    "sequence",
    "bill_to_key",
    "bill_to_name",
    "bill_to_email",
    "bill_to_address",
    "issued_on",
    "line_count",
    "total_usd",
)
INVOICE_SET_ONCE_FIELDS = ("pdf", "sha256", "pages", "paid_on", "paid_by_id", "paid_recorded_at")


def invoice_upload_to(invoice: Invoice, filename: str) -> str:
    return f"invoices/{invoice.period:%Y-%m}/{invoice.number}-{invoice.sha256[:16]}.pdf"


class Invoice(models.Model):
    number = models.CharField(max_length=40, unique=True)
    period = models.DateField(help_text="The first day of the month billed.")
    # 1 for the month's invoice; 2, 3... for a supplementary one (cases recorded late for the month).
    sequence = models.PositiveSmallIntegerField(default=1)
    bill_to_key = models.CharField("bill-to key", max_length=200, db_index=True)
    bill_to_name = models.CharField("bill to", max_length=200)
    bill_to_email = models.EmailField(blank=True)
    bill_to_address = models.TextField(blank=True)
    issued_on = models.DateField()
    line_count = models.PositiveIntegerField()
    total_usd = models.PositiveIntegerField("total (USD)")
    pdf = models.FileField(upload_to=invoice_upload_to, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    pages = models.PositiveSmallIntegerField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period", "bill_to_key", "sequence"]
        permissions = [("manage_billing", "Can issue invoices, read them and record payments")]
        constraints = [
            models.UniqueConstraint(
                fields=["bill_to_key", "period", "sequence"], name="invoice_one_per_bill_to_month"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="invoice_period_first_of_month"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="invoice_sequence_positive"),
            models.CheckConstraint(condition=Q(line_count__gte=1), name="invoice_has_lines"),
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True) | Q(paid_on__gte=models.F("issued_on")),
                name="invoice_paid_not_before_issued",
            ),
        ]
        indexes = [
            # The statement: unpaid invoices by claims administrator.
            models.Index(
                fields=["bill_to_key", "issued_on"], condition=Q(paid_on__isnull=True), name="invoice_unpaid"
            ),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded", None)
        if loaded and not self._state.adding:
            changed = [n for n in INVOICE_FIXED_FIELDS if n in loaded and getattr(self, n) != loaded[n]]
            changed += [
                n
                for n in INVOICE_SET_ONCE_FIELDS
                if n in loaded and loaded[n] not in (None, "") and getattr(self, n) != loaded[n]
            ]
            if changed:
                raise ReadOnlyInvoiceError(
                    f"Invoice {loaded.get('number', self.number)} is issued and cannot be changed "
                    f"({', '.join(changed)})."
                )
        super().save(*args, **kwargs)
        self._loaded = {
            name: getattr(self, name) for name in (*INVOICE_FIXED_FIELDS, *INVOICE_SET_ONCE_FIELDS)
        }

    def delete(self, *args, **kwargs):
        raise ReadOnlyInvoiceError("An issued invoice is never deleted.")

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            name: getattr(instance, name)
            for name in (*INVOICE_FIXED_FIELDS, *INVOICE_SET_ONCE_FIELDS)
            if name in instance.__dict__
        }
        return instance

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


# How an invoice names the outcome that bills a case.
OUTCOME_LABELS = {
    "determination_issued": "Final determination issued",
    "withdrawn": "Withdrawn",
    "terminated": "Terminated",
    "ineligible": "Dismissed (ineligible)",
}


class InvoiceLine(models.Model):
    """One case billed, as the invoice states it; written with the invoice and never changed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    # One line per case, ever: the database refuses to bill a case twice.
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="invoice_line")
    position = models.PositiveIntegerField()
    case_number = models.CharField(max_length=12)
    claim_number = models.CharField(max_length=60, blank=True)
    received_on = models.DateField("application received")
    priority = models.CharField(max_length=10)
    outcome = models.CharField(max_length=24, help_text="The state that bills the case.")
    outcome_on = models.DateField("billed for", help_text="The day the case reached its outcome.")
    pharmacy_only = models.BooleanField()
    ended_before_reviewer = models.BooleanField()
    fee_usd = models.PositiveIntegerField("fee (USD)")
    fee_basis = models.CharField(max_length=120)

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.case_number}: ${self.fee_usd}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ReadOnlyInvoiceError("An invoice line never changes once issued.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReadOnlyInvoiceError("An invoice line is never deleted.")

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


class InvoiceDeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    POST = "post", "Post"


class InvoiceDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Claimed by one attempt (attempt_id) that is handing it to SMTP right now, or died doing so.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    TO_POST = "to_post", "To post"
    POSTED = "posted", "Mailed by post"


class InvoiceDelivery(models.Model):
    """How the invoice reached the claims administrator: recorded with the invoice, sent once."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="delivery")
    channel = models.CharField(max_length=5, choices=InvoiceDeliveryChannel.choices)
    address = models.TextField(help_text="Email or postal address used.")
    status = models.CharField(
        max_length=10, choices=InvoiceDeliveryStatus.choices, default=InvoiceDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    attempt_id = models.CharField(max_length=32, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    mailed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice_id"]
        verbose_name_plural = "invoice deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvoiceDeliveryStatus.values), name="invoice_delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=InvoiceDeliveryChannel.values), name="invoice_delivery_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} by {self.channel}"
