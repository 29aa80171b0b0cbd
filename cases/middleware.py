"""Refused attempts on case data are logged too (HIPAA §164.312(b): who tried to see what).

A 403 or 404 answered to a signed-in user under a path that serves case data writes one
access-log row (action "refused", with the status, the path, the address and user agent).
The case is linked when the URL names one that exists (`case_id`, `case_number`,
`document_id`), so a case's export shows who probed it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse

from cases.models import AccessAction, Case, Document
from cases.services.audit import log_access

logger = logging.getLogger(__name__)

CASE_DATA_PATH_PREFIXES = (
    "/cases/",
    "/review/",
    "/letters/",
    "/documents/",
    "/reviewers/",
    "/admin/cases/",
    "/admin/determinations/",
    "/admin/reviewers/",
    "/admin/portal/",
    "/portal/",
    # An invoice names its cases; a report may (late determinations).
    "/billing/invoices/",
    "/reports/",
)
REFUSED_STATUSES = frozenset({403, 404})


def _case_named_by(request: HttpRequest) -> Case | None:
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    if isinstance(kwargs.get("case_id"), int):
        return Case.objects.filter(pk=kwargs["case_id"]).first()
    if isinstance(kwargs.get("case_number"), str):
        return Case.objects.filter(case_number=kwargs["case_number"]).first()
    if isinstance(kwargs.get("document_id"), int):
        document = Document.objects.select_related("case").filter(pk=kwargs["document_id"]).first()
        return document.case if document is not None else None
    return None


class RefusedAccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code in REFUSED_STATUSES
            and request.path_info.startswith(CASE_DATA_PATH_PREFIXES)
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            try:
                with transaction.atomic():
                    log_access(
                        user=request.user,
                        case=_case_named_by(request),
                        action=AccessAction.REFUSED,
                        object_repr=f"{response.status_code} {request.method} {request.path_info}",
                        request=request,
                        status_code=response.status_code,
                    )
            except DatabaseError:  # the refusal is still answered; the failure is in the server log
                logger.exception("could not log a refused request to %s", request.path_info[:200])
        return response
