"""At log-in, remember in the session whether the user belongs to an organization
(`portal.middleware` keeps such users inside the portal without a query per request)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.middleware import SESSION_KEY
from portal.models import Membership


@receiver(user_logged_in, dispatch_uid="portal.remember_organization")
def remember_organization(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    organization_id = (
        Membership.objects.filter(user_id=user.pk).values_list("organization_id", flat=True).first()
    )
    if organization_id:
        session[SESSION_KEY] = organization_id
    else:
        session.pop(SESSION_KEY, None)
