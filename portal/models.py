"""The parties' side of a case: organizations, their users and API keys, the cases staff linked
them to, the records they submitted, the per-party links sent with the notices, and the
idempotency records of the API.

An organization's users see exactly the cases with a `CaseLink` to their organization: staff
create those links on purpose (the admin, or the submission of a case through the API), never
from a name that happens to match a party of the case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from rest_framework_api_key.models import AbstractAPIKey

from cases.models import Case, Document, PartyRole


class OrganizationKind(models.TextChoices):
    CLAIMS_ADMINISTRATOR = "claims_administrator", "Claims administrator (insurer, TPA)"
    PROVIDER_OFFICE = "provider_office", "Provider's office"


# The party role an organization of each kind holds on the cases it is linked to by default.
DEFAULT_ROLE = {
    OrganizationKind.CLAIMS_ADMINISTRATOR: PartyRole.CLAIMS_ADMINISTRATOR,
    OrganizationKind.PROVIDER_OFFICE: PartyRole.REQUESTING_PROVIDER,
}


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=OrganizationKind.choices)
    email = models.EmailField("contact email", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OrganizationKind.values), name="portal_organization_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def party_role(self) -> str:
        return DEFAULT_ROLE[OrganizationKind(self.kind)]


class Membership(models.Model):
    """A user of an organization (one organization per user), invited by staff."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_membership"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="members")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "user_id"]

    def __str__(self) -> str:
        return f"{self.user} at {self.organization}"


class CaseLinkSource(models.TextChoices):
    STAFF = "staff", "Linked by staff"
    API_SUBMISSION = "api_submission", "Submitted the case through the API"


class CaseLink(models.Model):
    """The organization is a party to the case, in `role`: its users see the case, nothing else."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="case_links")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="portal_links")
    role = models.CharField(max_length=24, choices=PartyRole.choices)
    source = models.CharField(max_length=20, choices=CaseLinkSource.choices, default=CaseLinkSource.STAFF)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "case"], name="portal_caselink_once"),
            models.CheckConstraint(
                condition=Q(role__in=[PartyRole.CLAIMS_ADMINISTRATOR, PartyRole.REQUESTING_PROVIDER]),
                name="portal_caselink_role_organization",
            ),
            # A staff link names who made it; a case submitted through the API links itself.
            models.CheckConstraint(
                condition=Q(source="api_submission") | Q(linked_by__isnull=False),
                name="portal_caselink_staff_names_who",
            ),
        ]
        indexes = [models.Index(fields=["case", "organization"], name="portal_caselink_case")]

    def __str__(self) -> str:
        return f"{self.organization} on {self.case} ({self.get_role_display()})"


class OrganizationAPIKey(AbstractAPIKey):
    """An API token of an organization: only its hash is stored (djangorestframework-api-key);
    revoked in the admin by ticking `revoked`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "organization API token"
        verbose_name_plural = "organization API tokens"


class IdempotentRequest(models.Model):
    """The first answer to a POST that carried an `Idempotency-Key`: a retry gets it again."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method_path = models.CharField(max_length=300)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="portal_idempotency_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.key}"


class PartyLink(models.Model):
    """A per-case, per-party link for a party without an account (sent with the notices).

    The URL carries a signed token naming this row and its `nonce`; the row says until when it
    works and whether staff revoked it. Signing alone is not enough: a revoked or expired row
    refuses the link even though its signature is good.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="portal_party_links")
    role = models.CharField(max_length=24, choices=PartyRole.choices)
    nonce = models.CharField(max_length=32, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "role", "-id"]
        indexes = [models.Index(fields=["case", "role"], name="portal_partylink_case_role")]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=PartyRole.values), name="portal_partylink_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_role_display()} link"


class RecordKind(models.TextChoices):
    MEDICAL_RECORDS = "medical_records", "Medical records (office notes, reports)"
    IMAGING = "imaging", "Imaging and test results"
    UR_FILE = "ur_file", "Utilization review file"
    CORRESPONDENCE = "correspondence", "Correspondence"
    OTHER = "other", "Other records"


class RecordSubmission(models.Model):
    """One upload of one or more records: what the receipt lists."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="portal_submissions")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    party_link = models.ForeignKey(
        PartyLink, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    through_api = models.BooleanField(default=False)
    submitted_at = models.DateTimeField()
    receipt_email = models.EmailField(blank=True)
    # Set when the receipt email went out, under a row lock: a replayed job sends nothing.
    receipt_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(party_link__isnull=False),
                name="portal_submission_has_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"Records for {self.case} at {self.submitted_at:%Y-%m-%d %H:%M}"


class SubmittedRecord(models.Model):
    """One PDF of a submission: the case's Document with what the party said of it."""

    submission = models.ForeignKey(RecordSubmission, on_delete=models.PROTECT, related_name="records")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="portal_records")
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="portal_record")
    kind = models.CharField(max_length=20, choices=RecordKind.choices)
    date_from = models.DateField("records from")
    date_to = models.DateField("records to")
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField()
    # Late: uploaded after the records due date; days and penalty from the upload time.
    days_late = models.PositiveIntegerField(default=0)
    penalty_usd = models.PositiveIntegerField(default=0)
    # Staff saw it (the new-records queue and the case page's flag count the unseen ones).
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["submission_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RecordKind.values), name="portal_record_kind_valid"),
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")), name="portal_record_date_range"
            ),
        ]
        indexes = [
            # The staff queue of new records: oldest unseen first.
            models.Index(fields=["id"], name="portal_record_unseen", condition=Q(seen_at__isnull=True)),
            models.Index(fields=["case", "seen_at"], name="portal_record_case_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date_from} to {self.date_to}"

    @property
    def late(self) -> bool:
        return self.days_late > 0
