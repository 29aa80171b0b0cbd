"""Who viewed or changed which case's protected health information."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from cases.models import AccessAction, AccessLogEntry, Case


def log_access(
    *,
    user: AbstractBaseUser | None,
    case: Case | None,
    action: AccessAction | str,
    object_repr: str = "",
    request: HttpRequest | None = None,
) -> AccessLogEntry:
    return AccessLogEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        case=case,
        action=action,
        object_repr=object_repr[:200],
        path=(request.get_full_path()[:300] if request is not None else ""),
    )
