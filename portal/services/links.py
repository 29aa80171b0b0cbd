"""Per-case, per-party links for parties without an account (sent with the NOARFI and notices).

`party_link_url(case_id=..., role=...)` is what other code calls to put a party's link into a
notice: it returns the absolute link of the party's live link (made when there is none). The
URL carries a token signed with SECRET_KEY (django.core.signing, its own salt) naming a
`PartyLink` row and its random nonce; the row says until when the link works and whether staff
revoked it. A token whose signature does not check answers 404 (as an unknown page), an expired
or revoked link 410 with words saying to ask for a new one. The pages are rate-limited per
client address (PORTAL_LINK_RATE).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Party, PartyRole
from core import clock
from imr_site.links import absolute_url
from portal.errors import LinkError
from portal.models import PartyLink

SALT = "portal.party-link"


def _token(link: PartyLink) -> str:
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=SALT, compress=False)


def link_path(link: PartyLink) -> str:
    return reverse("portal:party_status", args=[_token(link)])


@transaction.atomic
def party_link(*, case_id: int, role: str) -> PartyLink:
    """The party's live link to the case (made, valid PORTAL_LINK_DAYS, when it has none)."""
    if role not in PartyRole.values:
        raise ValueError(f"unknown party role {role!r}")
    case = Case.objects.select_for_update().get(pk=case_id)
    now = clock.now()
    link = (
        PartyLink.objects.filter(case=case, role=role, revoked_at__isnull=True, expires_at__gt=now)
        .order_by("-expires_at")
        .first()
    )
    if link is None:
        link = PartyLink.objects.create(
            case=case,
            role=role,
            nonce=secrets.token_hex(16),
            expires_at=now + timedelta(days=settings.PORTAL_LINK_DAYS),
        )
    return link


def party_link_url(*, case_id: int, role: str) -> str:
    """The absolute link a notice gives the party in `role` on the case."""
    return absolute_url(link_path(party_link(case_id=case_id, role=role)))


def party_link_urls(*, case_id: int) -> dict[str, str]:
    """Every party of the case (by role) with its link: what a notice to all parties carries."""
    roles = Party.objects.filter(case_id=case_id).order_by("role").values_list("role", flat=True)
    return {role: party_link_url(case_id=case_id, role=role) for role in roles}


def resolve(*, token: str) -> PartyLink:
    """The live link a token names; raises LinkError (404 tampered, 410 expired or revoked)."""
    try:
        data = signing.loads(token, salt=SALT)
        link_id, nonce = int(data["l"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise LinkError("No such page.", status=404) from error
    link = PartyLink.objects.select_related("case").filter(pk=link_id, nonce=nonce).first()
    if link is None:
        raise LinkError("No such page.", status=404)
    if link.revoked_at is not None:
        raise LinkError(
            "This link was revoked. Ask the IMRO for a new link, or use the one in your latest notice.",
            status=410,
        )
    if link.expires_at <= clock.now():
        raise LinkError(
            f"This link expired on {timezone.localtime(link.expires_at):%m/%d/%Y}. "
            "Ask the IMRO for a new link.",
            status=410,
        )
    return link


def revoke(*, link_id: int, by: User) -> PartyLink:
    with transaction.atomic():
        link = PartyLink.objects.select_for_update().get(pk=link_id)
        if link.revoked_at is None:
            link.revoked_at = clock.now()
            link.revoked_by = by
            link.save(update_fields=["revoked_at", "revoked_by"])
    return link
