"""Issued and approved things are read-only everywhere (issue 13, item 6).

Attack tried: an administrator posts the admin change form of a QA-approved determination with
a new rationale (the issue's finding: it was saved and no event written). Now: 403, nothing
changes, no event is missing, and the refusal is in the access log. The same post on a draft
is accepted (so the refusal is the lock, not a bad form). Code paths cannot either: the models
refuse the save, and PostgreSQL refuses an UPDATE or DELETE that bypasses them.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseEvent, CaseStatus
from determinations.models import (
    Determination,
    DeterminationStatus,
    ItemDecision,
    Letter,
    ReadOnlyRecordError,
)
from determinations.services.letters import correct_letter, issue_letter
from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import UserFactory, make_seed_like_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=roles.ADMINISTRATOR, is_superuser=True))
    return client


def _change_post(determination: Determination, *, rationale: str) -> dict:
    data = {
        "case": determination.case_id,
        "reviewer": determination.reviewer_id or "",
        "clinical_case_summary": determination.clinical_case_summary,
        "version": determination.version,
        "qa_comment": "",
        "licensure_states": "[]",
        "certifications": "[]",
        "items-TOTAL_FORMS": str(determination.items.count()),
        "items-INITIAL_FORMS": str(determination.items.count()),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(determination.items.order_by("id")):
        data |= {
            f"items-{index}-id": item.pk,
            f"items-{index}-determination": determination.pk,
            f"items-{index}-disputed_item": item.disputed_item_id,
            f"items-{index}-decision": item.decision,
            f"items-{index}-reviewer_guideline": item.reviewer_guideline,
            f"items-{index}-rationale": rationale if index == 0 else item.rationale,
        }
    return data


def _draft_copy() -> Determination:
    """A draft determination on a seed-like case (the positive control)."""
    draft = Determination.objects.create(
        case=make_seed_like_case(case_number="CM15-0000202", status=CaseStatus.IN_REVIEW),
        status=DeterminationStatus.DRAFT,
        clinical_case_summary="Draft summary",
    )
    for item in draft.case.disputed_items.all():
        ItemDecision.objects.create(determination=draft, disputed_item=item, decision="upheld", rationale="r")
    return draft


def test_admin_post_editing_an_approved_rationale_is_refused_and_nothing_changes(admin_client):
    determination = approved_seed_determination()
    before = list(ItemDecision.objects.filter(determination=determination).values().order_by("id"))
    events_before = list(CaseEvent.objects.filter(case=determination.case).values_list("id", flat=True))
    url = reverse("admin:determinations_determination_change", args=[determination.pk])

    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="items-0-rationale"' not in page.content.decode()  # shown read-only

    response = admin_client.post(url, _change_post(determination, rationale="Rewritten by an admin"))

    assert response.status_code == 403
    assert list(ItemDecision.objects.filter(determination=determination).values().order_by("id")) == before
    assert (
        list(CaseEvent.objects.filter(case=determination.case).values_list("id", flat=True)) == events_before
    )
    refused = AccessLogEntry.objects.get(action=AccessAction.REFUSED)
    assert (refused.status_code, refused.path) == (403, url)


def test_the_same_post_on_a_draft_is_accepted(admin_client):
    draft = _draft_copy()
    url = reverse("admin:determinations_determination_change", args=[draft.pk])
    response = admin_client.post(url, _change_post(draft, rationale="Edited draft rationale"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert draft.items.order_by("id").first().rationale == "Edited draft rationale"


def test_models_refuse_changing_approved_issued_and_submitted_text():
    determination = approved_seed_determination()
    determination.clinical_case_summary = "Rewritten"
    with pytest.raises(ReadOnlyRecordError, match="approved and cannot be changed"):
        determination.save()
    determination.refresh_from_db()
    determination.status = DeterminationStatus.DRAFT
    with pytest.raises(ReadOnlyRecordError, match="cannot go back to draft"):
        determination.save()
    item = ItemDecision.objects.filter(determination=determination).first()
    item.rationale = "Rewritten"
    with pytest.raises(ReadOnlyRecordError, match="item decisions cannot be changed"):
        item.save()
    with pytest.raises(ReadOnlyRecordError):
        item.delete()

    letter = issue_letter(determination_id=determination.pk)
    letter.correction_reason = "quietly changed"
    with pytest.raises(ReadOnlyRecordError, match="never changes"):
        letter.save()
    with pytest.raises(ReadOnlyRecordError):
        letter.delete()
    issued = Determination.objects.get(pk=determination.pk)
    issued.certifications = ["Something else"]
    with pytest.raises(ReadOnlyRecordError, match="issued and cannot be changed"):
        issued.save()


def test_the_workflow_still_moves_a_locked_determination_on_and_corrects_through_a_new_version():
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.ISSUED
    corrected = correct_letter(determination_id=determination.pk, by=None, reason="Typo in the address")
    assert (letter.version, corrected.version) == (1, 2)
    assert Letter.objects.get(pk=letter.pk).sha256 == letter.sha256


def _sql(statement: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, [pk])


def test_postgresql_refuses_what_bypasses_the_models(postgres):
    determination = approved_seed_determination(case_status=CaseStatus.QA_REVIEW)
    attempts = [
        lambda: Determination.objects.filter(pk=determination.pk).update(clinical_case_summary="x"),
        lambda: Determination.objects.filter(pk=determination.pk).update(status=DeterminationStatus.DRAFT),
        lambda: ItemDecision.objects.filter(determination=determination).update(rationale="x"),
        lambda: ItemDecision.objects.filter(determination=determination).delete(),
        lambda: Determination.objects.filter(pk=determination.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="read-only"), transaction.atomic():
            attempt()
    letter = issue_letter(determination_id=determination.pk)
    for attempt in (
        lambda: Letter.objects.filter(pk=letter.pk).update(correction_reason="x"),
        lambda: _sql("DELETE FROM determinations_letter WHERE id = %s", letter.pk),
        lambda: Determination.objects.filter(pk=determination.pk).update(certifications=["x"]),
    ):
        with pytest.raises(DatabaseError, match="read-only"), transaction.atomic():
            attempt()
    # Allowed by the workflow: the mailed date of an issued determination.
    Determination.objects.filter(pk=determination.pk).update(mailed_on=letter.issued_on)
