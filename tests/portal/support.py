"""Builders for the portal tests (not collected: no test_ prefix)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.files.base import ContentFile

from cases.models import Case, PartyRole
from cases.services import case_actions
from determinations.models import DeterminationStatus, Letter
from portal.models import CaseLink, CaseLinkSource, Membership, Organization, OrganizationKind
from portal.services.organizations import create_api_token
from tests.cases.pdfs import make_pdf_bytes
from tests.factories import UserFactory, make_seed_like_case
from tests.library.support import make_issued_case

SEED = Path(__file__).resolve().parent.parent / "data" / "seed-case.json"


def application() -> dict:
    """The seed case as an application an organization submits: no number, history or determination."""
    payload = json.loads(SEED.read_text())
    for key in ("case_number", "determination", "history"):
        payload.pop(key, None)
    return payload


def organization(
    name: str = "Golden State Claims Services", kind: str = OrganizationKind.CLAIMS_ADMINISTRATOR, **fields
) -> Organization:
    return Organization.objects.create(name=name, kind=kind, **fields)


def member(org: Organization, username: str = "adjuster1"):
    user = UserFactory(username=username)
    Membership.objects.create(user=user, organization=org)
    return user


def link(org: Organization, case: Case, staff) -> CaseLink:
    return CaseLink.objects.create(
        organization=org, case=case, role=org.party_role, source=CaseLinkSource.STAFF, linked_by=staff
    )


def awaiting_records_case(staff, **fields) -> Case:
    case = make_seed_like_case(**fields)
    # Each its own claim: the same claim, UR decision and treatment would be a duplicate filing.
    case.parties.filter(role=PartyRole.CLAIMS_ADMINISTRATOR).update(claim_number=f"GSC-{case.pk:08d}")
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    # The step sends the NOARFI (by email: every seed party has an address); it takes no method.
    return case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)


def token_for(org: Organization) -> str:
    return create_api_token(organization=org)


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Api-Key {token}"}


LETTER_BYTES = make_pdf_bytes(pages=3, label="final determination letter")


def issued_case_with_letter(**fields) -> Case:
    determination = make_issued_case(**fields)
    assert determination.status == DeterminationStatus.ISSUED
    letter = Letter(
        determination=determination, version=1, sha256="a" * 64, pages=3, issued_on=date(2026, 3, 2)
    )
    letter.pdf.save("letter.pdf", ContentFile(LETTER_BYTES), save=False)
    letter.save()
    return determination.case
