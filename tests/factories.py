"""factory_boy factories for the whole project. Cases look like the seed case."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from cases.models import Case, CaseStatus, DisputedItem, ItemCategory, Party, PartyRole, URDecision
from determinations.models import Decision, Determination, ItemDecision
from imr_site import roles
from reviewers.models import Affiliation, BoardCertification, License, Reviewer


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@imro.example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        """`UserFactory(role=roles.INTAKE_STAFF)` puts the user in that role's group."""
        if not create or not extracted:
            return
        roles.ensure_role_groups()
        self.groups.add(Group.objects.get(name=extracted))
        if extracted in roles.ADMIN_CONSOLE_ROLES:
            self.is_staff = True
        self.save()


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    case_number = factory.Sequence(lambda n: f"CM15-{n + 1000000:07d}")
    status = CaseStatus.RECEIVED
    received_on = date(2015, 2, 27)
    signed = True
    ur_decision_attached = True
    injury_date = date(2007, 5, 3)
    body_parts = factory.LazyFunction(lambda: ["right hip", "back"])
    diagnoses = factory.LazyFunction(lambda: ["lumbar radiculopathy", "chronic pain"])
    ur_decision_date = date(2015, 2, 6)
    ur_served_on = date(2015, 2, 9)
    ur_reviewer_name = "Dr. Uma Reviewer"
    ur_organization = "Golden State UR"
    application_due = date(2015, 3, 16)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    case = factory.SubFactory(CaseFactory)
    role = PartyRole.EMPLOYER
    name = factory.Faker("company")
    email = factory.Faker("company_email")


class DisputedItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisputedItem

    case = factory.SubFactory(CaseFactory)
    position = factory.Sequence(lambda n: n + 1)
    description = "Physical Therapy 2x8 for the Lumbar Spine"
    category = ItemCategory.PHYSICAL_MEDICINE
    procedure_code = "97110"
    quantity = 16
    body_part = "lumbar spine"
    ur_decision = URDecision.MODIFIED
    claims_administrator_guideline = "MTUS Chronic Pain Treatment Guidelines Physical Medicine"


def make_seed_like_case(**case_fields) -> Case:
    """A case with the seed's five parties and two disputed items."""
    case = CaseFactory(**case_fields)
    PartyFactory(
        case=case,
        role=PartyRole.EMPLOYEE,
        name="Maria Example",
        first_name="Maria",
        last_name="Example",
        email="maria.example@example.org",
        mailing_address="100 Sample Street, Fresno, CA 93721",
    )
    PartyFactory(
        case=case,
        role=PartyRole.EMPLOYER,
        name="Central Valley Packing Co.",
        email="hr@centralvalley.example.com",
    )
    PartyFactory(
        case=case,
        role=PartyRole.CLAIMS_ADMINISTRATOR,
        name="Golden State Claims Services",
        email="ur-desk@goldenstateclaims.example.com",
        claim_number="GSC-07-118204",
    )
    PartyFactory(
        case=case,
        role=PartyRole.REQUESTING_PROVIDER,
        name="Dr. Alan Treating",
        specialty="Pain Medicine",
        email="office@treating-pain.example.com",
        npi="1234567893",
    )
    DisputedItemFactory(case=case, position=1)
    DisputedItemFactory(
        case=case,
        position=2,
        description="TPI 20553 X6 in the Right Lumbar Paraspinals DOS 12/29/15",
        category=ItemCategory.INJECTIONS,
        procedure_code="20553",
        quantity=6,
        body_part="lumbar paraspinals",
        ur_decision=URDecision.DENIED,
        claims_administrator_guideline="MTUS Chronic Pain Treatment Guidelines Trigger Point Injections",
    )
    return case


class ReviewerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reviewer

    user = factory.SubFactory(UserFactory, role=roles.REVIEWER)
    reviewer_number = factory.Sequence(lambda n: f"R{n + 1000:05d}")
    in_practice_since = date(2000, 7, 1)
    weekly_practice_hours = Decimal("32.0")
    hours_attested_on = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    max_open_cases = 10


class LicenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = License

    reviewer = factory.SubFactory(ReviewerFactory)
    position = factory.Sequence(lambda n: n + 1)
    state = "CA"
    number = factory.Sequence(lambda n: f"A{n + 10000}")
    expires_on = factory.LazyFunction(lambda: date.today() + timedelta(days=700))


class BoardCertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardCertification

    reviewer = factory.SubFactory(ReviewerFactory)
    position = factory.Sequence(lambda n: n + 1)
    specialty = "Physical Medicine and Rehabilitation"
    board = "American Board of Physical Medicine and Rehabilitation"


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Affiliation

    reviewer = factory.SubFactory(ReviewerFactory)
    name = factory.Faker("company")


def make_seed_reviewer(**reviewer_fields) -> Reviewer:
    """The seed letter's reviewer: licensed in GA, CA and TX; Preventive and Occupational Medicine."""
    reviewer = ReviewerFactory(**reviewer_fields)
    for position, state in enumerate(["GA", "CA", "TX"], start=1):
        LicenseFactory(reviewer=reviewer, position=position, state=state)
    for position, specialty in enumerate(["Preventive Medicine", "Occupational Medicine"], start=1):
        BoardCertificationFactory(reviewer=reviewer, position=position, specialty=specialty, board="ABPM")
    return reviewer


class DeterminationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Determination

    case = factory.SubFactory(CaseFactory)
    reviewer = factory.SubFactory(ReviewerFactory)
    clinical_case_summary = "This 45-year-old woman sustained an industrial injury on 5/3/2007."


class ItemDecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemDecision

    determination = factory.SubFactory(DeterminationFactory)
    disputed_item = factory.SubFactory(DisputedItemFactory)
    decision = Decision.UPHELD
    reviewer_guideline = "MTUS Chronic Pain Treatment Guidelines Physical Medicine Page(s): 98-99 of 127"
    rationale = "Medical necessity is not established."
