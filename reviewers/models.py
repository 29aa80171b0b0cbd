"""Physician reviewers, their credentials and affiliations, and case assignments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from cases.models import Case, ItemCategory


class ReviewerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


# Never assigned sorts as assigned long ago. An expression rather than NULLS FIRST, which
# SQLite cannot index; the picker orders by exactly these expressions so the index serves it.
NEVER_ASSIGNED = datetime(2000, 1, 1, tzinfo=UTC)
PICKING_ORDER = (
    F("open_cases"),
    Coalesce("last_assigned_at", Value(NEVER_ASSIGNED)),
    F("reviewer_number"),
)


class Reviewer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviewer")
    # Shown instead of the name everywhere a party or an export could see it.
    reviewer_number = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^R[0-9]{4,10}$", "A reviewer number reads R followed by digits.")],
    )
    status = models.CharField(max_length=10, choices=ReviewerStatus.choices, default=ReviewerStatus.ACTIVE)
    max_open_cases = models.PositiveSmallIntegerField(default=10, validators=[MinValueValidator(1)])
    in_practice_since = models.DateField(help_text="Start of active clinical practice.")
    weekly_practice_hours = models.DecimalField(max_digits=4, decimal_places=1)
    hours_attested_on = models.DateField(help_text="When the weekly hours were last attested.")
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    # Active assignments, recounted from Assignment by reviewers.services on every change
    # (never incremented blindly), so the picker can walk reviewers in load order by index.
    open_cases = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["reviewer_number"]
        indexes = [
            # Only reviewers who may ever be offered a case: the picker walks this index in
            # order and would otherwise step over every suspended or part-time reviewer
            # (never assigned, so always first) on every case. The literal is
            # eligibility.MIN_WEEKLY_HOURS, which imports this module.
            models.Index(
                *PICKING_ORDER,
                name="reviewer_picking_assignable",
                condition=Q(status=ReviewerStatus.ACTIVE, weekly_practice_hours__gte=Decimal("24")),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReviewerStatus.values), name="reviewer_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(weekly_practice_hours__gte=0) & Q(weekly_practice_hours__lte=168),
                name="reviewer_weekly_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(max_open_cases__gte=1), name="reviewer_max_open_cases_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.reviewer_number


class License(models.Model):
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="licenses")
    position = models.PositiveSmallIntegerField("order", default=1)
    state = models.CharField(
        max_length=2, validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters, e.g. CA.")]
    )
    number = models.CharField(max_length=40)
    expires_on = models.DateField()
    active = models.BooleanField(default=True)
    unrestricted = models.BooleanField(default=True)

    class Meta:
        ordering = ["reviewer_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reviewer", "state", "number"], name="license_unique_per_reviewer"
            ),
            models.CheckConstraint(condition=Q(state__regex=r"^[A-Z]{2}$"), name="license_state_code"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.number}"


class BoardCertification(models.Model):
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="certifications")
    position = models.PositiveSmallIntegerField("order", default=1)
    specialty = models.CharField(max_length=120)
    board = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["reviewer_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "specialty"], name="certification_unique_specialty"),
        ]

    def __str__(self) -> str:
        return self.specialty


class AffiliationKind(models.TextChoices):
    EMPLOYER = "employer", "Employer"
    INSURER = "insurer", "Insurer or claims administrator"
    PROVIDER = "provider", "Provider or medical group"
    UR_ORGANIZATION = "ur_organization", "UR organization"
    LAW_FIRM = "law_firm", "Law firm"
    PERSON = "person", "Person"
    OTHER = "other", "Other"


class Affiliation(models.Model):
    reviewer = models.ForeignKey(Reviewer, on_delete=models.CASCADE, related_name="affiliations")
    name = models.CharField("organization or person", max_length=200)
    kind = models.CharField(max_length=20, choices=AffiliationKind.choices, default=AffiliationKind.OTHER)
    identifier = models.CharField("NPI or other identifier", max_length=40, blank=True)

    class Meta:
        ordering = ["reviewer_id", "name"]

    def __str__(self) -> str:
        return self.name


class SpecialtyRule(models.Model):
    """Which board specialties may review a treatment category (optionally for a body region)."""

    category = models.CharField(max_length=24, choices=ItemCategory.choices)
    body_region = models.CharField(max_length=60, blank=True, help_text="Blank: any body region.")
    specialty = models.CharField(max_length=120)
    # With the count and the highest id, tells each worker's cached copy of the rules that
    # they changed (reviewers.picking).
    changed_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        ordering = ["category", "body_region", "specialty"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "body_region", "specialty"], name="specialty_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        region = f" ({self.body_region})" if self.body_region else ""
        return f"{self.get_category_display()}{region}: {self.specialty}"


class AssignmentStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    ENDED = "ended", "Ended"


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> AssignmentQuerySet:
        """Held now (offered or accepted): at most one per case."""
        return self.filter(active=True)

    def held_by(self, *, user_id: int) -> AssignmentQuerySet:
        """Held now by the reviewer who is this user."""
        return self.active().filter(reviewer__user_id=user_id)


class Assignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(Reviewer, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.OFFERED
    )
    # True while the reviewer holds the case (offered or accepted).
    active = models.BooleanField(default=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when assigned automatically.",
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    # The reviewers considered and why each other one was excluded.
    candidates = models.JSONField(default=list, blank=True)
    # Set once the reviewer was emailed about the offer, so a retried task never sends twice.
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-assigned_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(active=True), name="assignment_one_active_per_case"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="assignment_status_valid"
            ),
            # An active assignment is offered or accepted; a declined or ended one is inactive.
            models.CheckConstraint(
                condition=Q(active=False)
                | Q(status__in=[AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED]),
                name="assignment_active_is_offered_or_accepted",
            ),
        ]
        indexes = [
            # Open-case counts per reviewer read only active rows.
            models.Index(fields=["reviewer"], condition=Q(active=True), name="assignment_open_by_reviewer"),
            # The admin's newest-first list.
            models.Index(fields=["assigned_at", "id"], name="assignment_assigned_order"),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.reviewer}"
