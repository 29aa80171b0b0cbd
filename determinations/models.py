"""Determinations, per-item decisions, issued letters and their deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connection, models
from django.db.models import Q

from cases.models import Case, DisputedItem, NoticeKind, Party, PartyRole
from core.errors import DomainError
from reviewers.models import Reviewer


class DeterminationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted to QA"
    RETURNED = "returned", "Returned by QA"
    APPROVED = "approved", "Approved by QA"
    ISSUED = "issued", "Issued"
    SUPERSEDED = "superseded", "Superseded by a new review"


# Once submitted to QA, what the determination says is fixed: QA approves or returns it (a
# returned one is the reviewer's to edit again), and an issued one changes only by being
# superseded (a remand: a new determination) or by a corrected letter (a new letter version
# with a reason). PostgreSQL enforces the same (migration 0004_issued_and_approved_read_only).
LOCKED_STATUSES = frozenset(
    {
        DeterminationStatus.SUBMITTED,
        DeterminationStatus.APPROVED,
        DeterminationStatus.ISSUED,
        DeterminationStatus.SUPERSEDED,
    }
)
# From a locked status, where the workflow services may take a determination.
ALLOWED_NEXT_STATUS: dict[str, frozenset[str]] = {
    DeterminationStatus.SUBMITTED: frozenset(
        {DeterminationStatus.APPROVED, DeterminationStatus.RETURNED, DeterminationStatus.SUPERSEDED}
    ),
    DeterminationStatus.APPROVED: frozenset({DeterminationStatus.ISSUED, DeterminationStatus.SUPERSEDED}),
    DeterminationStatus.ISSUED: frozenset({DeterminationStatus.SUPERSEDED}),
    DeterminationStatus.SUPERSEDED: frozenset(),
}
# What a locked determination says; and, once issued, what its letter states besides.
FROZEN_FIELDS = ("case_id", "reviewer_id", "clinical_case_summary")
FROZEN_WHEN_ISSUED = ("issued_on", "licensure_states", "certifications")
ITEM_FIELDS = ("determination_id", "disputed_item_id", "decision", "reviewer_guideline", "rationale")


# A corrected letter (determinations.services.letters.correct_letter, with its reason) is the one
# path that may change the wording of an issued determination: the summary, and each item's
# rationale and guideline (never a decision). It opens the lock for one determination, inside its
# transaction, in Python and in PostgreSQL (the `imr.correcting_determination` setting).
CORRECTABLE_FIELDS = ("clinical_case_summary",)
CORRECTABLE_ITEM_FIELDS = ("reviewer_guideline", "rationale")
_correcting: ContextVar[int | None] = ContextVar("correcting_determination", default=None)


class ReadOnlyRecordError(DomainError):
    """A submitted, approved or issued determination (or an issued letter) cannot be changed."""


@contextmanager
def correcting(*, determination_id: int) -> Iterator[None]:
    """Let the correction service reword issued determination `determination_id` (only inside
    a transaction that also writes the corrected letter and its event)."""
    if not connection.in_atomic_block:
        raise ReadOnlyRecordError("A correction is made inside the corrected letter's transaction.")
    token = _correcting.set(determination_id)
    postgres = connection.vendor == "postgresql"
    try:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('imr.correcting_determination', %s, true)", [str(determination_id)]
                )
        yield
    finally:
        _correcting.reset(token)
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('imr.correcting_determination', '', true)")


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
        ordering = ["case_id", "-created_at", "-id"]
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
        indexes = [
            # The QA queue: the few determinations submitted or approved, out of one per case.
            models.Index(
                fields=["case"],
                condition=Q(status__in=[DeterminationStatus.SUBMITTED, DeterminationStatus.APPROVED]),
                name="determination_in_qa",
            ),
            # The admin's filter by status in the list's order (a status with no determination,
            # e.g. draft, read the whole table: 15 ms twice at 200,000 cases).
            models.Index(fields=["status", "case", "-created_at", "-id"], name="determination_status_order"),
        ]

    def __str__(self) -> str:
        return f"Determination for {self.case}"

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded", None)
        if loaded and not self._state.adding:
            ensure_determination_change_allowed(loaded=loaded, now=self)
        super().save(*args, **kwargs)
        self._loaded = {name: getattr(self, name) for name in ("status", *FROZEN_FIELDS, *FROZEN_WHEN_ISSUED)}

    def delete(self, *args, **kwargs):
        if self.is_locked:
            raise ReadOnlyRecordError("A submitted, approved or issued determination cannot be deleted.")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            name: getattr(instance, name)
            for name in ("status", *FROZEN_FIELDS, *FROZEN_WHEN_ISSUED)
            if name in instance.__dict__
        }
        return instance

    @property
    def is_locked(self) -> bool:
        """Submitted, approved, issued or superseded as stored: its text can no longer change."""
        return getattr(self, "_loaded", {}).get("status", self.status) in LOCKED_STATUSES


def ensure_determination_change_allowed(*, loaded: dict, now: Determination) -> None:
    """Raise ReadOnlyRecordError when saving `now` over the stored `loaded` values would change
    a locked determination's text or take it where the workflow never does."""
    old = loaded.get("status")
    if old not in LOCKED_STATUSES:
        return
    label = str(old)  # submitted, approved, issued, superseded
    if now.status != old and now.status not in ALLOWED_NEXT_STATUS[old]:
        raise ReadOnlyRecordError(
            f"This determination is {label}: it cannot go back to {now.get_status_display().lower()}."
        )
    frozen = FROZEN_FIELDS + (FROZEN_WHEN_ISSUED if old != DeterminationStatus.APPROVED else ())
    if old == DeterminationStatus.ISSUED and _correcting.get() == now.pk:
        frozen = tuple(name for name in frozen if name not in CORRECTABLE_FIELDS)
    changed = [name for name in frozen if name in loaded and getattr(now, name) != loaded[name]]
    if changed:
        raise ReadOnlyRecordError(
            f"This determination is {label} and cannot be changed ({', '.join(changed)}); a correction "
            "is a corrected letter with a reason, or a new review after a remand."
        )


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

    def save(self, *args, **kwargs) -> None:
        loaded = getattr(self, "_loaded", None)
        changed = [name for name in (loaded or {}) if getattr(self, name) != loaded[name]]  # type: ignore[index]
        correction = _correcting.get() == self.determination_id and set(changed) <= set(
            CORRECTABLE_ITEM_FIELDS
        )
        if changed and not self._state.adding and not correction:
            self._ensure_editable()
        super().save(*args, **kwargs)
        self._loaded = {name: getattr(self, name) for name in ITEM_FIELDS}

    def delete(self, *args, **kwargs):
        self._ensure_editable()
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = {
            name: getattr(instance, name) for name in ITEM_FIELDS if name in instance.__dict__
        }
        return instance

    def _ensure_editable(self) -> None:
        status = (
            Determination.objects.filter(pk=self.determination_id).values_list("status", flat=True).first()
        )
        if status in LOCKED_STATUSES:
            raise ReadOnlyRecordError(f"The determination is {status}: its item decisions cannot be changed.")


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
        ordering = ["determination_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["determination", "version"], name="letter_unique_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="letter_version_positive"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_reason=""), name="letter_correction_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Letter v{self.version} for {self.determination.case}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ReadOnlyRecordError("An issued letter never changes; a correction is a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReadOnlyRecordError("An issued letter is never deleted.")


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


def notice_upload_to(notice: Notice, filename: str) -> str:
    return f"notices/{notice.case_id}/{notice.kind}-{notice.sha256}.pdf"


class Notice(models.Model):
    """A notice sent to the parties of a case: one per kind and case, written once, never changed.

    `facts` keeps what the notice states (records due date, reasons, days late, fee...) as
    JSON, so the case page and the tests read them without opening the PDF.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    pdf = models.FileField(upload_to=notice_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    pages = models.PositiveSmallIntegerField()
    issued_on = models.DateField()
    facts = models.JSONField(default=dict, blank=True)
    # The day the last of its first deliveries went out (emailed or posted); null until then.
    completed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "id"]
        constraints = [
            # A repeated step, a retried job or two users at once never issue a notice twice.
            models.UniqueConstraint(fields=["case", "kind"], name="notice_one_per_kind_per_case"),
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="notice_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case}"

    def save(self, *args, **kwargs) -> None:
        # Only the completion date is written later (determinations.services.delivery).
        if not self._state.adding and set(kwargs.get("update_fields") or ()) != {"completed_on"}:
            raise ReadOnlyRecordError("A sent notice never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReadOnlyRecordError("A sent notice is never deleted.")


class Delivery(models.Model):
    """One document (a letter, or a notice) to one party, by email or by post."""

    letter = models.ForeignKey(
        Letter, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
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
        ordering = ["letter_id", "id"]
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
            models.UniqueConstraint(
                fields=["notice", "recipient_role"],
                condition=Q(resend_of__isnull=True),
                name="delivery_one_first_notice_send_per_recipient",
            ),
            # Exactly one document: a letter or a notice.
            models.CheckConstraint(
                condition=(Q(letter__isnull=False) & Q(notice__isnull=True))
                | (Q(letter__isnull=True) & Q(notice__isnull=False)),
                name="delivery_one_document",
            ),
        ]
        indexes = [
            # Letters to post: the few waiting, out of every delivery ever made.
            models.Index(fields=["letter"], condition=Q(status="to_post"), name="delivery_to_post"),
            models.Index(fields=["notice"], condition=Q(status="to_post"), name="delivery_notice_to_post"),
            # The admin's filter by status, newest first: a status with no rows (pending, most of
            # the time) read the whole table backwards looking for 50 (79 ms at 200,000 cases).
            models.Index(fields=["status", "id"], name="delivery_status_id"),
        ]

    def __str__(self) -> str:
        return f"{self.document} to {self.get_recipient_role_display().lower()}"

    # ---- The document delivered, whichever it is (a letter or a notice) ----

    @property
    def document(self) -> Letter | Notice:
        document = self.letter if self.letter_id is not None else self.notice
        assert document is not None  # the delivery_one_document constraint
        return document

    @property
    def case(self) -> Case:
        if self.letter_id is not None:
            assert self.letter is not None
            return self.letter.determination.case
        assert self.notice is not None
        return self.notice.case

    @property
    def document_title(self) -> str:
        """What was sent, as people read it."""
        if self.notice_id is not None:
            assert self.notice is not None
            return self.notice.get_kind_display()
        assert self.letter is not None
        corrected = f" (corrected, version {self.letter.version})" if self.letter.version > 1 else ""
        return f"Final Determination letter{corrected}"

    @property
    def document_date(self):
        return self.document.issued_on

    @property
    def document_pages(self) -> int:
        return self.document.pages

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


class PostBatchState(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Could not be prepared"


def post_batch_upload_to(batch: PostBatch, filename: str) -> str:
    return f"post-batches/{batch.pk}-{batch.sha256}.pdf"


class PostBatch(models.Model):
    """One printable PDF of letters waiting for the post, built by a background job.

    A user asks for it (`request_post_batch`); the outbox job `BUILD_POST_BATCH` builds it once
    (`build_post_batch`: a retried job finds it ready and builds nothing); only the user who asked
    downloads it, and each download writes an access-log row per case (determinations.views).
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deliveries = models.ManyToManyField(Delivery, related_name="+")
    letter_count = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=PostBatchState.choices, default=PostBatchState.PENDING)
    pdf = models.FileField(upload_to=post_batch_upload_to, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "post batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PostBatchState.values), name="postbatch_state_valid"
            ),
            models.CheckConstraint(condition=Q(letter_count__gte=1), name="postbatch_not_empty"),
            # A ready batch has its file; an unfinished one has none.
            models.CheckConstraint(
                condition=(Q(state="ready") & ~Q(pdf="") & Q(finished_at__isnull=False))
                | (~Q(state="ready") & Q(pdf="")),
                name="postbatch_ready_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"Post batch {self.pk} ({self.letter_count} letters, {self.get_state_display().lower()})"
