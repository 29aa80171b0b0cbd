"""The one way to open a case document: access-checked, logged, never cached.

Someone who may not see the case gets the same 404 as for a document that does not exist,
so the answer never reveals that a document is there.
"""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404

from cases.models import AccessAction
from cases.selectors import document_visible_to
from cases.services.audit import log_access
from core.http import require_GET
from core.types import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)


@require_GET
def document(request: AuthenticatedHttpRequest, document_id: int) -> FileResponse:
    found = document_visible_to(user=request.user, document_id=document_id)
    if found is None:
        raise Http404("No such document.")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as error:
        logger.error("document %s of case %s: file %s is missing", found.pk, found.case_id, found.file.name)
        raise Http404("The file of this document is missing; tell an administrator.") from error
    log_access(
        user=request.user,
        case=found.case,
        action=AccessAction.VIEW_DOCUMENT,
        object_repr=f"document {found.pk}: {found}",
        request=request,
    )
    # The download name carries the case number only: the title may hold PHI.
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{found.case.case_number}-document-{found.pk}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened in a sandbox: a script in the file (should one have slipped past the upload
    # check) runs with no origin, no forms, no top navigation.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
