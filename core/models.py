"""What a one-time form token created, so a replay of the same POST can answer with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FormSubmission(models.Model):
    """A form token claimed by a POST that created something, and the page showing the result.

    The unique token is what makes a double submit harmless: the second insert of the
    same token waits for the first transaction and then fails, and the second request
    answers with the first one's result page.
    """

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "form submission"

    def __str__(self) -> str:
        return f"{self.token} → {self.result_url}"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed (gave up)"
    CANCELLED = "cancelled", "Cancelled"


class OutboxJob(models.Model):
    """One side effect to carry out (issue a letter, send an email, pick a reviewer...).

    Written in the same transaction as the change that causes it (`core.outbox.enqueue`), so
    the work exists exactly when the change does; Celery only carries the row id to a worker,
    and the sweeper re-sends what is due, so a lost broker message delays work and never loses
    it. See `core.outbox` for the life of a row.
    """

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    # What the job is about, for finding it again ("delivery:12"); not unique.
    key = models.CharField(max_length=100, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=8)
    next_attempt_at = models.DateTimeField(help_text="When the row is due (again).")
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    caused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cause = models.CharField(max_length=200, blank=True, help_text="What made the row (a step, an object).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at", "id"]
        verbose_name = "background job"
        permissions = [("manage_outboxjob", "See, retry and cancel background jobs")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=OutboxState.values), name="outboxjob_state_valid"
            ),
        ]
        indexes = [
            # The sweeper's and the jobs page's scans: open rows by due time.
            models.Index(
                fields=["next_attempt_at"],
                name="outboxjob_open_due",
                condition=models.Q(state__in=["pending", "running"]),
            ),
            models.Index(fields=["kind", "state"], name="outboxjob_kind_state"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class OutboxJobEvent(models.Model):
    """A staff action on a job (retried, cancelled) and why: the jobs page's log."""

    job = models.ForeignKey(OutboxJob, on_delete=models.CASCADE, related_name="events")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20)
    reason = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"job {self.job_id} {self.action}"
