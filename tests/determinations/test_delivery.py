"""Email delivery through a REAL SMTP server (aiosmtpd): exactly once per recipient.

Bad inputs tried: the task enqueued twice for the same delivery, the SMTP server refusing
the first attempt (451) and refusing every attempt, a delivery that goes by post sent by
email, a resend without a reason and of a delivery still pending.
"""

from __future__ import annotations

import smtplib
from collections import Counter

import pytest
from django.conf import settings

from cases.models import CaseEvent
from determinations.models import Delivery, DeliveryChannel, DeliveryStatus
from determinations.services.delivery import DeliveryError, resend_delivery, send_delivery
from determinations.services.letters import issue_letter
from determinations.tasks import SEND_RETRY_BACKOFF_MAX, send_delivery_task
from tests.determinations.letters_support import (
    REVIEWER_FIRST_NAME,
    REVIEWER_LAST_NAME,
    approved_seed_determination,
    body_text,
)
from tests.factories import UserFactory

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
    assert len(callbacks) == emails.count() == len(SEED_ADDRESSES)
    assert smtp_server.messages == []
    for callback in callbacks:
        callback()
    assert {d.status for d in emails.all()} == {DeliveryStatus.SENT}
    assert len(smtp_server.messages) == len(SEED_ADDRESSES)


def test_running_the_task_again_never_sends_twice(smtp_server, django_capture_on_commit_callbacks):
    _, letter = _issue(django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 4
    for delivery in letter.deliveries.all():
        send_delivery_task.delay(delivery.pk)
        send_delivery(delivery_id=delivery.pk)
    assert len(smtp_server.messages) == 4
    assert set(letter.deliveries.values_list("attempts", flat=True)) == {1}


@pytest.fixture
def eager_retries(monkeypatch):
    """Let Celery's eager mode run the retries itself instead of raising Retry to the caller."""
    from imr_site.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


def test_a_refused_first_attempt_is_retried_and_sent_once(smtp_server, eager_retries):
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)  # sends not run: no on-commit here
    delivery = letter.deliveries.get(recipient_role="employee")
    smtp_server.fail_next = 1
    result = send_delivery_task.delay(delivery.pk)
    assert result.successful()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    assert [m["rcpt_tos"] for m in smtp_server.messages] == [[delivery.address]]


def test_a_failing_server_records_the_error_and_retries_with_backoff(smtp_server, eager_retries):
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employer")
    smtp_server.fail_next = 100
    result = send_delivery_task.delay(delivery.pk)
    assert result.failed() and isinstance(result.result, smtplib.SMTPException)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "451" in delivery.last_error
    assert delivery.attempts == 1 + send_delivery_task.max_retries
    assert smtp_server.messages == []
    assert (
        send_delivery_task.retry_backoff
        and (settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]) > SEND_RETRY_BACKOFF_MAX
    )
    assert set(send_delivery_task.autoretry_for) == {smtplib.SMTPException, OSError}


def test_post_deliveries_are_not_emailed(smtp_server):
    determination = approved_seed_determination()
    determination.case.parties.filter(role="employer").update(email="", mailing_address="1 Plant Rd")
    letter = issue_letter(determination_id=determination.pk)
    delivery = letter.deliveries.get(recipient_role="employer")
    assert delivery.channel == DeliveryChannel.POST
    with pytest.raises(DeliveryError, match="by post"):
        send_delivery(delivery_id=delivery.pk)
    assert smtp_server.messages == []


def test_resend_is_a_new_logged_delivery(smtp_server, eager_retries, django_capture_on_commit_callbacks):
    staff = UserFactory()
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    original = letter.deliveries.get(recipient_role="requesting_provider")
    with pytest.raises(DeliveryError, match="pending"):
        resend_delivery(delivery_id=original.pk, by=staff, reason="try")
    smtp_server.fail_next = 100
    assert send_delivery_task.delay(original.pk).failed()
    smtp_server.clear()
    with pytest.raises(DeliveryError, match="why"):
        resend_delivery(delivery_id=original.pk, by=staff, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        resend = resend_delivery(delivery_id=original.pk, by=staff, reason="Provider fixed their mail server")
    resend.refresh_from_db()
    original.refresh_from_db()
    assert resend.resend_of_id == original.pk and resend.status == DeliveryStatus.SENT
    assert original.status == DeliveryStatus.FAILED
    assert [m["rcpt_tos"] for m in smtp_server.messages] == [[original.address]]
    event = CaseEvent.objects.get(case=determination.case, kind=CaseEvent.Kind.LETTER_RESENT)
    assert event.actor == staff and event.data["resend_of"] == original.pk
    assert Delivery.objects.filter(letter=letter).count() == 5
