"""Cases: the IMR application, its parties, disputed items, documents and event log.

The workflow's states and allowed transitions are declared here with django-fsm-2
(`status` is protected: it only changes through a transition method, which only the
services in `cases.services.workflow` call, inside a locked transaction).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value, When
from django.db.models.functions import Coalesce
from django_fsm import FSMField, FSMModelMixin, transition

from cases.record_lock import FinalRecordChild

CASE_NUMBER_PATTERN = r"^CM[0-9]{2}-[0-9]{7}$"
case_number_validator = RegexValidator(
    CASE_NUMBER_PATTERN, "A case number reads CMyy-nnnnnnn, e.g. CM15-0041877."
)
# No date of a case is before this one.
EARLIEST_CASE_DATE = date(1900, 1, 1)
# The queues sort a case without a next deadline after every case with one: through this date.
NO_DEADLINE = date(9999, 12, 31)


class Priority(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ELIGIBILITY_REVIEW = "eligibility_review", "Eligibility review"
    INELIGIBLE = "ineligible", "Ineligible"
    AWAITING_RECORDS = "awaiting_records", "Awaiting records"
    READY_FOR_ASSIGNMENT = "ready_for_assignment", "Ready for assignment"
    ASSIGNED = "assigned", "Assigned"
    IN_REVIEW = "in_review", "In review"
    QA_REVIEW = "qa_review", "QA review"
    DETERMINATION_ISSUED = "determination_issued", "Determination issued"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    TERMINATED = "terminated", "Terminated"
    # Consolidated into a lead case whose review ended (letter issued, withdrawn, terminated or
    # ineligible): its items were reviewed, and ended, there (cases.services.consolidation).
    CLOSED_CONSOLIDATED = "closed_consolidated", "Closed as consolidated"


S = CaseStatus
# States from which a case can still be withdrawn, terminated or made expedited.
OPEN_STATUSES = [
    S.RECEIVED,
    S.ELIGIBILITY_REVIEW,
    S.AWAITING_RECORDS,
    S.READY_FOR_ASSIGNMENT,
    S.ASSIGNED,
    S.IN_REVIEW,
    S.QA_REVIEW,
]
FINAL_STATUSES = [S.INELIGIBLE, S.CLOSED, S.WITHDRAWN, S.TERMINATED, S.CLOSED_CONSOLIDATED]


# The queues' sort keys (cases.selectors.queue_page), written once: the indexes in Case.Meta are
# on these very expressions, so PostgreSQL starts a keyset page inside them.
QUEUE_DEADLINE = Coalesce(F("next_deadline"), Value(NO_DEADLINE), output_field=models.DateField())
EXPEDITED_FIRST = models.Case(
    When(priority=Priority.EXPEDITED, then=Value(0)), default=Value(1), output_field=models.IntegerField()
)


# The day a case entered its state, never null: the queues' sort key and the expression of their
# PostgreSQL-only indexes (migration 0011_queues_sorts_and_saved_views).
IN_STATE_SINCE = Coalesce(F("status_since"), F("received_on"), output_field=models.DateField())


class ServiceMethod(models.TextChoices):
    MAIL = "mail", "Mail"
    ELECTRONIC = "electronic", "Electronic"
    PERSONAL = "personal", "Personal"


class NoticeKind(models.TextChoices):
    """Every notice the IMRO sends besides the Final Determination letter (8 CCR 9792.10.4 ff.).

    Declared here, the floor, so the workflow services can ask for one (`cases.hooks.send_notice`);
    the determinations app renders and delivers them."""

    ELIGIBILITY = "eligibility", "Notice of eligibility"
    NOARFI = "noarfi", "Notice of Assignment and Request for Information"
    INELIGIBILITY = "ineligibility", "Notice of ineligibility"
    EXPEDITED = "expedited", "Notice of conversion to expedited review"
    WITHDRAWAL = "withdrawal", "Confirmation of withdrawal"
    TERMINATION = "termination", "Confirmation of termination"
    LATE_RECORDS = "late_records", "Notice of late medical records"


class NoticeMethod(models.TextChoices):
    MAIL = "mail", "Mail"
    ELECTRONIC = "electronic", "Electronic"


class Case(FSMModelMixin, models.Model):
    case_number = models.CharField(max_length=12, unique=True, validators=[case_number_validator])
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.STANDARD)
    status = FSMField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.RECEIVED, protected=True)

    # The application
    received_on = models.DateField("application received")
    signed = models.BooleanField()
    ur_decision_attached = models.BooleanField("UR decision attached")
    liability_disputed = models.BooleanField(default=False)

    # The injury
    injury_date = models.DateField()
    body_parts = models.JSONField(default=list, blank=True)
    diagnoses = models.JSONField(default=list, blank=True)
    mechanism = models.TextField(null=True, blank=True)

    # The utilization review decision in dispute
    ur_decision_date = models.DateField("UR decision date")
    ur_served_on = models.DateField("UR decision served on")
    ur_service_method = models.CharField(
        "UR service method", max_length=10, choices=ServiceMethod.choices, default=ServiceMethod.MAIL
    )
    ur_reviewer_name = models.CharField("UR reviewer", max_length=200, blank=True)
    ur_organization = models.CharField("UR organization", max_length=200, blank=True)
    ur_guidelines_cited = models.TextField("UR guidelines cited", blank=True)
    ur_conditionally_noncertified = models.BooleanField("UR decision is a CNC", default=False)

    # Eligibility as confirmed or overridden by staff (null until staff decide).
    eligibility_confirmed = models.BooleanField(null=True, blank=True)
    eligibility_override_reason = models.TextField(blank=True)

    # Workflow dates, recorded by the transition services from the events.
    eligibility_review_on = models.DateField(null=True, blank=True)
    eligible_on = models.DateField(null=True, blank=True)
    notice_sent_on = models.DateField("NOARFI sent on", null=True, blank=True)
    notice_method = models.CharField("NOARFI method", max_length=10, choices=NoticeMethod.choices, blank=True)
    records_complete_on = models.DateField(null=True, blank=True)
    expedited_on = models.DateField(null=True, blank=True)
    # Set once the parties were emailed about the conversion, so a retry never mails twice.
    expedited_parties_notified_at = models.DateTimeField(null=True, blank=True)

    # Deadlines: computed by cases.deadlines from the dates above, stored for queues.
    application_due = models.DateField(null=True, blank=True)
    eligibility_info_due = models.DateField(null=True, blank=True)
    notice_due = models.DateField("NOARFI due", null=True, blank=True)
    records_due = models.DateField(null=True, blank=True)
    determination_due = models.DateField(null=True, blank=True)
    appeal_due = models.DateField(null=True, blank=True)
    next_deadline = models.DateField(null=True, blank=True, db_index=True)
    overdue = models.BooleanField(default=False, db_index=True)

    # Consolidation (8 CCR 9792.10.4): this application is reviewed as part of another case (its
    # disputed items moved there: one NOARFI, one reviewer, one letter). Null when on its own.
    consolidated_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="consolidated_cases"
    )

    needs_manual_assignment = models.BooleanField(default=False)
    manual_assignment_reason = models.TextField(blank=True)
    # When the case last entered ready_for_assignment (recorded by the workflow service), so the
    # queue can show how long it has waited for a reviewer without reading the event log.
    ready_since = models.DateTimeField("ready for assignment since", null=True, blank=True)
    # The day the case entered its current state (cases.services.workflow.record_entry_dates):
    # the queues' "days in state" column and sort. Null for a case that never moved (then
    # IN_STATE_SINCE reads the day it was received).
    status_since = models.DateField("in this state since", null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        permissions = [
            ("view_all_cases", "Can see every case"),
            ("transition_case", "Can move a case through the workflow"),
            ("override_eligibility", "Can override an eligibility finding"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(case_number__regex=CASE_NUMBER_PATTERN), name="case_number_format"
            ),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="case_priority_valid"),
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="case_status_valid"),
            models.CheckConstraint(
                condition=Q(ur_service_method__in=ServiceMethod.values),
                name="case_ur_service_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(notice_method__in=[*NoticeMethod.values, ""]),
                name="case_notice_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(injury_date__lte=models.F("received_on")),
                name="case_injury_not_after_application",
            ),
            models.CheckConstraint(
                condition=Q(ur_decision_date__lte=models.F("received_on")),
                name="case_ur_decision_not_after_application",
            ),
            models.CheckConstraint(
                condition=Q(ur_served_on__gte=models.F("ur_decision_date")),
                name="case_ur_served_not_before_decision",
            ),
            # The injury comes before the UR decision on its treatment; with the two rules
            # above, no date of the application is before 1900 (a year-1 date is a slip).
            models.CheckConstraint(
                condition=Q(injury_date__lte=models.F("ur_decision_date")),
                name="case_injury_not_after_ur_decision",
                violation_error_message="The date of injury cannot be after the UR decision date.",
            ),
            models.CheckConstraint(
                condition=Q(injury_date__gte=EARLIEST_CASE_DATE),
                name="case_injury_from_1900",
                violation_error_message="The date of injury cannot be before 1900-01-01.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_deadline"]),
            # The queues' keyset order (cases.selectors.queue_page): one state's queue, and
            # every open case; the expressions are the selectors' very sort keys.
            models.Index(F("status"), QUEUE_DEADLINE, F("received_on"), F("id"), name="case_queue_order"),
            models.Index(
                QUEUE_DEADLINE,
                F("received_on"),
                F("id"),
                name="case_open_queue_order",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                EXPEDITED_FIRST,
                QUEUE_DEADLINE,
                F("received_on"),
                F("id"),
                name="case_ready_queue_order",
                condition=Q(status=S.READY_FOR_ASSIGNMENT),
            ),
            # Queue counts: the open states with their overdue cases, read from the index alone.
            models.Index(fields=["status", "overdue"], name="case_status_overdue"),
            # The admin's and the search's newest-first order.
            models.Index(fields=["received_on", "id"], name="case_received_order"),
            # The admin's "overdue" filter in that order: the few overdue cases, not a walk back
            # through every case received until 50 overdue ones turn up (9 ms at 200,000 cases).
            models.Index(
                fields=["received_on", "id"], condition=Q(overdue=True), name="case_overdue_received"
            ),
            # The queues sorted by the day received, one state (either way: read backwards).
            models.Index(fields=["status", "received_on", "id"], name="case_queue_received"),
            # The tabs' counts under a priority filter, without the consolidated cases (listed
            # under their lead case): read from the index alone.
            models.Index(
                fields=["status", "overdue", "priority"],
                name="case_queue_counts",
                condition=Q(consolidated_into__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.case_number

    @property
    def is_expedited(self) -> bool:
        return self.priority == Priority.EXPEDITED

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # ---- The workflow graph (django-fsm-2). Only cases.services.workflow calls these. ----

    @transition(field=status, source=S.RECEIVED, target=S.ELIGIBILITY_REVIEW)
    def start_eligibility_review(self) -> None:
        """Intake staff begin checking the application."""

    @transition(field=status, source=S.ELIGIBILITY_REVIEW, target=S.INELIGIBLE)
    def find_ineligible(self) -> None:
        """The application is not eligible for IMR."""

    @transition(field=status, source=S.ELIGIBILITY_REVIEW, target=S.AWAITING_RECORDS)
    def send_notice_of_assignment(self) -> None:
        """Eligible: the NOARFI went to the parties; records are requested."""

    @transition(field=status, source=S.AWAITING_RECORDS, target=S.READY_FOR_ASSIGNMENT)
    def complete_records(self) -> None:
        """The application and the medical records are complete."""

    @transition(field=status, source=S.READY_FOR_ASSIGNMENT, target=S.ASSIGNED)
    def assign_reviewer(self) -> None:
        """A reviewer was assigned."""

    @transition(field=status, source=S.ASSIGNED, target=S.READY_FOR_ASSIGNMENT)
    def decline_assignment(self) -> None:
        """The reviewer declined; the case goes back to be assigned again."""

    @transition(field=status, source=S.ASSIGNED, target=S.IN_REVIEW)
    def accept_assignment(self) -> None:
        """The reviewer accepted, attesting no conflict."""

    @transition(field=status, source=S.IN_REVIEW, target=S.ASSIGNED)
    def replace_reviewer(self) -> None:
        """Staff took the case from the reviewer who accepted it and offered it to another."""

    @transition(field=status, source=S.IN_REVIEW, target=S.QA_REVIEW)
    def submit_determination(self) -> None:
        """The reviewer submitted their determination for clinical QA."""

    @transition(field=status, source=S.QA_REVIEW, target=S.IN_REVIEW)
    def return_to_reviewer(self) -> None:
        """Clinical QA sent the determination back with a comment."""

    @transition(field=status, source=S.QA_REVIEW, target=S.DETERMINATION_ISSUED)
    def issue_determination(self) -> None:
        """The Final Determination letter was issued."""

    @transition(field=status, source=S.DETERMINATION_ISSUED, target=S.CLOSED)
    def close(self) -> None:
        """The case is closed."""

    @transition(field=status, source=S.DETERMINATION_ISSUED, target=S.READY_FOR_ASSIGNMENT)
    def remand(self) -> None:
        """A WCAB order remands the case for a new review by a different reviewer."""

    @transition(field=status, source=OPEN_STATUSES, target=S.WITHDRAWN)
    def withdraw(self) -> None:
        """The application was withdrawn."""

    @transition(field=status, source=OPEN_STATUSES, target=S.TERMINATED)
    def terminate(self) -> None:
        """The claims administrator authorized the disputed treatment."""

    # A consolidated case waits in the state it was consolidated in (received or eligibility
    # review) and ends when its lead's review ends: only cases.services.workflow calls this.
    @transition(field=status, source=[S.RECEIVED, S.ELIGIBILITY_REVIEW], target=S.CLOSED_CONSOLIDATED)
    def close_as_consolidated(self) -> None:
        """The lead case's review ended: this application's items were reviewed there."""


class PartyRole(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    ATTORNEY = "attorney", "Employee's attorney"
    EMPLOYER = "employer", "Employer"
    CLAIMS_ADMINISTRATOR = "claims_administrator", "Claims administrator"
    REQUESTING_PROVIDER = "requesting_provider", "Requesting provider"


class Party(FinalRecordChild):
    # A returned letter goes again to the corrected address (cases.record_lock).
    correctable_when_final = ("email", "mailing_address")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=24, choices=PartyRole.choices)
    # For the employee, name is "First Last" and first/last names are kept too.
    name = models.CharField(max_length=200)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    organization = models.CharField("organization or firm", max_length=200, blank=True)
    email = models.EmailField(blank=True)
    mailing_address = models.TextField(blank=True)
    claim_number = models.CharField(max_length=60, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    specialty = models.CharField(max_length=120, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=20, blank=True)

    class Meta:
        # By the case's id, not the case: "case" would follow Case.Meta.ordering and join cases
        # into every party query (the admin's employee-name sort subquery among them).
        ordering = ["case_id", "id"]
        verbose_name_plural = "parties"
        indexes = [
            # The duplicate-IMR check and the earlier IMRs on the case page look up the claims
            # administrator's party by claim number (cases.eligibility.prior_imr_items).
            models.Index(
                fields=["claim_number", "case"],
                name="party_claim_number",
                condition=Q(role="claims_administrator"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "role"], name="party_one_per_role"),
            models.CheckConstraint(condition=Q(role__in=PartyRole.values), name="party_role_valid"),
            models.CheckConstraint(
                condition=Q(npi="") | Q(npi__regex=r"^[0-9]{10}$"), name="party_npi_ten_digits"
            ),
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=True) | Q(date_of_birth__gte=EARLIEST_CASE_DATE),
                name="party_born_from_1900",
                violation_error_message="The date of birth cannot be before 1900-01-01.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class ItemCategory(models.TextChoices):
    PHARMACEUTICALS = "pharmaceuticals", "Pharmaceuticals"
    PHYSICAL_MEDICINE = "physical_medicine", "Physical medicine"
    CHIROPRACTIC = "chiropractic", "Chiropractic"
    ACUPUNCTURE = "acupuncture", "Acupuncture"
    INJECTIONS = "injections", "Injections"
    DIAGNOSTICS = "diagnostics", "Diagnostics"
    SURGERY = "surgery", "Surgery"
    DME = "dme", "DME, prosthetics, orthotics, supplies"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    HOME_HEALTH = "home_health", "Home health"
    PROGRAMS = "programs", "Programs (e.g. functional restoration)"
    EVALUATION_MANAGEMENT = "evaluation_management", "Evaluation and management"
    OTHER = "other", "Other"


# PostgreSQL only: `cases_case.item_categories` has bit ITEM_CATEGORY_BITS[c] set when one of the
# case's disputed items is of category c. Kept by database triggers on the items (migration
# 0013_scale_item_categories, which freezes this very order) and deliberately not a model field
# (a case's save() would write a stale value back); read by cases.selectors.queue_counts.
ITEM_CATEGORY_BITS = {code: 1 << position for position, code in enumerate(ItemCategory.values)}


class URDecision(models.TextChoices):
    MODIFIED = "modified", "Modified"
    DENIED = "denied", "Denied"
    DELAYED = "delayed", "Delayed"


class DisputedItem(FinalRecordChild):
    addable_when_final = False  # every item of a final record has its decision

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="disputed_items")
    position = models.PositiveSmallIntegerField("order", help_text="Order in the letter, from 1.")
    description = models.CharField(max_length=500)
    category = models.CharField(max_length=24, choices=ItemCategory.choices)
    formulary_drug = models.BooleanField(default=False)
    procedure_code = models.CharField(max_length=20, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    body_part = models.CharField(max_length=120, blank=True)
    ur_decision = models.CharField("UR decision", max_length=10, choices=URDecision.choices)
    claims_administrator_guideline = models.TextField(blank=True)
    # When consolidated into another case: the case it was filed under, and its order there.
    origin_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="consolidated_items"
    )
    origin_position = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="disputed_item_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="disputed_item_position_positive"),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=1),
                name="disputed_item_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(category__in=ItemCategory.values), name="disputed_item_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(ur_decision__in=URDecision.values), name="disputed_item_ur_decision_valid"
            ),
            models.CheckConstraint(
                condition=Q(formulary_drug=False) | Q(category=ItemCategory.PHARMACEUTICALS),
                name="disputed_item_formulary_only_pharmaceuticals",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class DocumentKind(models.TextChoices):
    IMR_APPLICATION = "imr_application", "IMR application"
    UR_DECISION = "ur_decision", "UR decision"
    MEDICAL_RECORD = "medical_record", "Medical record"
    CORRESPONDENCE = "correspondence", "Correspondence"


def document_upload_to(document: Document, filename: str) -> str:
    # The stored name carries no PHI from the uploaded name.
    return f"cases/{document.case_id}/documents/{document.sha256[:16]}.pdf"


class Document(FinalRecordChild):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    title = models.CharField(max_length=200, help_text="Provider, type of record, dates.")
    file = models.FileField(upload_to=document_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    pages = models.PositiveIntegerField()
    received_on = models.DateField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"),
            models.UniqueConstraint(fields=["case", "sha256"], name="document_unique_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class CaseEventKind(models.TextChoices):
    """Every kind of event the case log records, with the words people read for it."""

    TRANSITION = "transition", "Status changed"
    IMPORTED = "imported", "Case imported"
    CREATED_BY_STAFF = "created_by_staff", "Case created by staff"
    EDITED_BY_STAFF = "edited_by_staff", "Case edited by staff"
    ELIGIBILITY_CONFIRMED = "eligibility_confirmed", "Eligibility finding confirmed"
    ELIGIBILITY_OVERRIDE = "eligibility_override", "Eligibility finding overridden"
    CONVERTED_TO_EXPEDITED = "converted_to_expedited", "Converted to expedited"
    DOCUMENT_ADDED = "document_added", "Document added"
    MANUAL_ASSIGNMENT_NEEDED = "manual_assignment_needed", "Needs manual assignment"
    DETERMINATION_DRAFT_SAVED = "determination_draft_saved", "Determination draft saved"
    DETERMINATION_APPROVED = "determination_approved", "Determination approved by QA"
    LETTER_CORRECTED = "letter_corrected", "Corrected letter issued"
    LETTER_MAILED = "letter_mailed", "Letter sent to every recipient"
    LETTER_POSTED = "letter_posted", "Printed letter posted"
    LETTER_RESENT = "letter_resent", "Letter resent"
    NOTICE_ISSUED = "notice_issued", "Notice issued to the parties"
    NOTICE_DELIVERED = "notice_delivered", "Notice sent to every recipient"
    NOTICE_POSTED = "notice_posted", "Printed notice posted"
    NOTICE_RESENT = "notice_resent", "Notice resent"
    CONSOLIDATED = "consolidated", "Cases consolidated into one review"
    CONSOLIDATION_SPLIT = "consolidation_split", "Consolidated case split off"


class CaseEvent(models.Model):
    """Append-only record of every state change and notable action on a case."""

    Kind = CaseEventKind

    # PROTECT: a case with a history cannot be deleted (the table is append-only in PostgreSQL too).
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=40, choices=CaseEventKind.choices, default=CaseEventKind.TRANSITION)
    from_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The business date the event counts from (differs from `at` for migrated history).
    effective_on = models.DateField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case_id", "effective_on", "id"]
        indexes = [
            models.Index(fields=["case", "id"]),
            # The admin's filters by kind and by state reached, in the list's order: a rare value
            # (an import's events, a state few cases reach) otherwise reads every event looking
            # for a page of them (44 ms at 200,000 cases and 1.3 million events).
            models.Index(fields=["kind", "case", "effective_on", "id"], name="caseevent_kind_order"),
            models.Index(
                fields=["to_status", "case", "effective_on", "id"], name="caseevent_to_status_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status} → {self.to_status} on {self.effective_on}"


class AccessAction(models.TextChoices):
    VIEW_CASE = "view_case", "Viewed case file"
    VIEW_DOCUMENT = "view_document", "Opened document"
    VIEW_LETTER = "view_letter", "Opened letter"
    CHANGE = "change", "Changed"
    EXPORT = "export", "Exported"
    SEARCH = "search", "Searched cases"
    REFUSED = "refused", "Refused access"


class AccessLogEntry(models.Model):
    """Who viewed or changed which case's protected health information, and when.

    Append-only: PostgreSQL refuses UPDATE and DELETE on the table (migration
    0007_access_log_complete_and_append_only), and a case with entries cannot be deleted.
    A web request records the client's address and user agent; a management command the
    operating-system user and its command line (`user` is then empty).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, null=True, on_delete=models.PROTECT, related_name="access_log")
    action = models.CharField(max_length=20, choices=AccessAction.choices)
    object_repr = models.CharField(max_length=200, blank=True)
    path = models.CharField(max_length=300, blank=True)
    # The answer's status for a refused request (403, 404); empty otherwise.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    os_user = models.CharField("OS user", max_length=100, blank=True)
    command = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["case", "at"], name="accesslog_case_at"),
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.object_repr}"


class DeadlineDigest(models.Model):
    """One row per day the deadline digest went out, so a retried task never sends it twice."""

    sent_on = models.DateField(unique=True)
    case_count = models.PositiveIntegerField()
    recipients = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on"]

    def __str__(self) -> str:
        return f"Deadline digest of {self.sent_on}"


class QueueView(models.Model):
    """A staff user's last sort and filters of the work queues, restored when they come back
    (cases.services.queue_views). Only values the queue offers are stored."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_view")
    sort = models.CharField(max_length=20, blank=True)
    priority = models.CharField(max_length=10, blank=True)
    category = models.CharField(max_length=24, blank=True)
    overdue = models.BooleanField(default=False)
    reviewer_number = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=[*Priority.values, ""]), name="queue_view_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=[*ItemCategory.values, ""]), name="queue_view_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"queue view of {self.user}"
