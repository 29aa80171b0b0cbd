"""A case's disputed items, documents and parties are read-only once its record is final
(issue 13 item 6): its determination is submitted, approved or issued, or a letter was issued.

Attacks tried: an administrator's forged admin POST that rewords a disputed item of an issued
case (403, nothing changes, the refusal is logged), deleting it, changing a party's name or a
document's title in the admin; the same through the models (save, delete, a new item) and
straight in SQL on PostgreSQL (UPDATE, DELETE, INSERT, a queryset update). What stays possible:
a party's email and mailing address (a returned letter goes again to the corrected address),
a new party or document, and every edit while the determination is a draft (or a superseded
draft after a reassignment).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from cases.models import (
    AccessAction,
    AccessLogEntry,
    CaseStatus,
    DisputedItem,
    DocumentKind,
    Party,
    PartyRole,
)
from cases.record_lock import CaseRecordFinalError
from cases.services.documents import add_document
from core.form_tokens import FIELD_NAME
from determinations.models import DeterminationStatus
from determinations.services.letters import issue_letter
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import DisputedItemFactory, PartyFactory, UserFactory
from tests.forms_helpers import form_token, hidden_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=roles.ADMINISTRATOR, username="admin_final"))
    return client


def issued_case():
    determination = approved_seed_determination()
    issue_letter(determination_id=determination.pk)
    return determination.case


def with_document(case):
    return add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes(label=f"record of {case.case_number}")),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Progress note 2015-02-09",
        received_on=date(2015, 3, 1),
        by=None,
    )


def item_form(item: DisputedItem, **changes) -> dict:
    data = {
        "case": item.case_id,
        "position": item.position,
        "description": item.description,
        "category": item.category,
        "procedure_code": item.procedure_code,
        "quantity": item.quantity,
        "body_part": item.body_part,
        "ur_decision": item.ur_decision,
        "claims_administrator_guideline": item.claims_administrator_guideline,
    }
    data.update(changes)
    return data


def test_admin_post_editing_a_disputed_item_of_an_issued_case_is_refused_and_nothing_changes(admin_client):
    case = issued_case()
    item = case.disputed_items.order_by("position").first()
    before = DisputedItem.objects.filter(pk=item.pk).values().get()
    url = reverse("admin:cases_disputeditem_change", args=[item.pk])

    page = admin_client.get(url)
    assert page.status_code == 200  # shown, read-only
    assert 'name="description"' not in page.content.decode()

    forged = admin_client.post(url, item_form(item, description="Surgery, approved"))
    assert forged.status_code == 403
    deleted = admin_client.post(reverse("admin:cases_disputeditem_delete", args=[item.pk]), {"post": "yes"})
    assert deleted.status_code == 403
    assert DisputedItem.objects.filter(pk=item.pk).values().get() == before
    refused = AccessLogEntry.objects.filter(action=AccessAction.REFUSED, status_code=403)
    assert refused.count() == 2

    # Nor can an item be added to the case.
    added = admin_client.post(
        reverse("admin:cases_disputeditem_add"), item_form(item, position=9, description="A new item")
    )
    assert added.status_code == 200
    assert "No disputed item can be added to it: its record is read-only." in added.content.decode()
    assert case.disputed_items.count() == 2


def test_case_page_shows_the_items_and_parties_of_a_final_case_read_only(admin_client):
    case = issued_case()
    body = admin_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "disputed_items-0-description" not in body  # the items are shown as text
    assert "Physical Therapy 2x8 for the Lumbar Spine" in body
    assert 'name="parties-0-name"' not in body
    assert 'name="parties-0-mailing_address"' in body  # still correctable


def test_a_forged_case_form_post_changes_no_field_of_an_issued_case(admin_client):
    case = issued_case()
    url = reverse("admin:cases_case_change", args=[case.pk])
    assert 'name="injury_date"' not in admin_client.get(url).content.decode()
    data = hidden_fields(admin_client, url)  # management forms, row ids and the one-time token
    # The upload inline's empty form shows today's date as its default: a browser sends it back.
    page = admin_client.get(url).content.decode()
    data.update(re.findall(r'name="([\w-]+-0-received_on)"[^>]*value="([^"]*)"', page))
    data.update({"injury_date": "2001-01-01", "ur_decision_date": "2001-01-02", "signed": ""})
    response = admin_client.post(url, data)
    # Accepted: every field the POST changed is read-only on this page, so ignored. (Were they not,
    # the page's other required fields, not sent, would make it a 200 with errors.)
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.injury_date, case.ur_decision_date) == (date(2007, 5, 3), date(2015, 2, 6))
    assert case.signed


def test_party_of_an_issued_case_keeps_its_name_but_its_address_can_be_corrected(admin_client):
    case = issued_case()
    party = case.parties.get(role=PartyRole.EMPLOYER)
    url = reverse("admin:cases_party_change", args=[party.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="name"' not in page and 'name="mailing_address"' in page
    response = admin_client.post(
        url,
        {
            "name": "Someone Else Inc.",  # read-only: ignored
            "email": "payroll@centralvalley.example.com",
            "mailing_address": "2 Packing House Rd, Fresno, CA 93721",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    party.refresh_from_db()
    assert party.name == "Central Valley Packing Co."
    assert party.mailing_address == "2 Packing House Rd, Fresno, CA 93721"
    assert (
        admin_client.post(reverse("admin:cases_party_delete", args=[party.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Party.objects.filter(pk=party.pk).exists()


def test_document_of_an_approved_case_cannot_be_renamed_or_deleted(admin_client):
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    document = with_document(determination.case)
    determination.status = DeterminationStatus.SUBMITTED
    determination.save()
    url = reverse("admin:cases_document_change", args=[document.pk])
    # With the page's own one-time token, as a browser would post it.
    token = form_token(admin_client, url)
    forged = admin_client.post(
        url,
        {
            FIELD_NAME: token,
            "kind": DocumentKind.CORRESPONDENCE,
            "title": "Renamed",
            "received_on": "2015-03-02",
        },
    )
    assert forged.status_code == 403
    assert (
        admin_client.post(
            reverse("admin:cases_document_delete", args=[document.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    document.refresh_from_db()
    assert (document.kind, document.title) == (DocumentKind.MEDICAL_RECORD, "Progress note 2015-02-09")


@pytest.mark.parametrize("status", [DeterminationStatus.SUBMITTED, DeterminationStatus.APPROVED])
def test_models_refuse_changes_once_submitted_or_approved(status):
    determination = approved_seed_determination(status=status)
    case = determination.case
    item = case.disputed_items.order_by("position").first()
    item.description = "Reworded"
    with pytest.raises(CaseRecordFinalError, match="read-only: changing description"):
        item.save()
    with pytest.raises(CaseRecordFinalError, match="deleting"):
        DisputedItem.objects.get(pk=item.pk).delete()
    with pytest.raises(CaseRecordFinalError, match="adding"):
        DisputedItemFactory(case=case, position=3)
    party = case.parties.get(role=PartyRole.EMPLOYEE)
    party.date_of_birth = date(1970, 1, 1)
    with pytest.raises(CaseRecordFinalError, match="date_of_birth"):
        party.save()
    party.refresh_from_db()
    party.email = "maria.new@example.org"
    party.save()  # correctable
    PartyFactory(case=case, role=PartyRole.ATTORNEY, name="Ada Counsel")  # a party may be added
    assert DisputedItem.objects.get(pk=item.pk).description != "Reworded"


def test_a_draft_or_a_superseded_draft_leaves_the_case_editable():
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    item = determination.case.disputed_items.order_by("position").first()
    item.description = "Physical Therapy 2x6 for the Lumbar Spine"
    item.save()
    # A reassignment supersedes the draft: the new review starts from an editable case.
    determination.status = DeterminationStatus.SUPERSEDED
    determination.save()
    item.quantity = 12
    item.save()
    assert DisputedItem.objects.get(pk=item.pk).quantity == 12


def test_postgresql_refuses_the_same_in_sql(postgres):
    case = issued_case()
    document = None
    item = case.disputed_items.order_by("position").first()
    party = case.parties.get(role=PartyRole.EMPLOYEE)
    refused = [
        ("UPDATE cases_disputeditem SET description = 'x' WHERE id = %s", [item.pk]),
        ("DELETE FROM cases_disputeditem WHERE id = %s", [item.pk]),
        (
            "INSERT INTO cases_disputeditem (case_id, position, description, category, procedure_code, "
            "quantity, body_part, ur_decision, claims_administrator_guideline, formulary_drug) "
            "VALUES (%s, 7, 'new', 'surgery', '', 1, '', 'denied', '', false)",
            [case.pk],
        ),
        ("UPDATE cases_party SET name = 'Someone Else' WHERE id = %s", [party.pk]),
        ("UPDATE cases_party SET date_of_birth = '1970-01-01' WHERE id = %s", [party.pk]),
        ("DELETE FROM cases_party WHERE id = %s", [party.pk]),
    ]
    for sql, params in refused:
        with pytest.raises(DatabaseError, match="final"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    with pytest.raises(DatabaseError, match="final"), transaction.atomic():
        case.disputed_items.update(description="reworded through a queryset")
    # Allowed: the party's contact fields, an UPDATE that changes nothing, a new party.
    Party.objects.filter(pk=party.pk).update(mailing_address="9 New St, Fresno, CA 93721", email="")
    DisputedItem.objects.filter(pk=item.pk).update(description=item.description)
    PartyFactory(case=case, role=PartyRole.ATTORNEY, name="Ada Counsel")
    document = with_document(case)  # a new document
    with pytest.raises(DatabaseError, match="final"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_document SET title = 'Renamed' WHERE id = %s", [document.pk])
    item.refresh_from_db()
    party.refresh_from_db()
    assert item.description == "Physical Therapy 2x8 for the Lumbar Spine"
    assert party.name == "Maria Example" and party.mailing_address == "9 New St, Fresno, CA 93721"


def test_a_case_in_review_is_not_final(admin_client):
    determination = approved_seed_determination(
        status=DeterminationStatus.DRAFT, case_status=CaseStatus.IN_REVIEW
    )
    item = determination.case.disputed_items.order_by("position").first()
    url = reverse("admin:cases_disputeditem_change", args=[item.pk])
    response = admin_client.post(
        url, item_form(item, description="Physical Therapy 2x6 for the Lumbar Spine")
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.description == "Physical Therapy 2x6 for the Lumbar Spine"
