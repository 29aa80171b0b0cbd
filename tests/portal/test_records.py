"""Records submitted in the browser by an organization's user: several PDFs with kind and dates,
the receipt page and email (page counts, SHA-256), late uploads, declaring the records complete
(the case moves on through the workflow service), staff's flag and queue.

Bad inputs tried: a non-PDF among good files (nothing written), an oversized PDF, a file already
on the case, the same file twice in one upload, no file, a file without kind or dates, dates the
wrong way round, declaring complete without a medical record, by a provider's office, twice."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Case, CaseStatus, Document
from core import clock
from portal.models import OrganizationKind, RecordSubmission, SubmittedRecord
from tests.cases.pdfs import PNG_BYTES, make_pdf_bytes, upload
from tests.portal.support import awaiting_records_case, link, member, organization
from tests.second_factor import SecondFactorClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organization(email="records@gsc.example.com")


@pytest.fixture
def case(org, staff):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    return case


@pytest.fixture
def adjuster(org):
    return member(org)


@pytest.fixture
def adjuster_client(adjuster):
    client = SecondFactorClient()
    client.force_login(adjuster)
    return client


def page_token(client, case) -> str:
    page = client.get(reverse("portal:case", args=[case.case_number])).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def form_post(client, case, rows, *, email="", token=None):
    """What the browser sends: the page's form token, the management form, one row per file."""
    token = token or page_token(client, case)
    data = {
        "form_token": token,
        "records-TOTAL_FORMS": "5",
        "records-INITIAL_FORMS": "0",
        "records-MIN_NUM_FORMS": "0",
        "records-MAX_NUM_FORMS": "5",
        "receipt-email": email,
    }
    for index in range(5):
        row = rows[index] if index < len(rows) else {}
        data[f"records-{index}-kind"] = row.get("kind", "")
        data[f"records-{index}-date_from"] = row.get("date_from", "")
        data[f"records-{index}-date_to"] = row.get("date_to", "")
        if "file" in row:
            data[f"records-{index}-file"] = row["file"]
    return client.post(reverse("portal:case", args=[case.case_number]), data)


def row(content, name="notes.pdf", kind="medical_records", date_from="2015-01-05", date_to="2015-02-20"):
    return {"file": upload(content, name=name), "kind": kind, "date_from": date_from, "date_to": date_to}


def test_two_records_give_a_receipt_page_and_email(adjuster_client, case, django_capture_on_commit_callbacks):
    first, second = make_pdf_bytes(pages=3, label="office notes"), make_pdf_bytes(pages=1, label="mri")
    with django_capture_on_commit_callbacks(execute=True):
        response = form_post(
            adjuster_client,
            case,
            [row(first, "notes.pdf"), row(second, "mri.pdf", kind="imaging")],
            email="me@gsc.example.com",
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    receipt = adjuster_client.get(response.url).content.decode()
    for content, pages in ((first, 3), (second, 1)):
        sha256 = hashlib.sha256(content).hexdigest()
        assert re.search(rf"<td>{pages}</td><td><code[^>]*>{sha256}</code>", receipt)
    assert "notes.pdf" in receipt and "mri.pdf" in receipt and "on time" in receipt
    assert Document.objects.filter(case=case).count() == 2
    (message,) = mail.outbox
    assert message.to == ["me@gsc.example.com"] and case.case_number in message.subject
    assert "3 page(s)" in message.body and hashlib.sha256(second).hexdigest() in message.body
    # A replayed receipt job sends nothing more.
    from portal.services.records import send_receipt

    assert send_receipt(submission_id=RecordSubmission.objects.get().pk) == 0
    assert len(mail.outbox) == 1
    assert AccessLogEntry.objects.filter(case=case, action=AccessAction.CHANGE, user__isnull=False).exists()


def test_a_non_pdf_among_good_files_writes_nothing(adjuster_client, case):
    response = form_post(
        adjuster_client, case, [row(make_pdf_bytes(label="good")), row(PNG_BYTES, "scan.png")]
    )
    assert response.status_code == 400
    assert "scan.png: This file is not a PDF" in response.content.decode()
    refused = AccessLogEntry.objects.get(case=case, action=AccessAction.REFUSED)
    assert refused.status_code == 400 and "scan.png: This file is not a PDF" in refused.object_repr
    assert Document.objects.count() == 0 and SubmittedRecord.objects.count() == 0


def test_an_oversized_pdf_is_refused(adjuster_client, case, settings):
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    response = form_post(adjuster_client, case, [row(make_pdf_bytes(padding=1024 * 1024 + 10), "big.pdf")])
    assert response.status_code == 400
    assert "documents may be at most 1 MB" in response.content.decode()
    assert Document.objects.count() == 0


def test_a_duplicate_is_refused_on_the_case_and_within_one_upload(adjuster_client, case):
    content = make_pdf_bytes(label="only once")
    assert form_post(adjuster_client, case, [row(content)]).status_code == 302
    response = form_post(adjuster_client, case, [row(content, "again.pdf")])
    assert response.status_code == 400 and "already on case" in response.content.decode()
    twice = make_pdf_bytes(label="twice")
    response = form_post(adjuster_client, case, [row(twice, "a.pdf"), row(twice, "b.pdf")])
    assert response.status_code == 400 and "b.pdf is the same file as a.pdf" in response.content.decode()
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "Choose at least one PDF file"),
        ([{**row(make_pdf_bytes()), "kind": ""}], "Choose the kind of record."),
        ([{**row(make_pdf_bytes()), "date_to": ""}], "Give the last date the records cover."),
        (
            [row(make_pdf_bytes(), date_from="2015-03-01", date_to="2015-02-01")],
            "first date is after their last date",
        ),
    ],
)
def test_form_errors(adjuster_client, case, rows, message):
    response = form_post(adjuster_client, case, rows)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Document.objects.count() == 0


def test_an_upload_after_the_due_date_is_marked_late_with_days_and_penalty(
    adjuster_client, adjuster, case, time_machine, staff
):
    time_machine.move_to(clock.now() + timedelta(days=16))
    adjuster_client.force_login(adjuster)  # the session of 16 days ago ended long since
    due = Case.objects.get(pk=case.pk).records_due
    response = form_post(adjuster_client, case, [row(make_pdf_bytes(label="late"))])
    assert response.status_code == 302
    record = SubmittedRecord.objects.get()
    days = (clock.today() - due).days
    assert record.late and record.days_late == days > 0 and record.penalty_usd == min(days * 500, 5000)
    assert f"{days} day" in adjuster_client.get(response.url).content.decode()


def test_the_claims_administrator_declares_the_records_complete_and_the_case_moves_on(adjuster_client, case):
    blocked = adjuster_client.post(reverse("portal:declare_complete", args=[case.case_number]), follow=True)
    assert "Add at least one medical record" in blocked.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_RECORDS
    form_post(adjuster_client, case, [row(make_pdf_bytes(label="records"))])
    done = adjuster_client.post(reverse("portal:declare_complete", args=[case.case_number]), follow=True)
    assert "Records declared complete" in done.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.READY_FOR_ASSIGNMENT and case.records_complete_on == clock.today()
    event = case.events.order_by("-id").first()
    assert event.to_status == CaseStatus.READY_FOR_ASSIGNMENT and event.actor.username == "adjuster1"
    again = adjuster_client.post(reverse("portal:declare_complete", args=[case.case_number]), follow=True)
    assert "not waiting for records" in again.content.decode()


def test_a_providers_office_cannot_declare_the_records_complete(case, staff):
    office = organization(name="Treating Pain Office", kind=OrganizationKind.PROVIDER_OFFICE)
    link(office, case, staff)
    client = SecondFactorClient()
    client.force_login(member(office, username="frontdesk"))
    page = client.get(reverse("portal:case", args=[case.case_number])).content.decode()
    assert "Declare the records complete" not in page
    response = client.post(reverse("portal:declare_complete", args=[case.case_number]), follow=True)
    assert "Only the claims administrator" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_RECORDS


def test_staff_see_new_records_flagged_on_the_case_and_in_a_queue(adjuster_client, case, staff_client):
    form_post(
        adjuster_client,
        case,
        [row(make_pdf_bytes(label="a"), "a.pdf"), row(make_pdf_bytes(label="b"), "b.pdf")],
    )
    page = staff_client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert "2 new records from the parties not yet seen by staff" in page
    queue = staff_client.get(reverse("portal:staff_new_records")).content.decode()
    assert case.case_number in queue and "Golden State Claims Services" in queue
    response = staff_client.post(reverse("portal:staff_case_records", args=[case.case_number]))
    assert response.status_code == 302
    assert not SubmittedRecord.objects.filter(seen_at__isnull=True).exists()
    assert (
        "new records from the parties"
        not in staff_client.get(reverse("cases:case", args=[case.pk])).content.decode()
    )
    assert case.case_number not in staff_client.get(reverse("portal:staff_new_records")).content.decode()


def test_the_new_records_queue_reads_a_fixed_number_of_queries(
    adjuster_client, case, staff_client, django_assert_max_num_queries
):
    form_post(adjuster_client, case, [row(make_pdf_bytes(label=str(n)), f"{n}.pdf") for n in range(4)])
    with django_assert_max_num_queries(12):
        assert staff_client.get(reverse("portal:staff_new_records")).status_code == 200


def test_a_case_that_takes_no_more_records_refuses_the_upload(adjuster_client, case, staff):
    from cases.services import case_actions

    token = page_token(adjuster_client, case)  # the page was open before the case was withdrawn
    case_actions.withdraw(case_id=case.pk, by=staff, reason="withdrawn by the employee")
    response = form_post(adjuster_client, case, [row(make_pdf_bytes(label="too late"))], token=token)
    assert response.status_code == 400
    assert "takes no more records" in response.content.decode()
    assert Document.objects.count() == 0
