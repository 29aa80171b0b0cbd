"""Email delivery through a REAL SMTP server (aiosmtpd): exactly once per recipient.

Bad inputs tried: the task enqueued twice for the same delivery, the SMTP server refusing
the first attempt (451) and refusing every attempt, a delivery that goes by post sent by
email, a resend without a reason and of a delivery still pending.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings

from cases.models import CaseEvent
from core import clock, outbox
from core.models import OutboxJob, OutboxState
from determinations.jobs import SEND_DELIVERY
from determinations.models import Delivery, DeliveryChannel, DeliveryStatus
from determinations.services.delivery import DeliveryError, resend_delivery, send_delivery
from determinations.services.letters import issue_letter
from tests.determinations.letters_support import (
    REVIEWER_FIRST_NAME,
    REVIEWER_LAST_NAME,
    approved_seed_determination,
    body_text,
)
from tests.factories import UserFactory
from tests.outbox_support import run_job_now

pytestmark = pytest.mark.django_db

SEED_ADDRESSES = {
    "maria.example@example.org",
    "hr@centralvalley.example.com",
    "ur-desk@goldenstateclaims.example.com",
    "office@treating-pain.example.com",
}


def _pdf_attachments(message) -> list[tuple[str, bytes]]:
    return [
        (part.get_filename(), part.get_payload(decode=True))
        for part in message.walk()
        if part.get_content_type() == "application/pdf"
    ]


def _issue(django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(determination_id=determination.pk)
    return determination, letter


def test_each_recipient_gets_exactly_one_email_with_the_pdf(smtp_server, django_capture_on_commit_callbacks):
    determination, letter = _issue(django_capture_on_commit_callbacks)
    case_number = determination.case.case_number
    received = Counter(rcpt for m in smtp_server.messages for rcpt in m["rcpt_tos"])
    assert received == Counter(SEED_ADDRESSES)
    stored = letter.pdf.read()
    for entry in smtp_server.messages:
        message = entry["message"]
        assert case_number in message["Subject"]
        attachments = _pdf_attachments(message)
        assert attachments == [(f"IMR-Final-Determination-{case_number}.pdf", stored)]
        raw = entry["envelope"].content.decode("utf-8", "replace")
        assert REVIEWER_LAST_NAME not in raw and REVIEWER_FIRST_NAME not in raw
        assert REVIEWER_LAST_NAME not in body_text(attachments[0][1])
    for delivery in letter.deliveries.all():
        assert delivery.status == DeliveryStatus.SENT
        assert delivery.attempts == 1 and delivery.sent_at is not None
        sent = [m["message"] for m in smtp_server.messages if m["rcpt_tos"] == [delivery.address]]
        assert sent[0]["Message-ID"] == delivery.message_id


def test_issuing_enqueues_one_send_per_email_delivery_only_after_the_commit(
    smtp_server, django_capture_on_commit_callbacks
):
    """Nothing is emailed inside the issuing transaction; each email delivery is its own send task."""
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        letter = issue_letter(determination_id=determination.pk)
    emails = letter.deliveries.filter(channel=DeliveryChannel.EMAIL)
    # The issue's other side effect (the decision library's publication) is a job of its own.
    sends = [callback for callback in callbacks if "send_delivery" in callback.__qualname__]
    assert len(sends) == emails.count() == len(SEED_ADDRESSES)
    assert smtp_server.messages == []
    for callback in sends:
        callback()
    assert {d.status for d in emails.all()} == {DeliveryStatus.SENT}
    assert len(smtp_server.messages) == len(SEED_ADDRESSES)


def test_running_the_job_again_never_sends_twice(smtp_server, django_capture_on_commit_callbacks):
    _, letter = _issue(django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 4
    for delivery in letter.deliveries.all():
        assert run_job_now(SEND_DELIVERY, delivery_id=delivery.pk).state == OutboxState.DONE
        send_delivery(delivery_id=delivery.pk)
    assert len(smtp_server.messages) == 4
    assert set(letter.deliveries.values_list("attempts", flat=True)) == {1}


def _send_job(delivery) -> OutboxJob:
    return OutboxJob.objects.get(kind=SEND_DELIVERY, key=f"delivery:{delivery.pk}")


def test_a_refused_first_attempt_is_scheduled_again_and_sent_once(smtp_server, time_machine):
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)  # sends not run: no on-commit here
    delivery = letter.deliveries.get(recipient_role="employee")
    job = _send_job(delivery)
    smtp_server.fail_next = 1
    assert outbox.run_job(job.pk) == OutboxState.PENDING
    delivery.refresh_from_db()
    job.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "451" in delivery.last_error
    assert job.attempts == 1 and "451" in job.last_error and job.failing_since is not None
    assert job.next_attempt_at > clock.now()
    assert outbox.run_job(job.pk) is None  # not due yet: nothing runs
    time_machine.move_to(job.next_attempt_at + timedelta(seconds=1), tick=False)
    assert outbox.run_job(job.pk) == OutboxState.DONE
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    assert [m["rcpt_tos"] for m in smtp_server.messages] == [[delivery.address]]
    assert [m["message"]["Message-ID"] for m in smtp_server.messages] == [delivery.message_id]


def test_a_failing_server_records_the_error_and_gives_up_after_the_schedule(smtp_server, time_machine):
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employer")
    job = _send_job(delivery)
    smtp_server.fail_next = 100
    time_machine.move_to(clock.now(), tick=False)
    waits = []
    while outbox.run_job(job.pk) == OutboxState.PENDING:
        job.refresh_from_db()
        waits.append((job.next_attempt_at - clock.now()).total_seconds())
        time_machine.move_to(job.next_attempt_at + timedelta(seconds=1), tick=False)
    job.refresh_from_db()
    delivery.refresh_from_db()
    assert job.state == OutboxState.FAILED and job.attempts == job.max_attempts
    assert delivery.status == DeliveryStatus.FAILED
    assert "451" in delivery.last_error
    assert delivery.attempts == job.max_attempts
    assert smtp_server.messages == []
    # Doubling from the base, capped; no wait is spent inside the broker, so none can meet its
    # visibility timeout.
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= 300


def test_post_deliveries_are_not_emailed(smtp_server):
    determination = approved_seed_determination()
    determination.case.parties.filter(role="employer").update(email="", mailing_address="1 Plant Rd")
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employer")
    assert delivery.channel == DeliveryChannel.POST
    with pytest.raises(DeliveryError, match="by post"):
        send_delivery(delivery_id=delivery.pk)
    assert smtp_server.messages == []


def test_resend_is_refused_while_an_automatic_try_is_pending_then_is_a_new_logged_delivery(
    smtp_server, django_capture_on_commit_callbacks
):
    staff = UserFactory()
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    original = letter.deliveries.get(recipient_role="requesting_provider")
    with pytest.raises(DeliveryError, match="next try"):
        resend_delivery(delivery_id=original.pk, by=staff, reason="try")  # pending, due now
    job = _send_job(original)
    smtp_server.fail_next = 1
    assert outbox.run_job(job.pk) == OutboxState.PENDING
    original.refresh_from_db()
    assert original.status == DeliveryStatus.FAILED
    # Failed, but an automatic retry is scheduled: a resend now would send it twice.
    with pytest.raises(DeliveryError, match=r"scheduled \(next try"):
        resend_delivery(delivery_id=original.pk, by=staff, reason="try")
    outbox.cancel_job(job_id=job.pk, by=staff, reason="Provider's server is down for the week")
    with pytest.raises(DeliveryError, match="why"):
        resend_delivery(delivery_id=original.pk, by=staff, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        resend = resend_delivery(delivery_id=original.pk, by=staff, reason="Provider fixed their mail server")
    resend.refresh_from_db()
    original.refresh_from_db()
    assert resend.resend_of_id == original.pk and resend.status == DeliveryStatus.SENT
    assert original.status == DeliveryStatus.FAILED
    assert [m["rcpt_tos"] for m in smtp_server.messages] == [[original.address]]
    assert smtp_server.messages[0]["message"]["Message-ID"] == resend.message_id != original.message_id
    event = CaseEvent.objects.get(case=determination.case, kind=CaseEvent.Kind.LETTER_RESENT)
    assert event.actor == staff and event.data["resend_of"] == original.pk
    assert Delivery.objects.filter(letter=letter).count() == 5


def test_an_overdue_pending_delivery_is_sent_now_as_itself(
    smtp_server, time_machine, django_capture_on_commit_callbacks
):
    """Nothing worked the send (the broker lost it, no sweeper ran): staff may send it by hand,
    and it goes out once, as the same delivery with the same Message-ID."""
    staff = UserFactory()
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employee")
    job = _send_job(delivery)
    time_machine.move_to(job.next_attempt_at + timedelta(seconds=settings.OUTBOX_OVERDUE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        again = resend_delivery(delivery_id=delivery.pk, by=staff, reason="Stuck for an hour")
    assert again.pk == delivery.pk
    delivery.refresh_from_db()
    job.refresh_from_db()
    assert job.state == OutboxState.CANCELLED
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert [m["message"]["Message-ID"] for m in smtp_server.messages] == [delivery.message_id]
    assert Delivery.objects.filter(letter=letter).count() == 4
    assert outbox.run_job(job.pk) is None  # the cancelled job never runs
    assert len(smtp_server.messages) == 1


def test_a_claim_left_by_a_crash_is_taken_over_with_the_same_message_id(smtp_server):
    """A worker died after claiming (`sending`): the next attempt sends, once, with the same
    Message-ID; the dead attempt, were it to wake, finds its claim taken and sends nothing."""
    from determinations.services.delivery import _claim, _send_claimed

    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employee")
    dead_attempt = _claim(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and delivery.attempt_id == dead_attempt
    first_message_id = delivery.message_id
    send_delivery(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert delivery.message_id == first_message_id
    assert _send_claimed(delivery_id=delivery.pk, attempt_id=dead_attempt).status == DeliveryStatus.SENT
    assert [m["message"]["Message-ID"] for m in smtp_server.messages] == [first_message_id]


def test_a_claim_taken_over_before_it_sent_sends_nothing(smtp_server):
    from determinations.services.delivery import _claim, _send_claimed

    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employer")
    slow_attempt = _claim(delivery_id=delivery.pk)
    _claim(delivery_id=delivery.pk)  # the sweeper's attempt took the claim over
    _send_claimed(delivery_id=delivery.pk, attempt_id=slow_attempt)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING and smtp_server.messages == []
