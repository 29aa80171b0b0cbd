"""Uploads: a PDF that runs JavaScript, launches a program or carries a file is refused
(no override: the staff member prints it to a clean PDF), whether the names are plain,
escaped (`/J#61vaScript`) or compressed inside an object stream. Documents are served in a
sandbox (`Content-Security-Policy: sandbox`) with `X-Content-Type-Options: nosniff`.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from cases.errors import CaseError
from cases.models import CaseEvent, Document, DocumentKind
from cases.services.documents import add_document
from imr_site import roles
from tests.cases.pdfs import (
    make_pdf_bytes,
    make_pdf_with_embedded_file,
    make_pdf_with_javascript,
    make_pdf_with_javascript_in_object_stream,
    make_pdf_with_launch_action,
    upload,
)
from tests.factories import CaseFactory, UserFactory
from tests.forms_helpers import post_form

pytestmark = pytest.mark.django_db


def _add(case, content: bytes):
    return add_document(
        case=case,
        uploaded_file=upload(content),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Progress notes",
        received_on=date(2026, 3, 2),
        by=None,
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (make_pdf_with_javascript, "This PDF contains JavaScript (/JS, /JavaScript)"),
        (make_pdf_with_javascript_in_object_stream, "This PDF contains JavaScript (/JS, /JavaScript)"),
        (make_pdf_with_launch_action, "a launch action (it starts a program) (/Launch)"),
        (make_pdf_with_embedded_file, "(/EmbeddedFile, /EmbeddedFiles)"),
    ],
)
def test_pdfs_with_active_content_are_refused_and_nothing_is_written(make, expected):
    case = CaseFactory()
    content = make()
    with pytest.raises(CaseError) as refused:
        _add(case, content)
    assert expected in refused.value.message
    assert "Print it to a new PDF" in refused.value.message
    assert refused.value.field == "file"
    assert not Document.objects.exists()
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.DOCUMENT_ADDED).exists()


def test_the_object_stream_pdf_is_a_real_pdf_that_hides_its_names_from_a_byte_search():
    content = make_pdf_with_javascript_in_object_stream()
    assert b"JavaScript" not in content and b"/JS " not in content
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(content))
    assert len(reader.pages) == 1
    assert reader.trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"


def test_a_plain_pdf_is_still_accepted():
    document = _add(CaseFactory(), make_pdf_bytes(pages=1, label="clean"))
    assert document.pages == 1


def test_the_admin_upload_shows_the_refusal(staff_client):
    case = CaseFactory()
    response = post_form(
        staff_client,
        reverse("admin:cases_document_add"),
        {
            "case": case.pk,
            "kind": DocumentKind.MEDICAL_RECORD,
            "title": "Progress notes",
            "received_on": "2026-03-02",
            "upload": upload(make_pdf_with_javascript()),
        },
    )
    assert response.status_code == 200
    assert "This PDF contains JavaScript" in response.content.decode()
    assert not Document.objects.exists()


def test_documents_are_served_sandboxed_and_not_sniffed(client):
    case = CaseFactory()
    document = _add(case, make_pdf_bytes(pages=1, label="served"))
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    response = client.get(reverse("documents:document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    b"".join(response.streaming_content)
