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
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice

from billing.jobs import render_invoice
from billing.services.invoicing import issue_month
from cases import deadlines
from cases.models import (
    AccessAction,
    AccessLogEntry,
    Case,
    CaseEvent,
    CaseStatus,
    DocumentKind,
    NoticeKind,
    PartyRole,
)
from cases.services import case_actions
from cases.services.documents import add_document
from core import clock
from core.models import OutboxJob
from determinations.models import DeterminationStatus, GuidelineEntry, GuidelineSource, Notice
from determinations.services.letters import issue_letter
from determinations.services.post_batches import build_post_batch, request_post_batch
from exchange.services.intake import import_case
from imr_site import roles
from library.services.publication import publish_determination
from portal.models import Membership, Organization, OrganizationKind, RecordKind, RecordSubmission
from portal.services import links
from portal.services.organizations import create_api_token, link_case
from portal.services.records import RecordUpload, Submitter, submit_records
from reports.rollups import refresh_changed
from reviewers.models import SpecialtyRule
from tests.billing.support import billed_case
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.determinations.letters_support import approved_seed_determination, seed_payload
from tests.determinations.review_support import case_for_review
from tests.factories import UserFactory, make_seed_reviewer
from tests.notices.support import to_confirmed_eligible
from tests.second_factor import SecondFactorClient, totp_device

# The roles of the matrix, in the order they are asked.
ANONYMOUS = "anonymous"
PASSWORD_ONLY = "password_only"  # an intake staff member who passed the password, not the second factor
INTAKE = "intake"
QA = "qa"
ASSIGNED = "assigned_reviewer"
OTHER_REVIEWER = "other_reviewer"
ADMIN = "admin"
ORG_USER = "org_user"  # a user of the claims administrator linked to the matrix cases (the portal)
OTHER_ORG_USER = "other_org_user"  # a user of another organization, linked to other cases only
API_KEY = "api_key"  # no session: the linked organization's API token (Authorization: Api-Key ...)
OTHER_API_KEY = "other_api_key"  # no session: the other organization's API token
ROLES = (
    ANONYMOUS,
    PASSWORD_ONLY,
    INTAKE,
    QA,
    ASSIGNED,
    OTHER_REVIEWER,
    ADMIN,
    ORG_USER,
    OTHER_ORG_USER,
    API_KEY,
    OTHER_API_KEY,
)
SIGNED_IN = (INTAKE, QA, ASSIGNED, OTHER_REVIEWER, ADMIN, ORG_USER, OTHER_ORG_USER)
WITH_TOKEN = (API_KEY, OTHER_API_KEY)


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
    # The portal: ORG_USER's organization is the claims administrator of `issued` (its letter) and
    # of `case_in_review` (records still open); OTHER_ORG_USER's is linked to `other_case` only.
    organization: Any
    other_organization: Any
    api_tokens: dict[str, str]  # API_KEY / OTHER_API_KEY -> the token
    submission: Any  # records ORG_USER uploaded to case_in_review in the portal
    party_token: str  # the employee's per-party link to `issued` (its letter)
    party_upload_token: str  # the employee's per-party link to case_in_review ...
    party_submission: Any  # ... and the records uploaded through it
    invitation: tuple[str, str]  # (uidb64, token) of an invited organization user
    notice: Any  # a NOARFI sent by the workflow step (its PDF and deliveries)
    invoice: Any  # an issued invoice (its PDF rendered) for a case withdrawn in May 2021
    report_kind: str  # a report that names cases (one access-log row per case shown)
    post_batch: Any  # the post tray printed by INTAKE as one PDF (built)


def _records(label: str) -> list[RecordUpload]:
    return [
        RecordUpload(
            file=upload(make_pdf_bytes(label=label)),
            kind=RecordKind.MEDICAL_RECORDS,
            date_from=date(2015, 1, 5),
            date_to=date(2015, 2, 20),
        )
    ]


def _portal(
    *, world_users: dict[str, Any], issued: Any, case_in_review: Any, other_case: Any
) -> dict[str, Any]:
    """Two organizations, their users and tokens, per-party links, uploads and an invitation."""
    staff = world_users[INTAKE]
    organization = Organization.objects.create(
        name="Matrix Claims Services",
        kind=OrganizationKind.CLAIMS_ADMINISTRATOR,
        email="ur@matrix.example.com",
    )
    other_organization = Organization.objects.create(
        name="Other Claims Services", kind=OrganizationKind.CLAIMS_ADMINISTRATOR
    )
    for case in (issued.case, case_in_review):
        link_case(organization_id=organization.pk, case_id=case.pk, by=staff)
    link_case(organization_id=other_organization.pk, case_id=other_case.pk, by=staff)
    world_users[ORG_USER] = UserFactory(username="matrix_adjuster", email="adjuster@matrix.example.com")
    world_users[OTHER_ORG_USER] = UserFactory(username="other_adjuster", email="adjuster@other.example.com")
    Membership.objects.create(user=world_users[ORG_USER], organization=organization, invited_by=staff)
    Membership.objects.create(
        user=world_users[OTHER_ORG_USER], organization=other_organization, invited_by=staff
    )
    invited = UserFactory(username="matrix_invited", email="invited@matrix.example.com")
    Membership.objects.create(user=invited, organization=organization, invited_by=staff)
    submission = submit_records(
        case_id=case_in_review.pk,
        uploads=_records("records from the claims administrator"),
        submitter=Submitter(label=organization.name, organization=organization, user=world_users[ORG_USER]),
    )
    upload_link = links.party_link(case_id=case_in_review.pk, role=PartyRole.EMPLOYEE)
    party_submission = submit_records(
        case_id=case_in_review.pk,
        uploads=_records("records from the employee"),
        submitter=Submitter(label="the employee (case link)", party_link=upload_link),
    )
    assert RecordSubmission.objects.count() == 2
    return {
        "organization": organization,
        "other_organization": other_organization,
        "api_tokens": {
            API_KEY: create_api_token(organization=organization),
            OTHER_API_KEY: create_api_token(organization=other_organization),
        },
        "submission": submission,
        "party_token": links.link_path(
            links.party_link(case_id=issued.case.pk, role=PartyRole.EMPLOYEE)
        ).split("/")[-2],
        "party_upload_token": links.link_path(upload_link).split("/")[-2],
        "party_submission": party_submission,
        "invitation": (
            urlsafe_base64_encode(force_bytes(invited.pk)),
            default_token_generator.make_token(invited),
        ),
    }


def _invoice() -> Any:
    """A case withdrawn in May 2021, invoiced, the PDF rendered."""
    billed_case(received_on=date(2021, 4, 1), outcome="withdrawn", outcome_on=date(2021, 5, 4))
    invoice = issue_month(period=date(2021, 5, 1)).invoices[0]
    render_invoice(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.sha256
    return invoice


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
    # Its records were complete in March 2015: the letter issued today is late (the late
    # determinations report names it).
    records_complete_on = date(2015, 3, 20)
    Case.objects.filter(pk=issued.case_id).update(
        records_complete_on=records_complete_on,
        determination_due=deadlines.compute_determination_due(
            records_complete_on=records_complete_on, expedited=False, formulary_only=False
        ),
    )
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
    # A NOARFI sent through the workflow step (a fifth case, a new application through the intake).
    # Its own claim number: the same claim, UR decision and treatment would be a duplicate filing.
    application = {key: value for key, value in seed_payload().items() if key != "determination"}
    application["case_number"] = "CM15-0900005"
    application["claims_administrator"] = {
        **application["claims_administrator"],
        "claim_number": "MX-0900005",
    }
    noticed = to_confirmed_eligible(import_case(payload=application), users[INTAKE])
    case_actions.send_notice_of_assignment(case_id=noticed.pk, by=users[INTAKE])
    notice = Notice.objects.get(case=noticed, kind=NoticeKind.NOARFI)
    portal = _portal(world_users=users, issued=issued, case_in_review=case_in_review, other_case=other_case)
    invoice = _invoice()
    refresh_changed(full=True)  # the reports' rollups
    post_batch = build_post_batch(batch_id=request_post_batch(user=users[INTAKE]).pk)
    assert job is not None
    CaseEvent.objects.create(case=case_in_review, kind=CaseEvent.Kind.IMPORTED, effective_on=clock.today())
    AccessLogEntry.objects.create(case=case_in_review, action=AccessAction.VIEW_CASE, object_repr="seed")
    # Catalogs a migration seeds: a transactional test run before this one flushed them.
    SpecialtyRule.objects.get_or_create(
        category="physical_medicine", body_region="", specialty="Physical Medicine and Rehabilitation"
    )
    GuidelineEntry.objects.get_or_create(
        citation="MTUS Chronic Pain Treatment Guidelines Opioids", defaults={"source": GuidelineSource.MTUS}
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
        invoice=invoice,
        notice=notice,
        report_kind="late_determinations",
        post_batch=post_batch,
        **portal,
    )


def clients(world: World) -> dict[str, Client]:
    """One client per role: signed in as that role (the second factor passed), except the
    anonymous one and the password-only one (DEBUG is off in the tests: the factor is required)."""
    made: dict[str, Client] = {ANONYMOUS: Client(), PASSWORD_ONLY: Client()}
    for role in WITH_TOKEN:  # no session: only the API's Authorization header
        made[role] = Client(headers={"Authorization": f"Api-Key {world.api_tokens[role]}"})
    made[PASSWORD_ONLY].force_login(world.users[PASSWORD_ONLY])
    for role in SIGNED_IN:
        client = SecondFactorClient()
        client.force_login(world.users[role])
        made[role] = client
    return made


def content_type_id(model) -> int:
    return ContentType.objects.get_for_model(model).pk
