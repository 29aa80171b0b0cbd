"""Constraints on determinations, letters and deliveries.

Bad inputs tried: two decisions for one item, an unknown decision, two current
determinations on a case, letter version 0, a duplicate letter version, a correction
(version 2) without a reason, two first deliveries to the same recipient, an unknown
delivery status or channel.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from determinations.models import Delivery, Determination, DeterminationStatus, Letter
from tests.factories import DeterminationFactory, DisputedItemFactory, ItemDecisionFactory

pytestmark = pytest.mark.django_db


def refused(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_one_decision_per_item():
    determination = DeterminationFactory()
    item = DisputedItemFactory(case=determination.case, position=1)
    ItemDecisionFactory(determination=determination, disputed_item=item)
    refused(lambda: ItemDecisionFactory(determination=determination, disputed_item=item))


def test_decision_value_is_checked_and_may_be_undecided():
    determination = DeterminationFactory()
    refused(
        lambda: ItemDecisionFactory(
            determination=determination,
            disputed_item=DisputedItemFactory(case=determination.case, position=1),
            decision="partly",
        )
    )
    assert ItemDecisionFactory(
        determination=determination,
        disputed_item=DisputedItemFactory(case=determination.case, position=2),
        decision="",
    ).pk


def test_one_current_determination_per_case():
    first = DeterminationFactory()
    refused(lambda: DeterminationFactory(case=first.case))
    Determination.objects.filter(pk=first.pk).update(status=DeterminationStatus.SUPERSEDED)
    assert DeterminationFactory(case=first.case).pk  # a new review after a remand
    refused(lambda: Determination.objects.filter(pk=first.pk).update(status="lost"))


def _letter(determination, *, version: int = 1, reason: str = "") -> Letter:
    return Letter.objects.create(
        determination=determination,
        version=version,
        pdf=f"letters/{determination.case_id}/v{version}.pdf",
        sha256="b" * 64,
        pages=4,
        issued_on=date(2026, 3, 20),
        correction_reason=reason,
    )


def test_letter_versions_and_correction_reason():
    determination = DeterminationFactory()
    refused(lambda: _letter(determination, version=0))
    _letter(determination, version=1)
    refused(lambda: _letter(determination, version=1))
    refused(lambda: _letter(determination, version=2, reason=""))
    assert _letter(determination, version=2, reason="Claim number corrected").pk


def _delivery(letter, *, role: str = "employee", resend_of=None, **fields) -> Delivery:
    values = {
        "recipient_name": "Maria Example",
        "channel": "email",
        "address": "maria.example@example.org",
        **fields,
    }
    return Delivery.objects.create(letter=letter, recipient_role=role, resend_of=resend_of, **values)


def test_one_first_delivery_per_recipient():
    letter = _letter(DeterminationFactory())
    first = _delivery(letter)
    refused(lambda: _delivery(letter))
    # A deliberate resend points at the delivery it repeats, and is allowed.
    assert _delivery(letter, resend_of=first).pk
    assert _delivery(letter, role="employer").pk


@pytest.mark.parametrize(("field", "value"), [("status", "lost"), ("channel", "fax")])
def test_delivery_values_are_checked(field, value):
    letter = _letter(DeterminationFactory())
    refused(lambda: _delivery(letter, **{field: value}))
