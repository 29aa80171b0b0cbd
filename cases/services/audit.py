"""Who viewed or changed which case's protected health information.

Every read of case data writes an access-log row: in a web request with the user, the
client's address and user agent; in a management command with the operating-system user and
the command line. The rows are append-only (a PostgreSQL trigger refuses UPDATE and DELETE).
"""

from __future__ import annotations

import csv
import getpass
import os
import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpRequest

from cases.models import AccessAction, AccessLogEntry, Case
from core import clock
from imr_site.client_ip import client_ip

# Rows per INSERT when a command logs many cases at once.
BULK_BATCH = 1000


@dataclass(frozen=True)
class AccessContext:
    """Where a read came from: filled from a request, or from the running command."""

    path: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    os_user: str = ""
    command: str = ""


def request_context(request: HttpRequest | None) -> AccessContext:
    if request is None:
        return AccessContext()
    return AccessContext(
        path=request.get_full_path()[:300],
        ip_address=client_ip(request),  # the address the lockout counts by too
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


def command_context() -> AccessContext:
    """The operating-system user and the command line of the running process."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (e.g. in a container)
        os_user = f"uid {os.getuid()}"
    return AccessContext(os_user=os_user[:100], command=shlex.join(sys.argv)[:500])


def _entry(
    *,
    user: User | None,
    case_id: int | None,
    action: AccessAction | str,
    object_repr: str,
    context: AccessContext,
    status_code: int | None = None,
) -> AccessLogEntry:
    return AccessLogEntry(
        user=user if user is not None and user.is_authenticated else None,
        case_id=case_id,
        action=action,
        object_repr=object_repr[:200],
        path=context.path,
        ip_address=context.ip_address,
        user_agent=context.user_agent,
        os_user=context.os_user,
        command=context.command,
        status_code=status_code,
    )


def log_access(
    *,
    user: User | None,
    case: Case | None,
    action: AccessAction | str,
    object_repr: str = "",
    request: HttpRequest | None = None,
    status_code: int | None = None,
) -> AccessLogEntry:
    entry = _entry(
        user=user,
        case_id=case.pk if case is not None else None,
        action=action,
        object_repr=object_repr,
        context=request_context(request),
        status_code=status_code,
    )
    entry.save()
    return entry


def log_listed_cases(
    *,
    user: User | None,
    case_ids: list[int],
    action: AccessAction | str,
    object_repr: str = "",
    request: HttpRequest | None = None,
) -> None:
    """One entry per case whose data another page showed (e.g. earlier IMRs of a claim); one query.

    A listing of more than ACCESS_LOG_DEFERRED_ROWS cases (a report's CSV of a year's late
    determinations: thousands of rows, most of a second to insert) writes one outbox row instead,
    in the request's transaction; the job writes the same rows, stamped with the request's time,
    exactly once (`write_deferred_listing`). PostgreSQL only: SQLite writes them here."""
    if not case_ids:
        return
    context = request_context(request)
    if len(case_ids) > settings.ACCESS_LOG_DEFERRED_ROWS and connection.vendor == "postgresql":
        from cases.jobs import WRITE_ACCESS_LOG
        from core import outbox

        user_id = user.pk if user is not None and user.is_authenticated else None
        outbox.enqueue(
            WRITE_ACCESS_LOG,
            payload={
                "user_id": user_id,
                "case_ids": [int(case_id) for case_id in case_ids],
                "action": str(action),
                "object_repr": object_repr[:200],
                "path": context.path,
                "ip_address": context.ip_address,
                "user_agent": context.user_agent,
                "at": clock.now().isoformat(),
            },
            cause=f"access log of {len(case_ids)} listed cases",
        )
        return
    if connection.vendor == "postgresql":
        _insert_listing(
            user_id=user.pk if user is not None and user.is_authenticated else None,
            case_ids=[int(case_id) for case_id in case_ids],
            action=str(action),
            object_repr=object_repr[:200],
            path=context.path,
            ip_address=context.ip_address,
            user_agent=context.user_agent,
            at=clock.now(),
            only_once=False,
        )
        return
    AccessLogEntry.objects.bulk_create(
        [
            _entry(user=user, case_id=case_id, action=action, object_repr=object_repr, context=context)
            for case_id in case_ids
        ]
    )


def write_deferred_listing(
    *,
    user_id: int | None,
    case_ids: list[int],
    action: str,
    object_repr: str,
    path: str,
    ip_address: str | None,
    user_agent: str,
    at: str,
) -> int:
    """The rows `log_listed_cases` deferred: one statement, none when they were written already
    (a retried job: the same user, time, path and action mark the listing)."""
    return _insert_listing(
        user_id=user_id,
        case_ids=case_ids,
        action=action,
        object_repr=object_repr,
        path=path,
        ip_address=ip_address,
        user_agent=user_agent,
        at=at,
        only_once=True,
    )


def _insert_listing(
    *,
    user_id: int | None,
    case_ids: list[int],
    action: str,
    object_repr: str,
    path: str,
    ip_address: str | None,
    user_agent: str,
    at: str | datetime,
    only_once: bool,
) -> int:
    """A listing's access-log rows in one INSERT over an array of case ids (PostgreSQL): the ORM's
    bulk_create builds a model and compiles eleven values per row (5 ms for a page of 50)."""
    table = AccessLogEntry._meta.db_table
    params: list[Any] = [action, object_repr, path, at, user_id, ip_address, user_agent, case_ids]
    once = ""
    if only_once:
        once = f"""
            WHERE NOT EXISTS (
                SELECT 1 FROM {table}
                WHERE at = %s::timestamptz AND user_id IS NOT DISTINCT FROM %s AND path = %s
                  AND action = %s
            )"""  # noqa: S608 (the table name is the model's own)
        params += [at, user_id, path, action]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (action, object_repr, path, at, user_id, case_id, command, ip_address, os_user,
                 status_code, user_agent)
            SELECT %s, %s, %s, %s::timestamptz, %s, listed.case_id, '', %s::inet, '', NULL, %s
            FROM unnest(%s::bigint[]) AS listed(case_id){once}
            """,  # noqa: S608 (the table name is the model's own)
            params,
        )
        return cursor.rowcount


def log_command_access(
    *, case_ids: Iterable[int | None], action: AccessAction | str, object_repr: str
) -> int:
    """One entry per case a management command read, with the OS user and command line.

    `None` among `case_ids` writes one entry about no particular case (e.g. a log export)."""
    context = command_context()
    entries = [
        _entry(user=None, case_id=case_id, action=action, object_repr=object_repr, context=context)
        for case_id in case_ids
    ]
    AccessLogEntry.objects.bulk_create(entries, batch_size=BULK_BATCH)
    return len(entries)


class _TextSink(Protocol):
    def write(self, text: str, /) -> object: ...


ACCESS_LOG_CSV_COLUMNS = [
    "at",
    "user",
    "os_user",
    "action",
    "case_number",
    "object",
    "path",
    "status_code",
    "ip_address",
    "user_agent",
    "command",
]


def write_access_log_csv(*, entries: Iterable[AccessLogEntry], stream: _TextSink) -> int:
    """Write `entries` (with `user` and `case` selected) as CSV; returns the row count."""
    writer = csv.writer(stream)
    writer.writerow(ACCESS_LOG_CSV_COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow(
            [
                entry.at.isoformat(),
                entry.user.get_username() if entry.user is not None else "",
                entry.os_user,
                entry.action,
                entry.case.case_number if entry.case is not None else "",
                _csv_safe(entry.object_repr),
                _csv_safe(entry.path),
                entry.status_code or "",
                entry.ip_address or "",
                _csv_safe(entry.user_agent),
                _csv_safe(entry.command),
            ]
        )
        count += 1
    return count


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet never runs as a formula (search texts are typed by people)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
