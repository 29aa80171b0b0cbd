"""Issuing the Final Determination letter: render once, store, freeze, deliver.

An issued Letter never changes: its file is written once under a name derived from its
SHA-256 and nothing here (or anywhere) rewrites it. A correction is a new version.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from cases.errors import GuardError
from cases.models import Case, CaseEventKind, CaseStatus
from cases.services.workflow import record_case_event, transition_case
from core import outbox
from core.clock import today
from determinations.jobs import SEND_DELIVERY
from determinations.letter_selectors import LetterRecipient, letter_recipients
from determinations.letters import letter_credentials, render_letter
from determinations.models import (
    CORRECTABLE_ITEM_FIELDS,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Determination,
    DeterminationStatus,
    Letter,
    Notice,
    correcting,
)
from reviewers.services.assignment import end_assignments


class LetterError(GuardError):
    """A letter cannot be issued or corrected; the message says why."""


def _lock_determination(*, determination_id: int) -> Determination:
    """Lock the case, then the determination: the same order as the review workflow's writes."""
    try:
        case_id = Determination.objects.values_list("case_id", flat=True).get(pk=determination_id)
    except Determination.DoesNotExist as error:
        raise LetterError(f"Determination {determination_id} does not exist.") from error
    Case.objects.select_for_update().get(pk=case_id)
    return Determination.objects.select_for_update().select_related("case").get(pk=determination_id)


def _ensure_issuable(*, determination: Determination) -> None:
    case_number = determination.case.case_number
    if determination.status != DeterminationStatus.APPROVED:
        raise LetterError(
            f"The determination for case {case_number} is {determination.get_status_display().lower()}; "
            "only a determination approved by QA can be issued."
        )
    if determination.case.status != CaseStatus.QA_REVIEW:
        raise LetterError(
            f"Case {case_number} is {determination.case.get_status_display().lower()}; "
            "a letter is issued only from QA review."
        )
    items = list(determination.items.select_related("disputed_item"))
    if not items:
        raise LetterError(f"The determination for case {case_number} decides no disputed item.")
    missing = [
        item.disputed_item.description
        for item in items
        if not (item.decision and item.reviewer_guideline.strip() and item.rationale.strip())
    ]
    if missing:
        raise LetterError(
            f"Case {case_number}: every item needs a decision, a guideline and a rationale; "
            f"incomplete: {'; '.join(missing)}."
        )
    undecided = determination.case.disputed_items.exclude(decisions__determination=determination)
    if undecided.exists():
        raise LetterError(
            f"Case {case_number}: the determination leaves disputed items undecided: "
            f"{'; '.join(undecided.values_list('description', flat=True))}."
        )


def _store_letter(
    *,
    determination: Determination,
    version: int,
    by: User | None,
    recipients: list[LetterRecipient],
    correction_reason: str = "",
) -> Letter:
    rendered = render_letter(determination=determination, draft=False, recipients=recipients)
    pdf = rendered.data
    letter = Letter(
        determination=determination,
        version=version,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pages=rendered.pages,
        issued_on=determination.issued_on or today(),
        correction_reason=correction_reason,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    # save=False: the row is written once below, with the file name already set.
    letter.pdf.save(f"{letter.sha256}.pdf", ContentFile(pdf), save=False)
    try:
        letter.save()
    except Exception:
        _discard_file(letter=letter)
        raise
    return letter


def _discard_file(*, letter: Letter) -> None:
    # A rolled-back transaction cannot take back a written file: remove it ourselves.
    letter.pdf.storage.delete(letter.pdf.name)


def delivery_for(
    *,
    recipient: LetterRecipient,
    letter: Letter | None = None,
    notice: Notice | None = None,
    resend_of: Delivery | None = None,
) -> Delivery:
    """An unsaved Delivery of `letter` or `notice` to `recipient`: by email when it has one,
    else to the post tray."""
    status = DeliveryStatus.PENDING if recipient.method == DeliveryChannel.EMAIL else DeliveryStatus.TO_POST
    return Delivery(
        letter=letter,
        notice=notice,
        party=recipient.party,
        recipient_role=recipient.role,
        recipient_name=recipient.name,
        channel=recipient.method,
        address=recipient.address,
        status=status,
        resend_of=resend_of,
    )


def enqueue_send(*, delivery: Delivery, cause: str, by: User | None = None) -> None:
    """An outbox row that emails `delivery`, written in the caller's transaction."""
    outbox.enqueue(
        SEND_DELIVERY, payload={"delivery_id": delivery.pk}, key=f"delivery:{delivery.pk}", by=by, cause=cause
    )


def _create_deliveries(*, letter: Letter, recipients: list[LetterRecipient]) -> list[Delivery]:
    """One Delivery per recipient the letter names in its copies list: the same list."""
    deliveries = Delivery.objects.bulk_create(
        [delivery_for(letter=letter, recipient=recipient) for recipient in recipients]
    )
    for delivery in deliveries:
        if delivery.channel == DeliveryChannel.EMAIL:
            enqueue_send(delivery=delivery, cause=f"letter {letter.pk} issued")
    return deliveries


def issue_letter(*, determination_id: int, by: User | None = None) -> Letter:
    """Issue the letter of a QA-approved determination; returns the stored letter.

    Idempotent: when the determination already has a letter, that letter is returned and
    nothing is rendered, stored, transitioned or sent again.
    """
    with transaction.atomic():
        determination = _lock_determination(determination_id=determination_id)
        existing = determination.letters.order_by("-version").first()
        if existing is not None:
            return existing
        _ensure_issuable(determination=determination)
        # The letter states the credentials as they are today; later license changes
        # must not alter what an issued letter says.
        states, certifications = letter_credentials(determination=determination)
        if not states or not certifications:
            raise LetterError(
                f"Case {determination.case.case_number}: the reviewer has no recorded licensure "
                "state or certification to state in the letter."
            )
        determination.licensure_states = states
        determination.certifications = certifications
        determination.status = DeterminationStatus.ISSUED
        determination.issued_on = today()
        determination.save(
            update_fields=["licensure_states", "certifications", "status", "issued_on", "updated_at"]
        )
        # Read once, under the case lock: the copies the letter names are the deliveries made.
        recipients = letter_recipients(case=determination.case)
        letter = _store_letter(determination=determination, version=1, by=by, recipients=recipients)
        try:
            transition_case(
                case_id=determination.case_id,
                to=CaseStatus.DETERMINATION_ISSUED,
                by=by,
                expected_from=CaseStatus.QA_REVIEW,
                reason="Final Determination letter issued",
                data={"letter_id": letter.pk, "sha256": letter.sha256},
            )
            _create_deliveries(letter=letter, recipients=recipients)
            _release_reviewer(case=determination.case)
        except Exception:
            _discard_file(letter=letter)
            raise
        return letter


def _release_reviewer(*, case: Case) -> None:
    """The review is done: the reviewer no longer holds the case, so it leaves their open load.

    The assignment stays `accepted` (the record of who reviewed) but inactive.
    """
    end_assignments(case=case, status=None)


def _reword(
    *, determination: Determination, summary: str | None, items: dict[int, dict[str, str]] | None
) -> list[str]:
    """Apply a correction's new wording; returns what changed (for the event)."""
    changed: list[str] = []
    with correcting(determination_id=determination.pk):
        if summary is not None and summary != determination.clinical_case_summary:
            determination.clinical_case_summary = summary
            determination.save(update_fields=["clinical_case_summary", "updated_at"])
            changed.append("clinical_case_summary")
        by_id = {item.pk: item for item in determination.items.all()}
        for item_id, fields in (items or {}).items():
            item = by_id.get(item_id)
            if item is None:
                raise LetterError(f"Item decision {item_id} is not part of this determination.")
            unknown = set(fields) - set(CORRECTABLE_ITEM_FIELDS)
            if unknown:
                raise LetterError(
                    f"A correction rewords rationales and guidelines only, not {', '.join(sorted(unknown))}."
                )
            updated = [name for name, value in fields.items() if getattr(item, name) != value]
            for name in updated:
                setattr(item, name, fields[name])
            if updated:
                item.save(update_fields=updated)
                changed.extend(f"item {item_id} {name}" for name in updated)
    return changed


def correct_letter(
    *,
    determination_id: int,
    by: User | None,
    reason: str,
    summary: str | None = None,
    items: dict[int, dict[str, str]] | None = None,
) -> Letter:
    """Issue a corrected version of an issued letter; earlier versions are kept unchanged.

    The only way to change the wording of an issued determination: `summary` and `items`
    ({item decision id: {"rationale": ..., "reviewer_guideline": ...}}) are written in the
    same transaction as the new letter version and its event, which records the reason and
    what changed. A decision never changes here (that is a new review after a remand)."""
    reason = reason.strip()
    if not reason:
        raise LetterError("A corrected letter needs a reason.", field="reason")
    with transaction.atomic():
        determination = _lock_determination(determination_id=determination_id)
        if determination.status != DeterminationStatus.ISSUED or not determination.letters.exists():
            raise LetterError(f"Case {determination.case.case_number} has no issued letter to correct.")
        reworded = _reword(determination=determination, summary=summary, items=items)
        version = (determination.letters.aggregate(v=Max("version"))["v"] or 0) + 1
        recipients = letter_recipients(case=determination.case)
        letter = _store_letter(
            determination=determination,
            version=version,
            by=by,
            recipients=recipients,
            correction_reason=reason,
        )
        try:
            record_case_event(
                case=determination.case,
                by=by,
                kind=CaseEventKind.LETTER_CORRECTED,
                reason=reason,
                data={
                    "letter_id": letter.pk,
                    "version": version,
                    "sha256": letter.sha256,
                    "reworded": reworded,
                },
            )
            _create_deliveries(letter=letter, recipients=recipients)
        except Exception:
            _discard_file(letter=letter)
            raise
        return letter
