"""Through the REAL Celery worker, Redis and PostgreSQL, to a REAL SMTP server (aiosmtpd).

The month is invoiced twice (the command, then the beat task), and every render and send job is
handed to the workers twice more (a redelivered message): one invoice, one email per claims
administrator, with the same PDF the database records.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter

import pytest
from django.core.management import call_command

from billing.jobs import RENDER_INVOICE, SEND_INVOICE
from billing.models import Invoice, InvoiceDelivery
from billing.months import previous_month
from billing.tasks import invoice_previous_month
from core import clock
from core.models import OutboxJob, OutboxState
from tests.billing.support import billed_case
from tests.conftest import wait_for
from tests.outbox_support import enqueue_twice


@pytest.mark.django_db(transaction=True)
def test_invoices_are_rendered_and_emailed_once_through_the_worker(postgres, celery_worker, smtp_server):
    month = previous_month(clock.today())
    for name, email in (
        ("Golden State Claims Services", "ar@golden.example.com"),
        ("Pacific", "ap@pacific.example.com"),
    ):
        for day in (3, 4):
            billed_case(
                received_on=previous_month(month),
                outcome="withdrawn",
                outcome_on=month.replace(day=day),
                claims_administrator=name,
                email=email,
            )
    call_command("invoice_month", f"{month:%Y-%m}", stdout=io.StringIO())
    assert invoice_previous_month.apply().get() == {"month": f"{month:%Y-%m}", "invoices": 0, "cases": 0}

    wait_for(
        lambda: InvoiceDelivery.objects.filter(status="sent").count() == 2,
        timeout=60,
        what="two invoices sent",
    )
    for invoice in Invoice.objects.all():
        enqueue_twice(RENDER_INVOICE, invoice_id=invoice.pk)
        enqueue_twice(SEND_INVOICE, delivery_id=invoice.delivery.pk)
    wait_for(
        lambda: not OutboxJob.objects.filter(state__in=[OutboxState.PENDING, OutboxState.RUNNING]).exists(),
        timeout=60,
        what="every job worked",
    )
    assert Counter(r for m in smtp_server.messages for r in m["rcpt_tos"]) == Counter(
        {"ar@golden.example.com": 1, "ap@pacific.example.com": 1}
    )
    by_address = {m["rcpt_tos"][0]: m["message"] for m in smtp_server.messages}
    for invoice in Invoice.objects.select_related("delivery"):
        message = by_address[invoice.bill_to_email]
        pdf = next(
            p.get_payload(decode=True) for p in message.walk() if p.get_content_type() == "application/pdf"
        )
        assert hashlib.sha256(pdf).hexdigest() == invoice.sha256
        assert (invoice.line_count, invoice.total_usd, invoice.delivery.attempts) == (2, 230, 1)
