"""Case records for the reviewer's split-view tests (not collected: no test_ prefix).

Each record is a real PDF with text on every page, written by WeasyPrint (as the demo's
documents are), and added through the staff upload service, so it carries its real page count.
"""

from __future__ import annotations

from datetime import date
from html import escape

from django.core.files.base import ContentFile

from cases.models import Case, Document, DocumentKind
from cases.services.documents import add_document

# (kind, title, pages): a small set in the order they were received.
RECORDS = [
    (DocumentKind.IMR_APPLICATION, "IMR application (DWC Form IMR)", 2),
    (DocumentKind.UR_DECISION, "UR denial letter, Golden State Claims", 1),
    (DocumentKind.MEDICAL_RECORD, "Progress notes, Dr. Alan Treating, 2015", 3),
]


def record_pdf(*, case: Case, title: str, pages: int) -> bytes:
    from weasyprint import HTML

    sheets = "".join(
        f"<section class='p'><h1>{escape(title)}</h1><p>Case {escape(case.case_number)}, page {n} of {pages}."
        "</p><p>Lumbar pain radiating to the right leg; trigger points noted.</p></section>"
        for n in range(1, pages + 1)
    )
    html = (
        "<html><head><style>@page{size:letter;margin:2cm} body{font-family:'DejaVu Sans',sans-serif}"
        " .p{break-after:page} h1{font-size:16pt}</style></head><body>" + sheets + "</body></html>"
    )
    return HTML(string=html).write_pdf()


def add_records(case: Case, records=RECORDS, *, by=None) -> list[Document]:
    return [
        add_document(
            case=case,
            uploaded_file=ContentFile(record_pdf(case=case, title=title, pages=pages), name="record.pdf"),
            kind=kind,
            title=title,
            received_on=date(2016, 1, 5 + position),
            by=by,
        )
        for position, (kind, title, pages) in enumerate(records)
    ]
