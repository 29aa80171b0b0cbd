"""Determinations, per-item decisions, issued letters and their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cases.models import Case, DisputedItem, Party, PartyRole
from reviewers.models import Reviewer


class DeterminationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted to QA"
    RETURNED = "returned", "Returned by QA"
    APPROVED = "approved", "Approved by QA"
    ISSUED = "issued", "Issued"
    SUPERSEDED = "superseded", "Superseded by a new review"


class DeterminationQuerySet(models.QuerySet["Determination"]):
    def current(self) -> DeterminationQuerySet:
        """Not superseded: at most one per case (the `determination_one_current_per_case` constraint)."""
        return self.exclude(status=DeterminationStatus.SUPERSEDED)


class Determination(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="determinations")
    reviewer = models.ForeignKey(
        Reviewer, null=True, blank=True, on_delete=models.PROTECT, related_name="determinations"
    )
    status = models.CharField(
        max_length=12, choices=DeterminationStatus.choices, default=DeterminationStatus.DRAFT
    )
    clinical_case_summary = models.TextField(blank=True)
    # Raised by every save of the reviewer's text: a form posts the version it was loaded
    # with, and a save from an older page (another tab) is refused instead of overwriting.
    version = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    qa_comment = models.TextField("QA comment", blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_on = models.DateField(null=True, blank=True)
    mailed_on = models.DateField(null=True, blank=True, help_text="The appeal clock runs from it.")
    # The reviewer's credentials as the letter states them: kept for migrated past cases,
    # and frozen from the reviewer's records when a letter is issued.
    licensure_states = models.JSONField(default=list, blank=True)
    certifications = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeterminationQuerySet.as_manager()

    class Meta:
        ordering = ["case", "-created_at", "-id"]
        permissions = [("qa_determination", "Can approve or return a determination in QA")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeterminationStatus.values), name="determination_status_valid"
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(status=DeterminationStatus.SUPERSEDED),
                name="determination_one_current_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Determination for {self.case}"


class Decision(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    OVERTURNED = "overturned", "Overturned"


class ItemDecision(models.Model):
    determination = models.ForeignKey(Determination, on_delete=models.CASCADE, related_name="items")
    disputed_item = models.ForeignKey(DisputedItem, on_delete=models.CASCADE, related_name="decisions")
    # Blank while the reviewer's draft leaves it undecided.
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    reviewer_guideline = models.TextField(blank=True)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ["determination", "disputed_item__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["determination", "disputed_item"], name="item_decision_one_per_item"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=[*Decision.values, ""]), name="item_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disputed_item}: {self.decision or 'undecided'}"


class GuidelineSource(models.TextChoices):
    MTUS = "MTUS", "MTUS"
    ACOEM = "ACOEM", "ACOEM"
    ODG = "ODG", "ODG"
    OTHER = "other", "Other national guideline"


class GuidelineEntry(models.Model):
    """A citation reviewers can pick, e.g. 'MTUS Chronic Pain Treatment Guidelines Opioids'."""

    source = models.CharField(max_length=10, choices=GuidelineSource.choices)
    citation = models.CharField(max_length=300, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["source", "citation"]
        verbose_name = "guideline catalog entry"
        verbose_name_plural = "guideline catalog"

    def __str__(self) -> str:
        return self.citation


def letter_upload_to(letter: Letter, filename: str) -> str:
    return f"letters/{letter.determination.case_id}/{letter.sha256}.pdf"


class Letter(models.Model):
    """An issued Final Determination letter. Never changed once written; a correction is a new version."""

    determination = models.ForeignKey(Determination, on_delete=models.PROTECT, related_name="letters")
    version = models.PositiveSmallIntegerField(default=1)
    pdf = models.FileField(upload_to=letter_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    pages = models.PositiveSmallIntegerField()
    issued_on = models.DateField()
    correction_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["determination", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["determination", "version"], name="letter_unique_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="letter_version_positive"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_reason=""), name="letter_correction_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Letter v{self.version} for {self.determination.case}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    POST = "post", "Post"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Claimed by one attempt (attempt_id) that is handing it to SMTP right now, or died doing so.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    TO_POST = "to_post", "To post"
    POSTED = "posted", "Mailed by post"


class Delivery(models.Model):
    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="deliveries")
    party = models.ForeignKey(Party, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    recipient_role = models.CharField(max_length=24)
    recipient_name = models.CharField(max_length=200)
    channel = models.CharField(max_length=5, choices=DeliveryChannel.choices)
    address = models.TextField(help_text="Email or postal address used.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The attempt that holds the `sending` claim; only it may mark the delivery sent.
    attempt_id = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    mailed_on = models.DateField(null=True, blank=True)
    # A deliberate resend is a new Delivery pointing at the one it repeats.
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["letter", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=DeliveryChannel.values), name="delivery_channel_valid"
            ),
            models.UniqueConstraint(
                fields=["letter", "recipient_role"],
                condition=Q(resend_of__isnull=True),
                name="delivery_one_first_send_per_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} to {self.get_recipient_role_display().lower()}"

    @property
    def postal_address(self) -> str:
        """Where a letter for the post goes: the address recorded on the delivery, or, when the
        party had none at issue, the one added to the party since (recorded when mailed).
        Empty for an email delivery."""
        if self.channel != DeliveryChannel.POST:
            return ""
        if self.address.strip():
            return self.address
        return self.party.mailing_address.strip() if self.party is not None else ""

    def get_recipient_role_display(self) -> str:
        """The party role as people read it ("Requesting provider"), never the stored code."""
        try:
            return PartyRole(self.recipient_role).label
        except ValueError:
            return self.recipient_role.replace("_", " ").capitalize()
