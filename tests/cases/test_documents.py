"""Document upload (service and admin forms) and the access-checked document view.

Bad inputs tried: a text file renamed .pdf, a PNG image named .pdf, a PDF cut in half, a
file starting with %PDF- but otherwise garbage, an empty file, a file over the size limit
(setting lowered), the same PDF twice on one case, a future and a year-1 "received" date, an unknown
kind; for the view: an anonymous user, a reviewer not assigned to the case, a reviewer whose
assignment ended, a document id that does not exist, a POST.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from cases.errors import CaseError
from cases.models import AccessAction, AccessLogEntry, CaseEvent, Document, DocumentKind
from cases.services.documents import add_document
from imr_site import roles
from reviewers.models import Assignment, AssignmentStatus
from tests.cases.pdfs import PNG_BYTES, make_pdf_bytes, upload
from tests.factories import CaseFactory, ReviewerFactory, UserFactory, make_seed_like_case
from tests.forms_helpers import post_form

pytestmark = pytest.mark.django_db

RECEIVED = date(2026, 3, 2)


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _add(case, content: bytes, *, by=None, name="record.pdf", **fields):
    return add_document(
        case=case,
        uploaded_file=upload(content, name=name),
        kind=fields.get("kind", DocumentKind.MEDICAL_RECORD),
        title=fields.get("title", "Dr. Alan Treating: progress notes 1/2026-2/2026"),
        received_on=fields.get("received_on", RECEIVED),
        by=by,
    )


def test_upload_records_hash_size_and_pages_and_stores_privately():
    case = CaseFactory()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    content = make_pdf_bytes(pages=3)

    document = _add(case, content, by=staff)

    document.refresh_from_db()
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.pages == 3
    assert document.uploaded_by == staff
    path = Path(document.file.path).resolve()
    assert path.read_bytes() == content
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    static_roots = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]
    assert not any(path.is_relative_to(root.resolve()) for root in static_roots)
    # The stored name carries no part of the uploaded name (which may hold PHI).
    assert "record" not in path.name
    assert not settings.MEDIA_URL
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.DOCUMENT_ADDED)
    assert event.data["document_id"] == document.pk
    assert event.actor == staff


def _cut_in_half() -> bytes:
    content = make_pdf_bytes(pages=2, label="cut")
    return content[: len(content) // 2]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Progress notes, typed as plain text and renamed.\n" * 20, "not a PDF"),
        (PNG_BYTES, "not a PDF"),
        (_cut_in_half(), "incomplete"),
        (b"%PDF-1.7\n" + b"garbage " * 200 + b"\n%%EOF\n", "damaged"),
        (b"", "empty"),
    ],
    ids=["text-renamed-pdf", "png", "truncated-pdf", "pdf-header-garbage", "empty"],
)
def test_bad_files_are_refused_and_nothing_is_written(content, expected):
    case = CaseFactory()

    with pytest.raises(CaseError, match=expected):
        _add(case, content)

    assert Document.objects.count() == 0
    assert media_files() == []
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.DOCUMENT_ADDED).exists()


def test_oversize_file_is_refused_naming_the_limit(settings):
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    case = CaseFactory()
    content = make_pdf_bytes(pages=1, padding=1_200_000)
    assert len(content) > 1024 * 1024

    with pytest.raises(CaseError, match="at most 1 MB"):
        _add(case, content)

    assert Document.objects.count() == 0
    assert media_files() == []


def test_same_file_twice_on_a_case_is_refused_clearly():
    case = CaseFactory()
    content = make_pdf_bytes(label="twice")
    _add(case, content, title="UR decision letter")

    with pytest.raises(CaseError, match=r"already on case CM15-\d{7} as “UR decision letter”"):
        _add(case, content, name="copy.pdf", title="Same file again")

    assert Document.objects.filter(case=case).count() == 1
    # The same file on another case is a different document.
    assert _add(CaseFactory(), content).pk


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"received_on": date.today() + timedelta(days=2)}, "future"),
        ({"received_on": date(1, 1, 1)}, "before 1900-01-01"),
        ({"kind": "x-ray"}, "Unknown kind"),
        ({"title": "   "}, "title"),
    ],
)
def test_bad_fields_are_refused(fields, expected):
    with pytest.raises(CaseError, match=expected):
        _add(CaseFactory(), make_pdf_bytes(), **fields)
    assert media_files() == []


# ---- The admin forms --------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    user = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(user)
    client.user = user
    return client


def test_admin_document_add_form_uploads_through_the_service(staff_client):
    case = CaseFactory()
    content = make_pdf_bytes(pages=2, label="admin add")
    response = post_form(
        staff_client,
        reverse("admin:cases_document_add"),
        {
            "case": case.pk,
            "kind": DocumentKind.UR_DECISION,
            "title": "UR decision 2/6/2026",
            "received_on": "2026-03-02",
            "upload": upload(content),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    document = Document.objects.get(case=case)
    assert document.pages == 2
    assert document.uploaded_by == staff_client.user


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PNG_BYTES, "not a PDF"), (_cut_in_half(), "incomplete")],
    ids=["png", "truncated"],
)
def test_admin_document_add_form_shows_the_error_and_writes_nothing(staff_client, content, expected):
    case = CaseFactory()
    response = post_form(
        staff_client,
        reverse("admin:cases_document_add"),
        {
            "case": case.pk,
            "kind": DocumentKind.MEDICAL_RECORD,
            "title": "Scan",
            "received_on": "2026-03-02",
            "upload": upload(content, name="scan.pdf"),
        },
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert Document.objects.count() == 0
    assert media_files() == []


def _case_change_post(case, **upload_fields) -> dict:
    """The case change form as the browser posts it, with one document upload row."""
    data = {
        "received_on": case.received_on.isoformat(),
        "signed": "on",
        "ur_decision_attached": "on",
        "injury_date": case.injury_date.isoformat(),
        "body_parts": '["right hip", "back"]',
        "diagnoses": '["chronic pain"]',
        "mechanism": "",
        "ur_decision_date": case.ur_decision_date.isoformat(),
        "ur_served_on": case.ur_served_on.isoformat(),
        "ur_service_method": case.ur_service_method,
        "ur_reviewer_name": case.ur_reviewer_name,
        "ur_organization": case.ur_organization,
        "ur_guidelines_cited": "",
    }
    for prefix, total in (("parties", 0), ("disputed_items", 0), ("documents", 0), ("events", 0)):
        data.update({f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": total})
    # The upload inline is the second inline on the Document model, hence "documents-2".
    data.update({"documents-2-TOTAL_FORMS": 1, "documents-2-INITIAL_FORMS": 0})
    data.update({f"documents-2-0-{key}": value for key, value in upload_fields.items()})
    return data


def test_case_change_form_uploads_a_document_inline(staff_client):
    case = CaseFactory(received_on=date(2015, 2, 27))
    content = make_pdf_bytes(pages=4, label="inline")
    data = _case_change_post(
        case,
        kind=DocumentKind.MEDICAL_RECORD,
        title="Records",
        received_on="2026-03-02",
        upload=upload(content),
    )
    response = post_form(staff_client, reverse("admin:cases_case_change", args=[case.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert case.documents.get().pages == 4


def test_case_change_form_with_a_bad_upload_saves_nothing(staff_client):
    """All-or-nothing: a bad file also keeps the case's own edits from being saved."""
    case = CaseFactory(received_on=date(2015, 2, 27), ur_reviewer_name="Dr. Uma Reviewer")
    data = _case_change_post(
        case,
        kind=DocumentKind.MEDICAL_RECORD,
        title="Photo",
        received_on="2026-03-02",
        upload=upload(PNG_BYTES),
    )
    data["ur_reviewer_name"] = "Changed Name"
    response = post_form(staff_client, reverse("admin:cases_case_change", args=[case.pk]), data)
    assert response.status_code == 200
    assert "not a PDF" in response.content.decode()
    case.refresh_from_db()
    assert case.ur_reviewer_name == "Dr. Uma Reviewer"
    assert Document.objects.count() == 0
    assert media_files() == []


# ---- The document view ------------------------------------------------------------------


@pytest.fixture
def stored_document():
    case = make_seed_like_case()
    content = make_pdf_bytes(pages=2, label="view")
    return _add(case, content, title="Progress notes"), content


def _assign(case, reviewer, *, active: bool = True) -> Assignment:
    return Assignment.objects.create(
        case=case,
        reviewer=reviewer,
        status=AssignmentStatus.ACCEPTED if active else AssignmentStatus.ENDED,
        active=active,
    )


def _body(response) -> bytes:
    # Reading the stream to its end makes the test client close the response (and the file).
    return b"".join(response.streaming_content)


def test_staff_open_the_pdf_inline_and_each_view_is_logged(client, stored_document):
    document, content = stored_document
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    url = reverse("documents:document", args=[document.pk])

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline")
        assert document.case.case_number in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"
        assert _body(response) == content

    entries = AccessLogEntry.objects.filter(user=staff, action=AccessAction.VIEW_DOCUMENT)
    assert entries.count() == 2
    assert {e.case_id for e in entries} == {document.case_id}
    assert entries.first().path == url


def test_assigned_reviewer_sees_it_other_reviewers_get_404(client, stored_document):
    document, content = stored_document
    assigned = ReviewerFactory()
    _assign(document.case, assigned)
    other = ReviewerFactory()
    former = ReviewerFactory()
    _assign(document.case, former, active=False)
    url = reverse("documents:document", args=[document.pk])

    client.force_login(assigned.user)
    response = client.get(url)
    assert response.status_code == 200
    assert _body(response) == content

    for outsider in (other, former):
        client.force_login(outsider.user)
        assert client.get(url).status_code == 404
    # Refused views are not logged as views.
    assert AccessLogEntry.objects.filter(action=AccessAction.VIEW_DOCUMENT).count() == 1
    assert AccessLogEntry.objects.get(action=AccessAction.VIEW_DOCUMENT).user == assigned.user


def test_unknown_document_is_404_like_a_forbidden_one(client, stored_document):
    document, _ = stored_document
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    assert client.get(reverse("documents:document", args=[document.pk + 1000])).status_code == 404
    assert client.post(reverse("documents:document", args=[document.pk])).status_code == 405


def test_anonymous_is_sent_to_login(client, stored_document):
    document, _ = stored_document
    url = reverse("documents:document", args=[document.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not AccessLogEntry.objects.exists()
