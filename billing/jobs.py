"""The billing app's outbox jobs (`core.outbox`): registered from `BillingConfig.ready()`."""

from __future__ import annotations

from core import outbox

RENDER_INVOICE = "billing.render_invoice"
SEND_INVOICE = "billing.send_invoice"


@outbox.register(RENDER_INVOICE, queue="letters")
def render_invoice(*, invoice_id: int) -> None:
    """Store the PDF of an issued invoice once, then hand its email to the send job."""
    from billing.services.invoicing import store_invoice_pdf

    store_invoice_pdf(invoice_id=invoice_id)


@outbox.register(SEND_INVOICE, queue="email")
def send_invoice(*, delivery_id: int) -> None:
    """Email an invoice to its claims administrator; one already sent is never sent again."""
    from billing.services.delivery import send_invoice_delivery

    send_invoice_delivery(delivery_id=delivery_id)
