"""A case submitted through the API: exchange's import rules, all-or-nothing, idempotent.

The application is imported by `exchange.services.intake.import_case` (the rules of
`import_cases`: the same checks, the same field paths in the errors). The case, the submitting
organization's link to it and, with an `Idempotency-Key`, the stored first answer are written
in one transaction: a retried POST with the same key and body gets that answer again (and no
second case); the same key with another body is refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from cases.errors import IntakeError
from cases.models import Case
from exchange.services.intake import IntakeSource, import_case
from portal.errors import IdempotencyConflictError, PortalError
from portal.models import IdempotentRequest, Organization
from portal.services.organizations import link_submitted_case

KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,200}")
# What an application does not carry: the IMRO numbers the case and records its history.
REFUSED_KEYS = {
    "case_number": "the IMRO gives the case its number; leave case_number out",
    "history": "an application carries no history; the IMRO records it",
    "determination": "an application carries no determination",
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    case: Case | None
    replayed: bool = False


def case_body(case: Case) -> dict[str, Any]:
    return {
        "case_number": case.case_number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "url": reverse("api:case", args=[case.case_number]),
    }


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not KEY_PATTERN.fullmatch(key):
        raise PortalError(
            "The Idempotency-Key header must be 1 to 200 visible ASCII characters (a UUID is best).",
            field="Idempotency-Key",
        )
    return key


def _replay(*, organization: Organization, key: str, body_sha256: str, where: str) -> Answer | None:
    stored = (
        IdempotentRequest.objects.filter(organization=organization, key=key).select_related("case").first()
    )
    if stored is None:
        return None
    if stored.body_sha256 != body_sha256 or stored.method_path != where:
        raise IdempotencyConflictError(
            "This Idempotency-Key was already used with a different request; "
            "use a new key for a new request.",
            field="Idempotency-Key",
        )
    return Answer(status=stored.status_code, body=stored.response, case=stored.case, replayed=True)


def submit_case(
    *, organization: Organization, payload: Any, body: bytes, idempotency_key: str | None, where: str
) -> Answer:
    key = check_key(idempotency_key)
    body_sha256 = hashlib.sha256(body).hexdigest()
    if key is not None:
        replayed = _replay(organization=organization, key=key, body_sha256=body_sha256, where=where)
        if replayed is not None:
            return replayed
    if isinstance(payload, dict):
        refused = [(name, message) for name, message in REFUSED_KEYS.items() if name in payload]
        if refused:
            raise IntakeError(errors=refused)
    try:
        with transaction.atomic():
            case = import_case(payload=payload, by=None, source=IntakeSource.API)
            link_submitted_case(organization=organization, case=case)
            answer = Answer(status=201, body=case_body(case), case=case)
            if key is not None:
                IdempotentRequest.objects.create(
                    organization=organization,
                    key=key,
                    method_path=where,
                    body_sha256=body_sha256,
                    status_code=answer.status,
                    response=answer.body,
                    case=case,
                )
    except IntegrityError:
        # Another request with the same key committed first: its answer is this one's.
        if key is None:
            raise
        replayed = _replay(organization=organization, key=key, body_sha256=body_sha256, where=where)
        if replayed is None:
            raise
        return replayed
    return answer
