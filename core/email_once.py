"""Emailing a recorded row (a letter's or notice's delivery, an invoice's) at most once.

Sending an email is the one step a database transaction cannot undo, so a send is two
transactions, written once here for every kind of emailed row:

1. `claim`: lock the row, return None at once when it was already sent, else commit
   `sending`, a new attempt id, a stable Message-ID (kept from the first attempt) and the
   attempt count. A `sending` claim left by an attempt that died is taken over.
2. `send_claimed`: lock the row again, check the claim is still this attempt's, hand the
   message to SMTP and record the outcome: `sent` with the time, or `failed` with the error,
   which is re-raised after the commit so the outbox job retries. QUIT goes after the commit.

A retry after a crash sends with the same Message-ID, so mail systems discard the copy: only a
crash between the server's "250 OK" and the commit of (2), one UPDATE, can send twice.
The row's model has the fields status, attempt_id, attempts, message_id, sent_at, last_error.
"""

from __future__ import annotations

import secrets
import smtplib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction

from core import clock

SMTP_TIMEOUT_SECONDS = 60

Row = TypeVar("Row", bound=models.Model)


def claim(
    *,
    queryset: models.QuerySet[Row],
    pk: int,
    sent: str,
    sending: str,
    message_id_prefix: str,
    check: Callable[[Row], None] | None = None,
) -> str | None:
    """Transaction 1: the row's new attempt id, or None when it was sent already.

    `check(row)` raises the caller's error when the row may not be emailed (goes by post).
    """
    with transaction.atomic():
        row: Any = queryset.select_for_update().get(pk=pk)
        if row.status == sent:
            return None
        if check is not None:
            check(row)
        if not row.message_id:
            domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "imro.invalid"
            # Short on purpose: a header line over 78 characters may be re-encoded in transit.
            row.message_id = f"<{message_id_prefix}.{row.pk}.{secrets.token_hex(6)}@{domain}>"
        row.status = sending
        row.attempt_id = secrets.token_hex(8)
        row.attempts += 1
        row.save(update_fields=["message_id", "status", "attempt_id", "attempts"])
        return str(row.attempt_id)


def send_claimed(
    *,
    queryset: models.QuerySet[Row],
    pk: int,
    attempt_id: str,
    sent: str,
    failed: str,
    build_message: Callable[[Row, Any], EmailMessage],
    lock_of: tuple[str, ...] = (),
) -> Row:
    """Transaction 2: send the row under the claim `attempt_id`, unless it was sent or taken
    over since; the row as it ends. An SMTP error is recorded, then re-raised. `lock_of` names
    the tables to lock when the queryset joins others (("self",): the row alone)."""
    failure: BaseException | None = None
    connection = get_connection(timeout=SMTP_TIMEOUT_SECONDS)
    try:
        with transaction.atomic():
            row: Any = queryset.select_for_update(of=lock_of).get(pk=pk)
            if row.status == sent or row.attempt_id != attempt_id:
                return row  # sent, or a later attempt holds the claim
            message = build_message(row, connection)
            try:
                connection.open()
                message.send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as error:
                row.status = failed
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                row.save(update_fields=["status", "last_error"])
                failure = error
            else:
                # The crash window is from the server's "250 OK" to this commit: one UPDATE.
                row.status = sent
                row.sent_at = clock.now()
                row.last_error = ""
                row.save(update_fields=["status", "sent_at", "last_error"])
    finally:
        connection.close()
    if failure is not None:
        # Raised after the commit, so the failure is recorded and the job is retried.
        raise failure
    return row
