"""The case page as the workplace (issue 16 item 1): upload several PDFs, edit a party and its
address, add and remove treatments in dispute, on /cases/<id>/... with the admin's audit.

Bad inputs tried, each answered by a form error (400) and nothing written: a PNG named .pdf,
an empty file, a file over the size limit, a PDF cut short, the same PDF twice in one upload,
a PDF already on the case, a good and a bad file together (neither is added), no file at all,
a future date received; a ZIP code of 4 digits and of letters, an unknown state, an address with
a city but no street, a bad NPI, a bad email, a stale party page (someone saved in between), a
name change after the record lock (refused; the address is still corrected); an item with no
description, a formulary item that is not a pharmaceutical, a quantity of 0, adding or removing
after assignment, removing the last item, removing an item twice, a stale state. Permissions:
clinical QA and a reviewer are refused every page; anonymous users are sent to log in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from cases.errors import CaseError
from cases.models import (
    AccessAction,
    AccessLogEntry,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    DisputedItem,
    Document,
    ItemCategory,
    Party,
    PartyRole,
)
from cases.record_lock import CaseRecordFinalError
from cases.services import disputed_items, documents, parties
from cases.validators import split_address
from core.clock import today
from core.form_tokens import issue_token
from determinations.models import Determination, DeterminationStatus
from imr_site import roles
from tests.cases.pdfs import PNG_BYTES, make_pdf_bytes, upload
from tests.factories import ReviewerFactory, UserFactory, make_seed_like_case
from tests.second_factor import SECOND_FACTOR_QUERIES

S = CaseStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return make_seed_like_case()


def _employee(case) -> Party:
    return case.parties.get(role=PartyRole.EMPLOYEE)


def _lock_record(case) -> None:
    """The determination went to QA: the case's record is final (cases.record_lock)."""
    Determination.objects.create(case=case, status=DeterminationStatus.SUBMITTED, clinical_case_summary="s")


def _events(case, kind=CaseEventKind.EDITED_BY_STAFF):
    return list(CaseEvent.objects.filter(case=case, kind=kind).order_by("id"))


# ---- Services ----------------------------------------------------------------------------


def test_add_documents_adds_every_file_with_its_event(case, staff):
    added = documents.add_documents(
        case_id=case.pk,
        files=[
            documents.NewDocument(uploaded_file=upload(make_pdf_bytes(label="a"), "a.pdf"), title="A"),
            documents.NewDocument(uploaded_file=upload(make_pdf_bytes(label="b"), "b.pdf"), title="B"),
        ],
        kind="medical_record",
        received_on=today(),
        by=staff,
    )
    assert [d.title for d in added] == ["A", "B"]
    assert len(_events(case, CaseEventKind.DOCUMENT_ADDED)) == 2


def test_add_documents_is_all_or_nothing(case, staff):
    good = documents.NewDocument(uploaded_file=upload(make_pdf_bytes(label="good"), "good.pdf"), title="Good")
    bad = documents.NewDocument(uploaded_file=upload(PNG_BYTES, "scan.pdf"), title="Scan")
    with pytest.raises(documents.DocumentBatchError) as refused:
        documents.add_documents(
            case_id=case.pk, files=[good, bad], kind="medical_record", received_on=today(), by=staff
        )
    assert refused.value.problems[0][0] == "scan.pdf" and "not a PDF" in refused.value.problems[0][1]
    assert not Document.objects.filter(case=case).exists()
    assert not _events(case, CaseEventKind.DOCUMENT_ADDED)


def test_add_documents_refuses_the_same_file_twice_and_a_file_already_on_the_case(case, staff):
    content = make_pdf_bytes(label="twice")
    with pytest.raises(documents.DocumentBatchError, match=r"the same file as one\.pdf"):
        documents.add_documents(
            case_id=case.pk,
            files=[
                documents.NewDocument(uploaded_file=upload(content, "one.pdf"), title="One"),
                documents.NewDocument(uploaded_file=upload(content, "two.pdf"), title="Two"),
            ],
            kind="medical_record",
            received_on=today(),
            by=staff,
        )
    documents.add_documents(
        case_id=case.pk,
        files=[documents.NewDocument(uploaded_file=upload(content, "one.pdf"), title="One")],
        kind="medical_record",
        received_on=today(),
        by=staff,
    )
    with pytest.raises(documents.DocumentBatchError, match="already on case"):
        documents.add_documents(
            case_id=case.pk,
            files=[documents.NewDocument(uploaded_file=upload(content, "again.pdf"), title="Again")],
            kind="medical_record",
            received_on=today(),
            by=staff,
        )
    assert Document.objects.filter(case=case).count() == 1


def test_edit_party_saves_the_address_and_writes_the_admins_event(case, staff):
    employee = _employee(case)
    parties.edit_party(
        case_id=case.pk,
        party_id=employee.pk,
        changes={"mailing_address": "12 Elm Street\nSacramento, CA 95814"},
        version=parties.party_version(employee),
        by=staff,
    )
    employee.refresh_from_db()
    assert employee.mailing_address == "12 Elm Street\nSacramento, CA 95814"
    [event] = _events(case)
    assert event.actor == staff and event.data["changed"] == ["parties"]
    assert event.data["fields"] == ["mailing_address"] and "mailing address" in event.reason


def test_edit_party_refuses_a_stale_page_but_not_a_repeat(case, staff):
    employee = _employee(case)
    seen = parties.party_version(employee)
    parties.edit_party(
        case_id=case.pk, party_id=employee.pk, changes={"email": "new@example.org"}, version=seen, by=staff
    )
    # The same change sent again (a double click): nothing to refuse, nothing written.
    parties.edit_party(
        case_id=case.pk, party_id=employee.pk, changes={"email": "new@example.org"}, version=seen, by=staff
    )
    with pytest.raises(parties.StaleEditError):
        parties.edit_party(
            case_id=case.pk,
            party_id=employee.pk,
            changes={"email": "other@example.org"},
            version=seen,
            by=staff,
        )
    assert Party.objects.get(pk=employee.pk).email == "new@example.org"
    assert len(_events(case)) == 1


def test_edit_party_after_the_record_lock_keeps_to_email_and_address(case, staff):
    _lock_record(case)
    provider = case.parties.get(role=PartyRole.REQUESTING_PROVIDER)
    version = parties.party_version(provider)
    with pytest.raises(CaseRecordFinalError, match="Only the email and mailing address"):
        parties.edit_party(
            case_id=case.pk, party_id=provider.pk, changes={"name": "Dr. Other"}, version=version, by=staff
        )
    parties.edit_party(
        case_id=case.pk,
        party_id=provider.pk,
        changes={"mailing_address": "1 Clinic Way\nFresno, CA 93721"},
        version=version,
        by=staff,
    )
    provider.refresh_from_db()
    assert provider.name == "Dr. Alan Treating" and provider.mailing_address.endswith("CA 93721")


def test_items_add_and_remove_renumber_and_refresh_deadlines(case, staff):
    item = disputed_items.add_disputed_item(
        case_id=case.pk,
        fields={
            "description": "Tramadol 50mg #60",
            "category": ItemCategory.PHARMACEUTICALS,
            "ur_decision": "denied",
        },
        by=staff,
    )
    assert item.position == 3
    first = case.disputed_items.get(position=1)
    disputed_items.remove_disputed_item(case_id=case.pk, item_id=first.pk, by=staff)
    assert list(case.disputed_items.order_by("position").values_list("position", "description")) == [
        (1, "TPI 20553 X6 in the Right Lumbar Paraspinals DOS 12/29/15"),
        (2, "Tramadol 50mg #60"),
    ]
    added, removed = _events(case)
    assert added.data["changed"] == ["disputed items"] and added.data["added_item"]["position"] == 3
    assert removed.data["removed_item"]["id"] == first.pk


def test_items_are_locked_from_assignment_on_and_keep_one(case, staff):
    items = list(case.disputed_items.all())
    disputed_items.remove_disputed_item(case_id=case.pk, item_id=items[0].pk, by=staff)
    with pytest.raises(CaseError, match="at least one treatment"):
        disputed_items.remove_disputed_item(case_id=case.pk, item_id=items[1].pk, by=staff)
    with pytest.raises(CaseError, match="no longer in dispute"):
        disputed_items.remove_disputed_item(case_id=case.pk, item_id=items[0].pk, by=staff)
    for status in (S.ASSIGNED, S.IN_REVIEW, S.QA_REVIEW, S.WITHDRAWN):
        locked = make_seed_like_case(status=status)
        with pytest.raises(CaseError, match="until a reviewer is assigned"):
            disputed_items.add_disputed_item(
                case_id=locked.pk,
                fields={"description": "x", "category": "other", "ur_decision": "denied"},
                by=staff,
            )
        with pytest.raises(CaseError, match="until a reviewer is assigned"):
            disputed_items.remove_disputed_item(
                case_id=locked.pk, item_id=locked.disputed_items.first().pk, by=staff
            )
        assert locked.disputed_items.count() == 2


def test_removing_the_last_non_formulary_item_shortens_the_determination_deadline(staff):
    """Ready for assignment, records complete 2015-03-02 (a Monday): 30 calendar days with a
    physical-therapy item; with only a formulary drug left, 5 working days (domain.md)."""
    from datetime import date

    case = make_seed_like_case(status=S.READY_FOR_ASSIGNMENT, records_complete_on=date(2015, 3, 2))
    case.disputed_items.filter(position=2).delete()
    disputed_items.add_disputed_item(
        case_id=case.pk,
        fields={"description": "Tramadol 50mg #60", "category": "pharmaceuticals", "ur_decision": "denied"}
        | {"formulary_drug": True},
        by=staff,
    )
    case.refresh_from_db()
    assert case.determination_due == date(2015, 4, 1)
    disputed_items.remove_disputed_item(
        case_id=case.pk, item_id=case.disputed_items.get(position=1).pk, by=staff
    )
    case.refresh_from_db()
    assert case.determination_due == date(2015, 3, 9)


def test_items_of_a_consolidated_case_are_changed_on_its_lead(staff):
    lead = make_seed_like_case()
    case = make_seed_like_case()
    type(case).objects.filter(pk=case.pk).update(consolidated_into=lead)
    with pytest.raises(CaseError, match="consolidated into another"):
        disputed_items.add_disputed_item(
            case_id=case.pk,
            fields={"description": "x", "category": "other", "ur_decision": "denied"},
            by=staff,
        )
    moved = lead.disputed_items.first()
    DisputedItem.objects.filter(pk=moved.pk).update(origin_case=case, origin_position=1)
    with pytest.raises(CaseError, match="split that case off"):
        disputed_items.remove_disputed_item(case_id=lead.pk, item_id=moved.pk, by=staff)
    assert lead.disputed_items.count() == 2


def test_an_address_that_does_not_parse_is_kept_when_only_the_email_changes(staff_client, case):
    employer = case.parties.get(role=PartyRole.EMPLOYER)
    Party.objects.filter(pk=employer.pk).update(mailing_address="Postfach 12\n10115 Berlin\nGermany")
    employer.refresh_from_db()
    page = staff_client.get(reverse("cases:edit_party", args=[case.pk, employer.pk]))
    assert 'id="address-unread"' in page.content.decode()
    response = _party_post(
        staff_client,
        case,
        employer,
        street=employer.mailing_address,
        email="payroll@centralvalley.example.com",
    )
    assert response.status_code == 302
    employer.refresh_from_db()
    assert employer.mailing_address == "Postfach 12\n10115 Berlin\nGermany"
    assert employer.email == "payroll@centralvalley.example.com"


def test_item_fields_are_checked_by_the_models_rules(case, staff):
    with pytest.raises(CaseError, match=r"(?i)formulary|constraint"):
        disputed_items.add_disputed_item(
            case_id=case.pk,
            fields={
                "description": "PT",
                "category": "physical_medicine",
                "ur_decision": "denied",
                "formulary_drug": True,
            },
            by=staff,
        )
    with pytest.raises(CaseError):
        disputed_items.add_disputed_item(
            case_id=case.pk,
            fields={"description": " ", "category": "other", "ur_decision": "denied"},
            by=staff,
        )
    assert case.disputed_items.count() == 2 and not _events(case)


def test_split_address_reads_both_shapes_on_file():
    one_line = split_address("100 Sample Street, Fresno, CA 93721")
    assert (one_line.street, one_line.city, one_line.state, one_line.zip_code) == (
        "100 Sample Street",
        "Fresno",
        "CA",
        "93721",
    )
    assert split_address("12 Elm St\nSuite 4\nSacramento, CA 95814-1234").street == "12 Elm St\nSuite 4"
    assert split_address("PO Box 1") is None and split_address("1 Rue, Paris, FR 75001") is None


# ---- Views -------------------------------------------------------------------------------


def _upload_url(case):
    return reverse("cases:upload_documents", args=[case.pk])


def _upload_post(client, case, files, **fields):
    data = {
        "kind": "medical_record",
        "received_on": today().isoformat(),
        "title": "",
        "form_token": issue_token(user=client.user),
        "pdf_files": files,
        **fields,
    }
    return client.post(_upload_url(case), data)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    client.user = staff
    return client


def test_case_page_shows_the_controls_to_intake_staff(staff_client, case):
    html = staff_client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert 'id="upload-form"' in html and "data-drop-zone" in html and "multiple" in html
    assert reverse("cases:edit_party", args=[case.pk, _employee(case).pk]) in html
    assert reverse("cases:add_item", args=[case.pk]) in html
    assert "100 Sample Street, Fresno, CA 93721" in html  # the address is on the page


def test_case_page_hides_item_controls_after_assignment_and_party_names_after_the_lock(staff_client):
    case = make_seed_like_case(status=S.QA_REVIEW)
    _lock_record(case)
    html = staff_client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert reverse("cases:add_item", args=[case.pk]) not in html and 'id="items-locked"' in html
    assert 'id="parties-locked"' in html and 'id="upload-form"' in html  # documents stay addable


def test_qa_sees_no_controls_and_is_refused_every_page(client, case):
    client.force_login(UserFactory(role=roles.CLINICAL_QA))
    html = client.get(reverse("cases:case", args=[case.pk])).content.decode()
    assert (
        'id="upload-form"' not in html
        and "Edit" not in html.split('id="parties-h"')[1].split("</section>")[0]
    )
    item = case.disputed_items.first()
    for url in (
        _upload_url(case),
        reverse("cases:edit_party", args=[case.pk, _employee(case).pk]),
        reverse("cases:add_item", args=[case.pk]),
        reverse("cases:remove_item", args=[case.pk, item.pk]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403
    reviewer = ReviewerFactory()
    client.force_login(reviewer.user)
    assert client.get(_upload_url(case)).status_code == 403
    assert case.disputed_items.count() == 2


def test_upload_two_pdfs_at_once(staff_client, case, staff):
    response = _upload_post(
        staff_client,
        case,
        [
            upload(make_pdf_bytes(label="one"), "PT_notes_2015.pdf"),
            upload(make_pdf_bytes(label="two"), "MRI.pdf"),
        ],
    )
    assert response.status_code == 302 and response["Location"].endswith("#documents-h")
    assert sorted(Document.objects.filter(case=case).values_list("title", flat=True)) == [
        "MRI",
        "PT notes 2015",
    ]
    assert AccessLogEntry.objects.filter(case=case, user=staff, action=AccessAction.CHANGE).exists()


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (PNG_BYTES, "photo.pdf", "not a PDF"),
        (b"", "empty.pdf", "empty"),
        (make_pdf_bytes(label="cut")[:-200], "cut.pdf", "incomplete"),
    ],
)
def test_upload_refuses_bad_files_with_a_form_error(staff_client, case, content, name, expected):
    good = upload(make_pdf_bytes(label="fine"), "fine.pdf")
    response = _upload_post(staff_client, case, [good, upload(content, name)])
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["pdf_files"])
    assert name in errors and expected in errors and "Nothing was uploaded" in errors
    assert not Document.objects.filter(case=case).exists()


@override_settings(DOCUMENT_MAX_UPLOAD_MB=1)
def test_upload_refuses_a_file_over_the_limit(staff_client, case):
    response = _upload_post(
        staff_client, case, [upload(make_pdf_bytes(label="big", padding=1_200_000), "big.pdf")]
    )
    assert response.status_code == 400 and "at most 1 MB" in " ".join(
        response.context["form"].errors["pdf_files"]
    )
    assert not Document.objects.filter(case=case).exists()


def test_upload_without_files_or_with_a_future_date(staff_client, case):
    response = _upload_post(staff_client, case, [])
    assert response.status_code == 400 and "Choose one or more PDF files" in response.content.decode()
    response = _upload_post(
        staff_client,
        case,
        [upload(make_pdf_bytes(label="future"), "f.pdf")],
        received_on=(today() + timedelta(days=1)).isoformat(),
    )
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert not Document.objects.filter(case=case).exists()


def _party_post(client, case, party, **fields):
    form_data = {"version": parties.party_version(party)}
    for name in parties.PARTY_FIELDS[party.role]:
        if name != "mailing_address":
            value = getattr(party, name)
            form_data[name] = "" if value is None else value
    parts = split_address(party.mailing_address)
    if parts:
        form_data |= {
            "street": parts.street,
            "city": parts.city,
            "state": parts.state,
            "zip_code": parts.zip_code,
        }
    form_data |= fields
    return client.post(reverse("cases:edit_party", args=[case.pk, party.pk]), form_data)


def test_edit_an_address_through_the_page(staff_client, case, staff):
    employee = _employee(case)
    response = staff_client.get(reverse("cases:edit_party", args=[case.pk, employee.pk]))
    assert response.status_code == 200
    assert response.context["form"]["city"].value() == "Fresno"
    response = _party_post(
        staff_client,
        case,
        employee,
        street="12 Elm Street\r\nApt 3",
        city="Sacramento",
        state="CA",
        zip_code="95814-1234",
    )
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.mailing_address == "12 Elm Street\nApt 3\nSacramento, CA 95814-1234"
    assert AccessLogEntry.objects.filter(case=case, user=staff, action=AccessAction.CHANGE).exists()
    assert _events(case)[0].data["fields"] == ["mailing_address"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"zip_code": "9372"}, "zip_code", "is not a ZIP code"),
        ({"zip_code": "ABCDE"}, "zip_code", "is not a ZIP code"),
        ({"state": "XX"}, "state", "Select a valid choice"),
        ({"street": ""}, "street", "Give the street address"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_bad_address_or_email_is_a_form_error(staff_client, case, fields, field, message):
    employee = _employee(case)
    before = employee.mailing_address
    response = _party_post(staff_client, case, employee, **fields)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    employee.refresh_from_db()
    assert employee.mailing_address == before and not _events(case)


def test_bad_npi_and_stale_page_are_form_errors(staff_client, case):
    provider = case.parties.get(role=PartyRole.REQUESTING_PROVIDER)
    response = _party_post(staff_client, case, provider, npi="1234567890")
    assert response.status_code == 400 and "not a valid NPI" in " ".join(
        response.context["form"].errors["npi"]
    )
    stale = parties.party_version(provider)
    Party.objects.filter(pk=provider.pk).update(email="changed@example.org")
    response = _party_post(staff_client, case, provider, version=stale, specialty="Orthopedics")
    assert response.status_code == 400 and "Someone saved this party" in response.content.decode()
    provider.refresh_from_db()
    assert provider.specialty == "Pain Medicine"


def test_after_the_lock_only_email_and_address_can_change_on_the_page(staff_client, case):
    _lock_record(case)
    provider = case.parties.get(role=PartyRole.REQUESTING_PROVIDER)
    page = staff_client.get(reverse("cases:edit_party", args=[case.pk, provider.pk]))
    assert page.context["form"].fields["name"].disabled and not page.context["form"].fields["city"].disabled
    # A forged post of a new name: the disabled field keeps its value; the address is saved.
    response = _party_post(
        staff_client,
        case,
        provider,
        name="Dr. Forged",
        street="1 Clinic Way",
        city="Fresno",
        state="CA",
        zip_code="93721",
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (
        provider.name == "Dr. Alan Treating" and provider.mailing_address == "1 Clinic Way\nFresno, CA 93721"
    )


def test_add_and_remove_an_item_through_the_pages(staff_client, case):
    url = reverse("cases:add_item", args=[case.pk])
    data = {
        "description": "Acupuncture x6 for the lumbar spine",
        "category": "acupuncture",
        "ur_decision": "denied",
        "quantity": "6",
        "expected_from": "received",
    }
    response = staff_client.post(
        url, {**data, "quantity": "0", "form_token": issue_token(user=staff_client.user)}
    )
    assert response.status_code == 400 and "quantity" in response.context["form"].errors
    response = staff_client.post(
        url,
        {
            **data,
            "category": "acupuncture",
            "formulary_drug": "on",
            "form_token": issue_token(user=staff_client.user),
        },
    )
    assert response.status_code == 400
    assert case.disputed_items.count() == 2
    response = staff_client.post(url, {**data, "form_token": issue_token(user=staff_client.user)})
    assert response.status_code == 302 and case.disputed_items.count() == 3
    first = case.disputed_items.get(position=1)
    remove = reverse("cases:remove_item", args=[case.pk, first.pk])
    assert staff_client.get(remove).status_code == 200
    response = staff_client.post(remove, {"expected_from": "eligibility_review"})
    assert response.status_code == 400 and "changed by someone else" in response.content.decode()
    response = staff_client.post(remove, {"expected_from": "received"})
    assert response.status_code == 302
    assert not DisputedItem.objects.filter(pk=first.pk).exists()
    # Removed already (a second tab): a message on the case page, nothing else.
    response = staff_client.post(remove, {"expected_from": "received"})
    assert response.status_code == 302 and case.disputed_items.count() == 2


def test_item_pages_of_an_assigned_case_say_why_and_offer_no_form(staff_client):
    case = make_seed_like_case(status=S.IN_REVIEW)
    page = staff_client.get(reverse("cases:add_item", args=[case.pk]))
    assert page.status_code == 200 and 'id="item-form"' not in page.content.decode()
    assert "until a reviewer is assigned" in page.content.decode()
    response = staff_client.post(
        reverse("cases:remove_item", args=[case.pk, case.disputed_items.first().pk]),
        {"expected_from": "in_review"},
    )
    assert response.status_code == 400 and case.disputed_items.count() == 2


def test_every_page_logs_its_read(staff_client, case, staff):
    item = case.disputed_items.first()
    for url in (
        _upload_url(case),
        reverse("cases:edit_party", args=[case.pk, _employee(case).pk]),
        reverse("cases:add_item", args=[case.pk]),
        reverse("cases:remove_item", args=[case.pk, item.pk]),
    ):
        before = AccessLogEntry.objects.count()
        assert staff_client.get(url).status_code == 200
        assert (
            AccessLogEntry.objects.filter(
                pk__gt=0, case=case, user=staff, action=AccessAction.VIEW_CASE
            ).count()
            > 0
            and AccessLogEntry.objects.count() == before + 1
        )


def test_pages_use_a_fixed_number_of_queries(staff_client, case, django_assert_max_num_queries):
    employee = _employee(case)
    item = case.disputed_items.first()
    for url, budget in (
        (_upload_url(case), 7),
        (reverse("cases:edit_party", args=[case.pk, employee.pk]), 9),
        (reverse("cases:add_item", args=[case.pk]), 8),
        (reverse("cases:remove_item", args=[case.pk, item.pk]), 10),
    ):
        with django_assert_max_num_queries(budget + SECOND_FACTOR_QUERIES):
            assert staff_client.get(url).status_code == 200


def test_the_case_page_costs_one_query_more_for_the_controls(
    staff_client, case, django_assert_max_num_queries
):
    # 22: what test_earlier_imrs counts (with no earlier IMR) and the record lock's one read.
    with django_assert_max_num_queries(22 + SECOND_FACTOR_QUERIES):
        assert staff_client.get(reverse("cases:case", args=[case.pk])).status_code == 200
