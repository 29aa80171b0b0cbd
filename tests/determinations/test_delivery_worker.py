"""End to end through the REAL Celery worker, Redis and PostgreSQL, to a REAL SMTP server.

QA approval writes an issue-letter outbox job; here two such jobs are written and each is
handed to the workers twice, as a redelivered message or a double click would be. Bad inputs
tried: the duplicate issue jobs, and a duplicate send job for every delivery after they
were sent. Exactly one letter and one email per
recipient must result.
"""

from __future__ import annotations

import hashlib
import socket
from collections import Counter

import pytest

from determinations.jobs import ISSUE_LETTER, SEND_DELIVERY
from determinations.models import Delivery, DeliveryStatus, Letter
from imr_site.celery import app as celery_app
from tests.conftest import wait_for, worker_queues
from tests.determinations.letters_support import approved_seed_determination
from tests.outbox_support import enqueue_twice


def _worker_idle(queue: str) -> bool:
    node = f"{queue}@{socket.gethostname()}"
    inspector = celery_app.control.inspect(destination=[node], timeout=1.0)
    active = (inspector.active() or {}).get(node)
    reserved = (inspector.reserved() or {}).get(node)
    scheduled = (inspector.scheduled() or {}).get(node)
    if active is None or reserved is None or scheduled is None:
        return False
    with celery_app.connection_for_write() as connection:
        waiting = sum(connection.default_channel.client.llen(name) for name in worker_queues(queue))
    return not active and not reserved and not scheduled and waiting == 0


@pytest.mark.django_db(transaction=True)
def test_issue_and_deliver_through_the_worker_exactly_once(postgres, celery_worker, smtp_server):
    determination = approved_seed_determination()
    case_number = determination.case.case_number
    enqueue_twice(ISSUE_LETTER, determination_id=determination.pk)
    enqueue_twice(ISSUE_LETTER, determination_id=determination.pk)

    wait_for(lambda: len(smtp_server.messages) >= 4, timeout=60, what="four emails")
    wait_for(
        lambda: (
            Delivery.objects.filter(letter__determination=determination, status=DeliveryStatus.SENT).count()
            == 4
        ),
        timeout=30,
        what="four deliveries marked sent",
    )
    for delivery in Delivery.objects.filter(letter__determination=determination):
        enqueue_twice(SEND_DELIVERY, delivery_id=delivery.pk)
    wait_for(lambda: _worker_idle(celery_worker), timeout=30, what="the worker to finish every task")

    letter = Letter.objects.get(determination=determination)
    recipients = Counter(r for m in smtp_server.messages for r in m["rcpt_tos"])
    assert recipients == Counter(
        {
            "maria.example@example.org": 1,
            "hr@centralvalley.example.com": 1,
            "ur-desk@goldenstateclaims.example.com": 1,
            "office@treating-pain.example.com": 1,
        }
    )
    for entry in smtp_server.messages:
        message = entry["message"]
        assert case_number in message["Subject"]
        pdfs = [
            p.get_payload(decode=True) for p in message.walk() if p.get_content_type() == "application/pdf"
        ]
        assert len(pdfs) == 1 and hashlib.sha256(pdfs[0]).hexdigest() == letter.sha256
    assert set(Delivery.objects.filter(letter=letter).values_list("attempts", flat=True)) == {1}
    determination.refresh_from_db()
    assert determination.mailed_on is not None
