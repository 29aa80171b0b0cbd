"""Builders for the decision library tests (not collected: no test_ prefix)."""

from __future__ import annotations

from datetime import date, timedelta

from cases.models import Case, CaseStatus, ItemCategory, PartyRole, URDecision
from determinations.models import Decision, Determination, DeterminationStatus, ItemDecision
from tests.factories import CaseFactory, DisputedItemFactory, PartyFactory, make_seed_reviewer

RATIONALE = "Medical necessity is not established for the requested treatment."


def make_issued_case(
    *,
    items: list[tuple[str, str, str, str]] | None = None,
    summary: str = "This 45-year-old woman sustained an industrial injury on 5/3/2007.",
    certifications: list[str] | None = None,
    issued_on: date = date(2026, 3, 2),
    parties: bool = True,
    status: str = CaseStatus.DETERMINATION_ISSUED,
    **case_fields,
) -> Determination:
    """An issued determination (imported-style: no stored letter) with its parties.

    `items`: (category, description, decision, rationale) per disputed item.
    """
    if "received_on" in case_fields:
        case_fields.setdefault("ur_decision_date", case_fields["received_on"] - timedelta(days=20))
        case_fields.setdefault("ur_served_on", case_fields["received_on"] - timedelta(days=18))
    case = CaseFactory(status=status, **case_fields)
    if parties:
        add_parties(case)
    items = items or [
        (
            ItemCategory.PHYSICAL_MEDICINE,
            "Physical Therapy 2x8 for the Lumbar Spine",
            Decision.UPHELD,
            RATIONALE,
        )
    ]
    # The items first: once the determination is issued, the case's items are read-only (issue 13).
    disputed = [
        DisputedItemFactory(
            case=case,
            position=position,
            category=category,
            description=description,
            ur_decision=URDecision.DENIED,
        )
        for position, (category, description, _decision, _rationale) in enumerate(items, start=1)
    ]
    determination = Determination.objects.create(
        case=case,
        reviewer=make_seed_reviewer(),
        status=DeterminationStatus.ISSUED,
        clinical_case_summary=summary,
        licensure_states=["CA"],
        certifications=certifications or ["Pain Medicine"],
        issued_on=issued_on,
    )
    for item, (_category, _description, decision, rationale) in zip(disputed, items, strict=True):
        ItemDecision.objects.create(
            determination=determination,
            disputed_item=item,
            decision=decision,
            reviewer_guideline="MTUS Chronic Pain Treatment Guidelines Page(s): 98-99 of 127",
            rationale=rationale,
        )
    return determination


def add_parties(
    case: Case, *, employee_first: str = "Wilhelmina", employee_last: str = "Oyelaran-Stroud"
) -> None:
    PartyFactory(
        case=case,
        role=PartyRole.EMPLOYEE,
        name=f"{employee_first} {employee_last}",
        first_name=employee_first,
        last_name=employee_last,
        email="w.oyelaran@example.org",
        mailing_address="4471 Quetzal Ridge Road, Fresno, CA 93721",
        date_of_birth=date(1968, 4, 9),
    )
    PartyFactory(case=case, role=PartyRole.EMPLOYER, name="Brightwater Cannery Holdings LLC", email="")
    PartyFactory(
        case=case,
        role=PartyRole.CLAIMS_ADMINISTRATOR,
        name="Pelican Shoals Claims Trust",
        email="desk@pelican.example.com",
        claim_number="PSC-19-774102",
    )
    PartyFactory(
        case=case,
        role=PartyRole.REQUESTING_PROVIDER,
        name="Dr. Thaddeus Vonnegan",
        email="office@vonnegan.example.com",
        npi="1093817465",
    )
    PartyFactory(
        case=case,
        role=PartyRole.ATTORNEY,
        name="Ignatia Farrowdale",
        organization="Farrowdale & Quince LLP",
        email="if@farrowdale.example.com",
        mailing_address="12 Larkspur Plaza, Suite 400, Oakland, CA 94612",
    )
