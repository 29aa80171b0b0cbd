"""Issuing the Final Determination letter: guards, idempotence, immutability, corrections.

Bad inputs tried: a determination still in draft, one with an item lacking a rationale, a
correction without a reason (blank and whitespace), issuing twice, issuing through the task
twice.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from cases.errors import GuardError
from cases.models import CaseEvent, CaseStatus, PartyRole
from determinations.jobs import ISSUE_LETTER
from determinations.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    DeterminationStatus,
    Letter,
)
from determinations.services.letters import LetterError, correct_letter, issue_letter
from tests.determinations.letters_support import (
    REVIEWER_LAST_NAME,
    approve,
    approved_seed_determination,
    body_text,
)
from tests.factories import PartyFactory, UserFactory
from tests.outbox_support import run_job_now

pytestmark = pytest.mark.django_db


def test_issue_stores_pdf_freezes_credentials_and_moves_the_case(mailoutbox):
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)

    determination.refresh_from_db()
    case = determination.case
    case.refresh_from_db()
    assert determination.status == DeterminationStatus.ISSUED
    assert determination.issued_on == letter.issued_on
    assert determination.licensure_states == ["GA", "CA", "TX"]
    assert determination.certifications == ["Preventive Medicine", "Occupational Medicine"]
    assert case.status == CaseStatus.DETERMINATION_ISSUED
    assert CaseEvent.objects.filter(case=case, to_status=CaseStatus.DETERMINATION_ISSUED).count() == 1

    data = letter.pdf.read()
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    assert data.startswith(b"%PDF")
    assert letter.pages >= 2
    assert "DRAFT" not in body_text(data) and REVIEWER_LAST_NAME not in body_text(data)
    # The credentials in the letter no longer follow the reviewer's records.
    determination.reviewer.licenses.all().delete()
    determination.refresh_from_db()
    assert determination.licensure_states == ["GA", "CA", "TX"]


def test_issue_creates_one_delivery_per_recipient_and_sends_email_ones(
    mailoutbox, django_capture_on_commit_callbacks
):
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(determination_id=determination.pk)
    deliveries = {d.recipient_role: d for d in letter.deliveries.all()}
    assert set(deliveries) == {
        PartyRole.EMPLOYEE,
        PartyRole.REQUESTING_PROVIDER,
        PartyRole.CLAIMS_ADMINISTRATOR,
        PartyRole.EMPLOYER,
    }
    assert all(d.status == DeliveryStatus.SENT for d in deliveries.values())
    assert sorted(m.to[0] for m in mailoutbox) == sorted(d.address for d in deliveries.values())


def test_attorney_and_employee_both_receive_it_and_no_email_goes_to_post(django_capture_on_commit_callbacks):
    """Represented employee: the attorney gets a copy AND the employee keeps theirs (issue 9)."""
    determination = approved_seed_determination()
    case = determination.case
    PartyFactory(
        case=case,
        role=PartyRole.ATTORNEY,
        name="Ada Counsel",
        organization="Counsel & Co LLP",
        email="",
        mailing_address="1 Law Plaza\nSacramento, CA 95814",
    )
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(determination_id=determination.pk)
    roles = set(letter.deliveries.values_list("recipient_role", flat=True))
    assert PartyRole.ATTORNEY in roles and PartyRole.EMPLOYEE in roles
    assert letter.deliveries.get(recipient_role=PartyRole.EMPLOYEE).address == "maria.example@example.org"
    to_attorney = letter.deliveries.get(recipient_role=PartyRole.ATTORNEY)
    assert to_attorney.channel == DeliveryChannel.POST
    assert to_attorney.status == DeliveryStatus.TO_POST
    assert to_attorney.address == "1 Law Plaza\nSacramento, CA 95814"
    assert to_attorney.recipient_name == "Ada Counsel, Counsel & Co LLP"


def test_issue_twice_returns_the_same_letter_and_never_rewrites_the_file(django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_letter(determination_id=determination.pk)
    path = first.pdf.path
    before = Path(path).read_bytes()
    mtime = os.stat(path).st_mtime_ns
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = issue_letter(determination_id=determination.pk)
    assert again.pk == first.pk
    assert callbacks == []  # nothing enqueued the second time
    job = run_job_now(ISSUE_LETTER, determination_id=determination.pk)  # a repeated issue job
    assert job.state == "done"
    assert Letter.objects.filter(determination=determination).count() == 1
    assert Delivery.objects.filter(letter=first).count() == 4
    assert Path(path).read_bytes() == before
    assert os.stat(path).st_mtime_ns == mtime
    assert hashlib.sha256(before).hexdigest() == again.sha256


def test_issue_refuses_a_determination_not_approved():
    determination = approved_seed_determination(status=DeterminationStatus.SUBMITTED)
    with pytest.raises(LetterError, match="only a determination approved by QA"):
        issue_letter(determination_id=determination.pk)
    assert not Letter.objects.exists()


def test_issue_refuses_an_item_without_rationale():
    determination = approved_seed_determination(status=DeterminationStatus.DRAFT)
    item = determination.items.first()
    item.rationale = "   "
    item.save()
    approve(determination)
    with pytest.raises(GuardError, match="every item needs a decision"):
        issue_letter(determination_id=determination.pk)
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.APPROVED
    assert determination.licensure_states == []
    assert not Letter.objects.exists()


def test_issue_refuses_a_case_not_in_qa_and_writes_nothing(settings, tmp_path):
    determination = approved_seed_determination(case_status=CaseStatus.IN_REVIEW)
    with pytest.raises(GuardError):
        issue_letter(determination_id=determination.pk)
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.APPROVED
    assert not Letter.objects.exists()
    letters_dir = settings.MEDIA_ROOT / "letters"
    assert not letters_dir.exists() or not any(letters_dir.rglob("*.pdf"))


def test_correction_makes_version_two_and_keeps_version_one(django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    staff = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = issue_letter(determination_id=determination.pk)
    first_bytes = first.pdf.read()
    for blank in ("", "   "):
        with pytest.raises(LetterError, match="needs a reason"):
            correct_letter(determination_id=determination.pk, by=staff, reason=blank)
    item = determination.items.first()
    # The corrected wording goes through the versioned path with its reason (issue 13).
    with django_capture_on_commit_callbacks(execute=True):
        second = correct_letter(
            determination_id=determination.pk,
            by=staff,
            reason="Typo in rationale",
            items={item.pk: {"rationale": item.rationale + " Corrected wording."}},
        )
    assert second.version == 2 and second.correction_reason == "Typo in rationale"
    first.refresh_from_db()
    assert first.pdf.read() == first_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == first.sha256
    assert second.sha256 != first.sha256
    assert "Corrected wording." in body_text(second.pdf.read())
    assert second.deliveries.count() == 4
    (corrected,) = CaseEvent.objects.filter(case=determination.case, kind=CaseEvent.Kind.LETTER_CORRECTED)
    assert corrected.reason == "Typo in rationale"
    assert corrected.data["reworded"] == [f"item {item.pk} rationale"]
    # The idempotent issue returns the newest version.
    assert issue_letter(determination_id=determination.pk).pk == second.pk
