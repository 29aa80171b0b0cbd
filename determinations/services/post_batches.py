"""Printing the post tray as a background job: a `PostBatch` row, built once, downloaded by its owner.

Rendering an address sheet per letter and joining the PDFs takes about a second per ten
letters, too long for a request (issue 16, item 4). `request_post_batch` writes the batch row
and its outbox job in one transaction; the job calls `build_post_batch`, which locks the row and
returns at once when the file is there, so a retried or duplicated job never builds it twice.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import Coalesce

from core import clock, outbox
from core.models import OutboxJob, OutboxState
from determinations.jobs import BUILD_POST_BATCH
from determinations.letter_selectors import deliveries_to_post
from determinations.models import Delivery, PostBatch, PostBatchState
from determinations.services.delivery import DeliveryError, build_post_batch_pdf

NOTHING_TO_POST = "There are no letters waiting for the post."


def job_key(*, batch_id: int) -> str:
    return f"post_batch:{batch_id}"


def request_post_batch(*, user: User, delivery_ids: list[int] | None = None) -> PostBatch:
    """A new batch of the letters waiting for the post that `user` may see (all, or those of
    `delivery_ids`), and the job that builds it once this commits."""
    with transaction.atomic():
        deliveries = deliveries_to_post(user=user)
        if delivery_ids:
            deliveries = deliveries.filter(pk__in=delivery_ids)
        ids = list(deliveries.values_list("pk", flat=True))
        if not ids:
            raise DeliveryError(NOTHING_TO_POST)
        batch = PostBatch.objects.create(requested_by=user, letter_count=len(ids))
        batch.deliveries.set(ids)
        outbox.enqueue(
            BUILD_POST_BATCH,
            payload={"batch_id": batch.pk},
            key=job_key(batch_id=batch.pk),
            by=user,
            cause=f"post batch of {len(ids)} letter(s)",
        )
    return batch


def batch_deliveries(*, batch: PostBatch) -> list[Delivery]:
    """The batch's deliveries in the tray's order (oldest issue first), with their case."""
    return list(
        Delivery.objects.filter(pk__in=batch.deliveries.values("pk"))
        .select_related("letter__determination__case", "notice__case", "party")
        .order_by(Coalesce("letter__issued_on", "notice__issued_on"), "letter_id", "notice_id", "id")
    )


def build_post_batch(*, batch_id: int) -> PostBatch:
    """Build the batch's PDF; a batch already built is returned as it is (nothing is rendered)."""
    with transaction.atomic():
        # The row lock: a second run of the job waits here, then finds the file and returns.
        batch = PostBatch.objects.select_for_update().get(pk=batch_id)
        if batch.state == PostBatchState.READY:
            return batch
        pdf = build_post_batch_pdf(deliveries=batch_deliveries(batch=batch))
        batch.sha256 = hashlib.sha256(pdf).hexdigest()
        batch.pdf.save(f"{batch.sha256}.pdf", ContentFile(pdf), save=False)
        batch.state = PostBatchState.READY
        batch.finished_at = clock.now()
        try:
            batch.save(update_fields=["sha256", "pdf", "state", "finished_at"])
        except Exception:
            batch.pdf.storage.delete(batch.pdf.name)
            raise
    return batch


def batch_state(*, batch: PostBatch) -> str:
    """What the user is told: ready, failed (its job gave up or was cancelled), or pending."""
    if batch.state != PostBatchState.PENDING:
        return batch.state
    job_state = (
        OutboxJob.objects.filter(kind=BUILD_POST_BATCH, key=job_key(batch_id=batch.pk))
        .order_by("-id")
        .values_list("state", flat=True)
        .first()
    )
    if job_state in (OutboxState.FAILED, OutboxState.CANCELLED):
        return PostBatchState.FAILED
    return PostBatchState.PENDING
