"""Publishing issued determinations to the decision library, and their redacted letters.

`publish_determination` is idempotent: it rewrites the determination's rows from its record
(so a repeat, or a retry after a crash, leaves the same rows) and makes the redacted letter
once. `unpublish_case` takes a case's rows out when an issued case is remanded (its
determination is superseded; the new one is published when it is issued).
"""

from __future__ import annotations

import hashlib
import io
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.timezone import localdate

from cases.models import Case, CaseEvent, CaseStatus, Party, PartyRole
from determinations.letter_selectors import latest_letter
from determinations.letters import build_letter_context, render_context_pdf
from determinations.models import Determination, DeterminationStatus
from library.models import PublishedItem, RedactedLetter
from library.redaction import ROLE_WORDS, Redactor, redactor_for
from library.selectors import note_published_specialties
from library.triggers import schedule_redacted_letter

# A determination is public only while it is the case's current, issued one, and the case
# is issued or closed after it (never withdrawn, terminated or ineligible).
PUBLISHED_CASE_STATUSES = (CaseStatus.DETERMINATION_ISSUED, CaseStatus.CLOSED)
WITHHELD = "[withheld]"
PUBLISHED_HEADER: dict[str, str] = {
    "Employee": ROLE_WORDS[PartyRole.EMPLOYEE].capitalize(),
    "Claim Number": WITHHELD,
    "Employer": ROLE_WORDS[PartyRole.EMPLOYER].capitalize(),
    "Claims Administrator": ROLE_WORDS[PartyRole.CLAIMS_ADMINISTRATOR].capitalize(),
    "Requesting Provider": ROLE_WORDS[PartyRole.REQUESTING_PROVIDER].capitalize(),
    "Employee's Attorney": ROLE_WORDS[PartyRole.ATTORNEY].capitalize(),
}


def is_publishable(determination: Determination) -> bool:
    return (
        determination.status == DeterminationStatus.ISSUED
        and determination.case.status in PUBLISHED_CASE_STATUSES
    )


def decision_date(*, determination: Determination) -> date:
    """The letter's date; for a past case imported without one, its mailing date, else the day
    the case entered determination_issued in its history, else the day it was recorded."""
    if determination.issued_on is not None:
        return determination.issued_on
    if determination.mailed_on is not None:
        return determination.mailed_on
    entered = (
        CaseEvent.objects.filter(case_id=determination.case_id, to_status=CaseStatus.DETERMINATION_ISSUED)
        .order_by("-effective_on", "-id")
        .values_list("effective_on", flat=True)
        .first()
    )
    return entered or localdate(determination.created_at)


def _published_rows(*, determination: Determination, redact: Redactor) -> list[PublishedItem]:
    case = determination.case
    specialty = "; ".join(determination.certifications or [])[:300]
    decided_on = decision_date(determination=determination)
    rows = []
    for decision in determination.items.select_related("disputed_item").order_by("disputed_item__position"):
        item = decision.disputed_item
        if not decision.decision:
            continue
        treatment = redact(" ".join(item.description.split()))[:500]
        guideline = redact(decision.reviewer_guideline.strip())
        rationale = redact(decision.rationale.strip())
        rows.append(
            PublishedItem(
                case=case,
                determination=determination,
                item_decision=decision,
                disputed_item=item,
                case_number=case.case_number,
                position=item.position,
                decided_on=decided_on,
                injury_date=case.injury_date,
                received_on=case.received_on,
                specialty=specialty,
                category=item.category,
                formulary_drug=item.formulary_drug,
                treatment=treatment,
                decision=decision.decision,
                guideline=guideline,
                rationale=rationale,
                search_text=f"{treatment}\n{guideline}\n{rationale}",
            )
        )
    return rows


def case_redactor(*, case: Case) -> Redactor:
    return redactor_for(Party.objects.filter(case=case))


def publish_determination(
    *, determination_id: int, make_letter: bool = True, letter_later: bool = False
) -> list[PublishedItem]:
    """(Re)write the library's rows of a determination and make its redacted letter once.

    A determination that is not (or no longer) publishable has its rows removed instead.
    `make_letter=False` (a large backfill) leaves the letter to its first download;
    `letter_later=True` (the publication job) schedules it (`schedule_redacted_letter`) in the
    same transaction as the rows instead of rendering it now.
    """
    with transaction.atomic():
        determination = (
            Determination.objects.select_for_update(of=("self",))
            .select_related("case")
            .filter(pk=determination_id)
            .first()
        )
        if determination is None:
            return []
        PublishedItem.objects.filter(case_id=determination.case_id).delete()
        if not is_publishable(determination):
            return []
        redact = case_redactor(case=determination.case)
        rows = PublishedItem.objects.bulk_create(_published_rows(determination=determination, redact=redact))
        # The public search's list of specialties may gain one (now, and once committed).
        specialties = {row.specialty for row in rows}
        transaction.on_commit(lambda: note_published_specialties(specialties))
        if letter_later:
            schedule_redacted_letter(determination_id=determination_id)
    note_published_specialties(specialties)
    if make_letter:
        ensure_redacted_letter(determination_id=determination_id)
    return rows


def unpublish_case(*, case_id: int) -> int:
    """Remove a case from the library (its determination was superseded). Returns rows removed."""
    deleted, _ = PublishedItem.objects.filter(case_id=case_id).delete()
    return deleted


# ---- the redacted letter ----


def redacted_letter_context(*, determination: Determination) -> dict[str, Any]:
    """The letter's context with every party field replaced, in header, body and copies alike."""
    redact = case_redactor(case=determination.case)
    context = build_letter_context(determination=determination, redact=redact)
    context["header"] = [
        (label, PUBLISHED_HEADER.get(label, redact(str(value)))) for label, value in context["header"]
    ]
    context["copies_to"] = [
        {"role_label": copy["role_label"], "name": WITHHELD} for copy in context["copies_to"]
    ]
    context["published_copy"] = True
    return context


def render_redacted_pdf(*, determination: Determination) -> bytes:
    return render_context_pdf(context=redacted_letter_context(determination=determination), draft=False)


def ensure_redacted_letter(*, determination_id: int) -> RedactedLetter | None:
    """The redacted copy of the determination's latest letter: made once, then read.

    None when the determination is not publishable. Concurrent first requests may both
    render; the unique constraint keeps one row and the loser's file is removed.
    """
    determination = Determination.objects.select_related("case").filter(pk=determination_id).first()
    if determination is None or not is_publishable(determination):
        return None
    letter = latest_letter(determination=determination)
    source_version = letter.version if letter is not None else 0
    existing = RedactedLetter.objects.filter(
        determination=determination, source_version=source_version
    ).first()
    if existing is not None:
        return existing
    from pypdf import PdfReader  # here, not at load: about 0.1 s for every process that loads the app

    pdf = render_redacted_pdf(determination=determination)
    redacted = RedactedLetter(
        determination=determination,
        source_version=source_version,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=len(PdfReader(io.BytesIO(pdf)).pages),
    )
    redacted.pdf.save(f"{redacted.sha256}.pdf", ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            redacted.save()
    except IntegrityError:
        # Another request stored it first; files are named by content, so the same file.
        return RedactedLetter.objects.get(determination=determination, source_version=source_version)
    return redacted
