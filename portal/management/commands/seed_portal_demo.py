"""`seed_portal_demo`: the portal's demo (after `seed_demo`; running it twice is harmless).

A claims administrator organization with one user (`adjuster`, the demo password), linked by the
demo intake user to the demo cases waiting for records and to the seed case; prints the login and
the employee's per-party link of a case waiting for records.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Case, CaseStatus, PartyRole
from exchange.services.demo import DEMO_PASSWORD
from portal.models import CaseLink, CaseLinkSource, Membership, OrganizationKind
from portal.services.links import party_link_url
from portal.services.organizations import get_or_create_organization

ORGANIZATION = "Golden State Claims Services"
USERNAME = "adjuster"
SEED_CASE = "CM15-0041877"


class Command(BaseCommand):
    help = "Demo data of the parties' portal: an organization, its user, its case links (after seed_demo)."

    def handle(self, *args, **options) -> None:
        user_model = get_user_model()
        staff = user_model.objects.filter(username="intake").first()
        if staff is None:
            raise CommandError("Run seed_demo first (the demo intake user links the cases).")
        with transaction.atomic():
            organization = get_or_create_organization(
                name=ORGANIZATION, kind=OrganizationKind.CLAIMS_ADMINISTRATOR
            )
            user, created = user_model.objects.get_or_create(
                username=USERNAME,
                defaults={"first_name": "Alex", "last_name": "Adjuster", "email": "adjuster@gsc.example.com"},
            )
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(
                user=user, defaults={"organization": organization, "invited_by": staff}
            )
            cases = list(Case.objects.filter(status=CaseStatus.AWAITING_RECORDS).order_by("id")[:20]) + list(
                Case.objects.filter(case_number=SEED_CASE)
            )
            for case in cases:
                CaseLink.objects.get_or_create(
                    organization=organization,
                    case=case,
                    defaults={
                        "role": PartyRole.CLAIMS_ADMINISTRATOR,
                        "source": CaseLinkSource.STAFF,
                        "linked_by": staff,
                    },
                )
        self.stdout.write(
            f"Portal demo: {USERNAME} / {DEMO_PASSWORD} ({ORGANIZATION}, {len(cases)} linked case(s))"
        )
        waiting = next((case for case in cases if case.status == CaseStatus.AWAITING_RECORDS), None)
        if waiting is not None:
            link = party_link_url(case_id=waiting.pk, role=PartyRole.EMPLOYEE)
            self.stdout.write(f"The employee's link to {waiting.case_number} (no log-in): {link}")
