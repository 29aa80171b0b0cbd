"""The world the access matrix (test_access_matrix.py) walks: one object for every URL argument,
one client per role, and the list of every URL pattern of the root resolver.

Not collected (no test_ prefix).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_static.models import StaticDevice

from cases.models import AccessAction, AccessLogEntry, CaseEvent, CaseStatus, DocumentKind, PartyRole
from cases.services.documents import add_document
from core import clock
from core.models import OutboxJob
from determinations.models import DeterminationStatus
from determinations.services.letters import issue_letter
from imr_site import roles
from library.services.publication import publish_determination
from reviewers.models import SpecialtyRule
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.determinations.letters_support import approved_seed_determination
from tests.determinations.review_support import case_for_review
from tests.factories import UserFactory, make_seed_reviewer
from tests.second_factor import SecondFactorClient, totp_device

# The roles of the matrix, in the order they are asked.
ANONYMOUS = "anonymous"
PASSWORD_ONLY = "password_only"  # an intake staff member who passed the password, not the second factor
INTAKE = "intake"
QA = "qa"
ASSIGNED = "assigned_reviewer"
OTHER_REVIEWER = "other_reviewer"
ADMIN = "admin"
ROLES = (ANONYMOUS, PASSWORD_ONLY, INTAKE, QA, ASSIGNED, OTHER_REVIEWER, ADMIN)
SIGNED_IN = (INTAKE, QA, ASSIGNED, OTHER_REVIEWER, ADMIN)


def url_patterns() -> list[tuple[str, URLPattern]]:
    """Every URL pattern reachable from the root URL conf, as (full route, pattern)."""
    found: list[tuple[str, URLPattern]] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry, route)
            else:
                found.append((route, entry))

    walk(get_resolver(), "")
    return found


@dataclass
class World:
    """The objects every URL argument is filled from, and the users of each role."""

    users: dict[str, Any]
    case_in_review: Any  # assigned to ASSIGNED, accepted, in review
    other_case: Any  # assigned to OTHER_REVIEWER
    in_qa: Any  # a determination submitted to QA (by a third reviewer)
    issued: Any  # an issued determination with its letter and deliveries (published)
    letter: Any
    delivery: Any
    document: Any  # a document of case_in_review
    job: Any
    admin_objects: dict[str, int]  # "app_label/model_name" -> a pk


def build_world() -> World:
    users = {
        PASSWORD_ONLY: UserFactory(username="password_only", role=roles.INTAKE_STAFF),
        INTAKE: UserFactory(username="matrix_intake", role=roles.INTAKE_STAFF),
        QA: UserFactory(username="matrix_qa", role=roles.CLINICAL_QA),
        ADMIN: UserFactory(username="matrix_admin", role=roles.ADMINISTRATOR),
    }
    assigned = make_seed_reviewer(user=UserFactory(username="matrix_assigned", role=roles.REVIEWER))
    other = make_seed_reviewer(user=UserFactory(username="matrix_other", role=roles.REVIEWER))
    users[ASSIGNED], users[OTHER_REVIEWER] = assigned.user, other.user
    case_in_review, _ = case_for_review(reviewer=assigned, case_number="CM15-0900001")
    other_case, _ = case_for_review(reviewer=other, case_number="CM15-0900002")
    in_qa = approved_seed_determination(
        status=DeterminationStatus.SUBMITTED, case_status=CaseStatus.QA_REVIEW, case_number="CM15-0900003"
    )
    issued = approved_seed_determination(case_number="CM15-0900004")
    # The employer has no email: its copy goes on the post tray.
    issued.case.parties.filter(role=PartyRole.EMPLOYER).update(email="", mailing_address="1 Plant Rd")
    letter = issue_letter(determination_id=issued.pk)
    issued.refresh_from_db()
    publish_determination(determination_id=issued.pk, make_letter=False)
    delivery = letter.deliveries.order_by("id").first()
    document = add_document(
        case=case_in_review,
        uploaded_file=upload(make_pdf_bytes(label="matrix record")),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Progress note",
        received_on=date(2015, 3, 1),
        by=users[INTAKE],
    )
    job = OutboxJob.objects.order_by("pk").first()  # the letter's deliveries
    assert job is not None
    CaseEvent.objects.create(case=case_in_review, kind=CaseEvent.Kind.IMPORTED, effective_on=clock.today())
    AccessLogEntry.objects.create(case=case_in_review, action=AccessAction.VIEW_CASE, object_repr="seed")
    SpecialtyRule.objects.get_or_create(
        category="physical_medicine", body_region="", specialty="Physical Medicine and Rehabilitation"
    )
    AccessAttempt.objects.create(
        username="someone", ip_address="198.51.100.1", user_agent="ua", failures_since_start=1
    )
    AccessLog.objects.create(username="someone", ip_address="198.51.100.1", user_agent="ua")
    AccessFailureLog.objects.create(username="someone", ip_address="198.51.100.1", user_agent="ua")
    StaticDevice.objects.get_or_create(user=users[ADMIN], name="Backup codes")
    totp_device(users[ADMIN])
    admin_objects = {}
    for model in admin.site._registry:
        instance = model._default_manager.order_by("pk").first()
        assert instance is not None, f"the matrix needs one {model._meta.label} for its admin pages"
        admin_objects[f"{model._meta.app_label}/{model._meta.model_name}"] = instance.pk
    Group.objects.get(name=roles.REVIEWER)  # made by the role users above
    return World(
        users=users,
        case_in_review=case_in_review,
        other_case=other_case,
        in_qa=in_qa,
        issued=issued,
        letter=letter,
        delivery=delivery,
        document=document,
        job=job,
        admin_objects=admin_objects,
    )


def clients(world: World) -> dict[str, Client]:
    """One client per role: signed in as that role (the second factor passed), except the
    anonymous one and the password-only one (DEBUG is off in the tests: the factor is required)."""
    made: dict[str, Client] = {ANONYMOUS: Client(), PASSWORD_ONLY: Client()}
    made[PASSWORD_ONLY].force_login(world.users[PASSWORD_ONLY])
    for role in SIGNED_IN:
        client = SecondFactorClient()
        client.force_login(world.users[role])
        made[role] = client
    return made


def content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk
