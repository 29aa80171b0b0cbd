"""Who viewed or changed which case's protected health information."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from cases.models import AccessAction, AccessLogEntry, Case


def log_access(
    *,
    user: User | None,
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


def log_listed_cases(
    *,
    user: User | None,
    case_ids: list[int],
    action: AccessAction | str,
    object_repr: str = "",
    request: HttpRequest | None = None,
) -> None:
    """One entry per case whose data another page showed (e.g. earlier IMRs of a claim); one query."""
    if not case_ids:
        return
    AccessLogEntry.objects.bulk_create(
        [
            AccessLogEntry(
                user=user if user is not None and user.is_authenticated else None,
                case_id=case_id,
                action=action,
                object_repr=object_repr[:200],
                path=(request.get_full_path()[:300] if request is not None else ""),
            )
            for case_id in case_ids
        ]
    )
