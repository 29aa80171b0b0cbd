"""Organizations, their users (invited by staff), their links to cases and their API tokens."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.models import AccessAction, Case
from cases.services.audit import log_access
from core import outbox
from imr_site.links import absolute_url
from portal.errors import PortalError
from portal.models import (
    CaseLink,
    CaseLinkSource,
    Membership,
    Organization,
    OrganizationAPIKey,
    OrganizationKind,
)

logger = logging.getLogger(__name__)

INVITE_EMAIL = "portal.invite_email"


def get_or_create_organization(
    *, name: str, kind: str = OrganizationKind.CLAIMS_ADMINISTRATOR
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise PortalError("Give the organization's name.", field="name")
    if kind not in OrganizationKind.values:
        raise PortalError(f"Unknown kind of organization {kind!r}.", field="kind")
    organization, _ = Organization.objects.get_or_create(name=name, defaults={"kind": kind})
    return organization


def create_api_token(*, organization: Organization, name: str = "API token") -> str:
    """A new token of the organization; only its hash is kept, so the caller shows it once."""
    _, key = OrganizationAPIKey.objects.create_key(organization=organization, name=name[:50])
    return key


@transaction.atomic
def link_case(*, organization_id: int, case_id: int, role: str | None = None, by: User) -> CaseLink:
    """Staff make the organization a party to the case, on purpose (never by a name match)."""
    organization = Organization.objects.select_for_update().get(pk=organization_id)
    case = Case.objects.get(pk=case_id)
    role = role or organization.party_role
    if CaseLink.objects.filter(organization=organization, case=case).exists():
        raise PortalError(f"{organization} is already linked to case {case.case_number}.")
    link = CaseLink.objects.create(
        organization=organization, case=case, role=role, source=CaseLinkSource.STAFF, linked_by=by
    )
    log_access(user=by, case=case, action=AccessAction.CHANGE, object_repr=f"linked {organization} as {role}")
    return link


def link_submitted_case(*, organization: Organization, case: Case) -> CaseLink:
    """The organization that submitted a case through the API is a party to it."""
    return CaseLink.objects.create(
        organization=organization,
        case=case,
        role=organization.party_role,
        source=CaseLinkSource.API_SUBMISSION,
    )


def invite_link(*, user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse("portal:accept_invite", args=[uid, token]))


@transaction.atomic
def invite_user(
    *, organization_id: int, username: str, email: str, first_name: str = "", last_name: str = "", by: User
) -> User:
    """Create the user (no usable password) as a member of the organization and email them an
    invitation to choose a password; at their first log-in they set up the second factor."""
    organization = Organization.objects.get(pk=organization_id)
    username = (username or "").strip()
    email = (email or "").strip()
    if not username:
        raise PortalError("Give a username.", field="username")
    if not email:
        raise PortalError("Give the person's email address: the invitation goes there.", field="email")
    user_model = get_user_model()
    if user_model.objects.filter(username__iexact=username).exists():
        raise PortalError(f"The username {username!r} is taken; choose another.", field="username")
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=username, email=email, first_name=first_name, last_name=last_name
            )
    except IntegrityError as error:
        raise PortalError(f"The username {username!r} is taken; choose another.", field="username") from error
    Membership.objects.create(user=user, organization=organization, invited_by=by)
    outbox.enqueue(
        INVITE_EMAIL, payload={"user_id": user.pk}, key=f"invite:{user.pk}", by=by, cause="invited"
    )
    return user


def send_invite_email(*, user_id: int) -> None:
    user = get_user_model().objects.select_related("portal_membership__organization").get(pk=user_id)
    if user.has_usable_password():  # already accepted: a replayed job sends nothing
        return
    organization = user.portal_membership.organization
    from django.conf import settings

    body = (
        f"You are invited to the {settings.IMRO_NAME} Independent Medical Review portal for "
        f"{organization.name}.\n\nChoose your password here (the link works once):\n"
        f"{invite_link(user=user)}\n\n"
        "At your first log-in you will set up a second factor (an authenticator app).\n"
    )
    EmailMessage(
        subject=f"Your invitation to the {settings.IMRO_SHORT_NAME} IMR portal",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    ).send()


def is_member(user: AbstractBaseUser) -> bool:
    return Membership.objects.filter(user_id=user.pk).exists()
