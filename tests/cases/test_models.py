"""The database refuses what the code must never write (constraints on cases).

Bad inputs tried: a duplicate and malformed case numbers, unknown status/priority/service
method, unknown item category and UR decision, quantity 0, a formulary flag on a
non-drug item, two employees on one case, an injury after the application, a UR decision
after the application, a UR service before the decision, a non-hex document hash, the same
document twice on a case, an NPI that is not 10 digits.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from cases.models import Case, Document, DocumentKind, ItemCategory, PartyRole
from tests.factories import CaseFactory, DisputedItemFactory, PartyFactory

pytestmark = pytest.mark.django_db


def refused(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_case_number_is_unique():
    CaseFactory(case_number="CM15-0041877")
    refused(lambda: CaseFactory(case_number="CM15-0041877"))


@pytest.mark.parametrize(
    "number", ["CM15-41877", "cm15-0041877", "CMXX-0041877", "XX15-0041877", "CM15_0041877", ""]
)
def test_malformed_case_number_is_refused(number):
    # All within the column width (12), so the format check is what refuses them.
    refused(lambda: CaseFactory(case_number=number))


def test_a_well_formed_case_number_is_accepted():
    assert CaseFactory(case_number="CM26-0000001").pk


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "lost"), ("priority", "urgent"), ("ur_service_method", "fax"), ("notice_method", "post")],
)
def test_case_choice_fields_refuse_unknown_values(field, value):
    case = CaseFactory()
    # update() writes straight to the database, past the model's choices and the FSM.
    refused(lambda: Case.objects.filter(pk=case.pk).update(**{field: value}))


def test_injury_after_application_is_refused():
    refused(lambda: CaseFactory(received_on=date(2026, 3, 2), injury_date=date(2026, 3, 3)))


def test_ur_decision_dates_must_fit_the_application():
    refused(lambda: CaseFactory(received_on=date(2026, 3, 2), ur_decision_date=date(2026, 3, 5)))
    refused(lambda: CaseFactory(ur_decision_date=date(2015, 2, 6), ur_served_on=date(2015, 2, 5)))


@pytest.mark.parametrize(
    ("field", "value"),
    [("category", "massage"), ("ur_decision", "approved"), ("quantity", 0)],
)
def test_disputed_item_refuses_bad_values(field, value):
    case = CaseFactory()
    refused(lambda: DisputedItemFactory(case=case, position=1, **{field: value}))


def test_disputed_item_quantity_may_be_absent_or_positive():
    case = CaseFactory()
    assert DisputedItemFactory(case=case, position=1, quantity=None).pk
    assert DisputedItemFactory(case=case, position=2, quantity=1).pk


def test_formulary_flag_only_on_pharmaceuticals():
    case = CaseFactory()
    refused(
        lambda: DisputedItemFactory(case=case, position=1, category=ItemCategory.SURGERY, formulary_drug=True)
    )
    assert DisputedItemFactory(
        case=case, position=2, category=ItemCategory.PHARMACEUTICALS, formulary_drug=True
    ).pk


def test_item_positions_are_unique_and_positive():
    case = CaseFactory()
    DisputedItemFactory(case=case, position=1)
    refused(lambda: DisputedItemFactory(case=case, position=1))
    refused(lambda: DisputedItemFactory(case=case, position=0))


def test_one_party_per_role():
    case = CaseFactory()
    PartyFactory(case=case, role=PartyRole.EMPLOYEE, name="Maria Example")
    refused(lambda: PartyFactory(case=case, role=PartyRole.EMPLOYEE, name="Another Employee"))
    assert PartyFactory(case=CaseFactory(), role=PartyRole.EMPLOYEE, name="Maria Example").pk


def test_party_role_and_npi_are_checked():
    refused(lambda: PartyFactory(role="witness"))
    refused(lambda: PartyFactory(role=PartyRole.REQUESTING_PROVIDER, npi="12345"))


def _document(case, sha256: str) -> Document:
    return Document.objects.create(
        case=case,
        kind=DocumentKind.MEDICAL_RECORD,
        title="Records",
        file="cases/x.pdf",
        sha256=sha256,
        size=100,
        pages=1,
        received_on=date(2015, 3, 1),
    )


def test_document_hash_is_hex_and_unique_per_case():
    case = CaseFactory()
    _document(case, "a" * 64)
    refused(lambda: _document(case, "a" * 64))
    refused(lambda: _document(case, "A" * 64))
    refused(lambda: _document(case, "not-a-hash"))
    assert _document(CaseFactory(), "a" * 64).pk
