"""Every kind of CaseEvent has a human label, and timelines show labels, never codes.

Bad inputs tried: an event kind written as a free string anywhere in the project's code (the
source scan below refuses it), a stored kind from before a kind was listed (made readable).
"""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from cases.models import CaseEvent, CaseEventKind, CaseStatus, DocumentKind
from cases.services.documents import add_document
from cases.services.workflow import record_case_event, transition_case
from cases.templatetags.case_tags import event_kind
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.determinations.review_support import case_for_review
from tests.factories import UserFactory, make_seed_like_case

ROOT = Path(__file__).resolve().parents[2]
APPS = ("cases", "reviewers", "determinations", "exchange", "imr_site")
EVENT_WRITERS = {"record_case_event", "CaseEvent", "create"}


@pytest.mark.parametrize("kind", list(CaseEventKind), ids=lambda kind: kind.value)
def test_every_kind_has_a_label_that_is_not_its_code(kind):
    label = str(kind.label)
    assert label != kind.value
    assert "_" not in label and label[0].isupper()
    assert event_kind(kind.value) == label


def test_a_kind_not_listed_is_still_made_readable():
    assert event_kind("something_old") == "Something old"


def _kind_arguments() -> list[tuple[str, int, ast.expr]]:
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name not in EVENT_WRITERS:
                    continue
                found += [(str(path), node.lineno, kw.value) for kw in node.keywords if kw.arg == "kind"]
    return found


def test_events_are_written_with_the_enum_never_a_free_string():
    """No `kind="..."` string is given to record_case_event, CaseEvent(...) or any `.create(...)`.

    (`.create` matches documents and affiliations too, which also write their kinds from
    their own TextChoices.)
    """
    arguments = _kind_arguments()
    assert len(arguments) >= 15
    for path, line, value in arguments:
        is_string = isinstance(value, ast.Constant) and isinstance(value.value, str)
        assert not is_string, f"{path}:{line}: a free string kind={value.value!r}; use CaseEventKind"
        for node in ast.walk(value):
            named = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if named and node.value.id == "CaseEventKind":
                assert node.attr in CaseEventKind.names, f"{path}:{line}: {node.attr}"


@pytest.fixture
def case_with_events():
    case = make_seed_like_case(status=CaseStatus.AWAITING_RECORDS)
    staff = UserFactory(role=roles.INTAKE_STAFF)
    add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes()),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Progress notes",
        received_on=date(2015, 3, 2),
        by=staff,
    )
    return case, staff


@pytest.mark.django_db
def test_staff_case_page_shows_labels_not_codes(client, case_with_events, monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)
    case, staff = case_with_events
    transition_case(case_id=case.pk, to=CaseStatus.READY_FOR_ASSIGNMENT, by=staff, reason="Records complete")
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.DOCUMENT_ADDED).exists()
    client.force_login(staff)
    body = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    timeline = body[body.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "Document added" in timeline
    assert "document_added" not in timeline
    assert "Awaiting records → Ready for assignment" in timeline
    assert "ready_for_assignment" not in timeline and "awaiting_records" not in timeline


@pytest.mark.django_db
def test_reviewer_case_file_shows_labels_not_codes(client):
    case, assignment = case_for_review()
    record_case_event(case=case, by=None, kind=CaseEventKind.DOCUMENT_ADDED, reason="")
    client.force_login(assignment.reviewer.user)
    response = client.get(reverse("review:case_file", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Document added" in body
    assert "document_added" not in body


@pytest.mark.django_db
def test_admin_shows_labels_not_codes(client, case_with_events):
    case, _staff = case_with_events
    admin_user = UserFactory(role=roles.ADMINISTRATOR)
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    listing = client.get(reverse("admin:cases_caseevent_changelist")).content.decode()
    assert "Document added" in listing
    assert ">document_added<" not in listing
    change_page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Document added" in change_page
