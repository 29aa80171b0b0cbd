"""The invoice as a PDF (WeasyPrint, the letter's stylesheet and restrictive URL fetcher) and as CSV.

Pure rendering: reads the stored invoice and its lines, writes nothing.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.template.loader import render_to_string

from billing.models import Invoice, InvoiceLine
from billing.months import month_label
from core.dates import us_date

INVOICE_TEMPLATE = "billing/invoice_pdf.html"
CSV_COLUMNS = [
    "invoice_number",
    "case_number",
    "claim_number",
    "application_received",
    "priority",
    "outcome",
    "outcome_on",
    "pharmacy_only",
    "ended_before_reviewer",
    "fee_basis",
    "fee_usd",
]


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("position"))


def render_invoice_html(*, invoice: Invoice) -> str:
    return render_to_string(
        INVOICE_TEMPLATE,
        {
            "invoice": invoice,
            "imro_name": settings.IMRO_NAME,
            "imro_address": getattr(settings, "IMRO_ADDRESS", ""),
            "month": month_label(invoice.period),
            "issued_on": us_date(invoice.issued_on),
            "lines": [
                {
                    "line": line,
                    "received_on": us_date(line.received_on),
                    "outcome": line.outcome_label,
                    "outcome_on": us_date(line.outcome_on),
                }
                for line in _lines(invoice)
            ],
        },
    )


def render_invoice_pdf(*, invoice: Invoice) -> bytes:
    """The invoice PDF, laid out with the letter's fonts and stylesheet; it may load nothing but
    the letter's own assets (determinations.letters.letter_url_fetcher)."""
    from determinations.letters import html_to_pdf

    return html_to_pdf(html=render_invoice_html(invoice=invoice))


def csv_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_invoice_csv(*, invoice: Invoice) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in _lines(invoice):
        writer.writerow(
            [
                csv_safe(value)
                for value in (
                    invoice.number,
                    line.case_number,
                    line.claim_number,
                    line.received_on.isoformat(),
                    line.priority,
                    line.outcome,
                    line.outcome_on.isoformat(),
                    "yes" if line.pharmacy_only else "no",
                    "yes" if line.ended_before_reviewer else "no",
                    line.fee_basis,
                    line.fee_usd,
                )
            ]
        )
    writer.writerow(
        [csv_safe(v) for v in (invoice.number, "TOTAL", "", "", "", "", "", "", "", "", invoice.total_usd)]
    )
    return out.getvalue()


def invoice_filename(*, invoice: Invoice, extension: str) -> str:
    return f"IMR-Invoice-{invoice.number}.{extension}"
