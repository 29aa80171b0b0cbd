"""The NOARFI: its golden text for the seed case, its recipients, and that it is sent exactly once.

Bad inputs tried: the step on a case in the wrong state (received, awaiting records), the step
pressed twice, the notice issued again by hand, a party with neither email nor postal address
(the step names it; no notice, delivery, job, file or state change is left), a party with a
postal address only (the notice goes to the post tray and the records clock is the mail rule's),
the send job run again and redelivered after the email went.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.db import transaction

from cases import deadlines
from cases.errors import GuardError, TransitionNotAllowedError
from cases.models import CaseEvent, CaseEventKind, CaseStatus, NoticeKind, NoticeMethod, Party, PartyRole
from cases.services import case_actions
from core.models import OutboxJob, OutboxState
from determinations.jobs import SEND_DELIVERY
from determinations.models import Delivery, DeliveryChannel, DeliveryStatus, Notice
from determinations.services.delivery import mark_posted, send_delivery
from determinations.services.notices import NoticeError, issue_notice
from tests.determinations.letters_support import normalize
from tests.notices.support import (
    SEED_NOTICE_DAY,
    import_seed_application,
    notice_text,
    staff_user,
    to_confirmed_eligible,
)
from tests.outbox_support import enqueue_twice, run_job_now

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "noarfi-seed.txt"
SEED_ADDRESSES = {
    "maria.example@example.org",
    "hr@centralvalley.example.com",
    "ur-desk@goldenstateclaims.example.com",
    "office@treating-pain.example.com",
}


@pytest.fixture(autouse=True)
def _maximus(settings):
    settings.IMRO_NAME = "MAXIMUS Federal Services"
    settings.IMRO_SHORT_NAME = "MAXIMUS"
    settings.IMRO_ADDRESS = "P.O. Box 138009, Sacramento, CA 95813-8009"
    settings.IMRO_RECORDS_ADDRESS = ""


def _send(case, staff, callbacks, **kwargs):
    with callbacks(execute=True):
        return case_actions.send_notice_of_assignment(case_id=case.pk, by=staff, **kwargs)


def _pdf(notice: Notice) -> bytes:
    with notice.pdf.open("rb") as handle:
        return handle.read()


def test_golden_text_of_the_seed_case_noarfi(frozen_today, django_capture_on_commit_callbacks):
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    _send(case, staff, django_capture_on_commit_callbacks)
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    text = notice_text(_pdf(notice))
    assert text == normalize(GOLDEN.read_text(encoding="utf-8"))
    # The computed due date: 12 days after an electronic notice (Sat 3/14 rolls to Mon 3/16).
    assert notice.facts["records_due"] == "2015-03-16"


def test_content_names_the_treatments_physician_dates_and_due_date(
    frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(date(2015, 3, 4))
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    # The employer has no email: the NOARFI goes by post to it, so the mail rule (15 days) applies.
    Party.objects.filter(case=case, role=PartyRole.EMPLOYER).update(
        email="", mailing_address="1 Packing Way, Fresno, CA 93706"
    )
    _send(case, staff, django_capture_on_commit_callbacks)
    case.refresh_from_db()
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    due = deadlines.compute_records_due(
        notice_on=date(2015, 3, 4), notice_method=NoticeMethod.MAIL, expedited=False
    )
    assert case.notice_method == NoticeMethod.MAIL and case.records_due == due
    text = notice_text(_pdf(notice))
    for expected in (
        "Physical Therapy 2x8 for the Lumbar Spine",
        "TPI 20553 X6 in the Right Lumbar Paraspinals DOS 12/29/15",
        "requested by Dr. Alan Treating",
        "utilization review decision dated 02/06/2015",
        "received on 02/27/2015",
        "regular (standard) review",
        f"The records must be received by {due.strftime('%m/%d/%Y')}.",
        "15 calendar days after this notice was sent by mail",
        "six months before the request for authorization",
        "Mail the records to: P.O. Box 138009, Sacramento, CA 95813-8009",
    ):
        assert expected in text, expected


def test_sent_to_every_party_once_by_email_with_the_pdf(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    _send(case, staff, django_capture_on_commit_callbacks)
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    received = Counter(rcpt for m in smtp_server.messages for rcpt in m["rcpt_tos"])
    assert received == Counter(SEED_ADDRESSES)
    stored = _pdf(notice)
    for entry in smtp_server.messages:
        message = entry["message"]
        assert "CM15-0041877" in message["Subject"]
        assert "Notice of Assignment and Request for Information" in message["Subject"]
        pdfs = [
            (part.get_filename(), part.get_payload(decode=True))
            for part in message.walk()
            if part.get_content_type() == "application/pdf"
        ]
        assert pdfs == [("IMR-Notice-of-Assignment-and-Request-for-Information-CM15-0041877.pdf", stored)]
        body = next(
            part.get_payload(decode=True).decode()
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
        assert "Medical records are due by 03/16/2015" in body
        assert "Maria" not in body  # an email names the case by its number only
    # Every party reached by email: electronic, dated the day the emails went.
    case.refresh_from_db()
    notice.refresh_from_db()
    assert notice.completed_on == SEED_NOTICE_DAY
    assert case.notice_sent_on == SEED_NOTICE_DAY and case.notice_method == NoticeMethod.ELECTRONIC
    assert case.records_due == date(2015, 3, 16)
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.NOTICE_DELIVERED).count() == 1


def test_a_party_without_email_goes_to_the_post_and_the_mailing_date_sets_the_clock(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    Party.objects.filter(case=case, role=PartyRole.EMPLOYEE).update(email="")
    _send(case, staff, django_capture_on_commit_callbacks)
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    posted = Delivery.objects.get(notice=notice, recipient_role=PartyRole.EMPLOYEE)
    assert posted.channel == DeliveryChannel.POST and posted.status == DeliveryStatus.TO_POST
    assert "maria.example@example.org" not in {r for m in smtp_server.messages for r in m["rcpt_tos"]}
    assert len(smtp_server.messages) == 3
    notice.refresh_from_db()
    assert notice.completed_on is None  # the employee has not been sent it yet
    # Posted two days later: the records clock runs 15 days from the mailing date.
    frozen_today(date(2015, 3, 4))
    mark_posted(delivery_ids=[posted.pk], mailed_on=date(2015, 3, 4), by=staff)
    case.refresh_from_db()
    notice.refresh_from_db()
    assert notice.completed_on == date(2015, 3, 4)
    assert case.notice_sent_on == date(2015, 3, 4) and case.notice_method == NoticeMethod.MAIL
    assert case.records_due == deadlines.compute_records_due(
        notice_on=date(2015, 3, 4), notice_method=NoticeMethod.MAIL, expedited=False
    )


def test_pressed_twice_is_refused_and_nothing_is_sent_again(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    _send(case, staff, django_capture_on_commit_callbacks, expected_from=CaseStatus.ELIGIBILITY_REVIEW)
    with pytest.raises(TransitionNotAllowedError, match="changed by someone else"):
        _send(case, staff, django_capture_on_commit_callbacks, expected_from=CaseStatus.ELIGIBILITY_REVIEW)
    with pytest.raises(TransitionNotAllowedError, match="cannot have its NOARFI sent"):
        _send(case, staff, django_capture_on_commit_callbacks)
    # Issued again by hand (a retried step that got past the state check): refused by name.
    with transaction.atomic(), pytest.raises(NoticeError, match="already sent"):
        issue_notice(case=case, kind=NoticeKind.NOARFI, by=staff)
    assert Notice.objects.filter(case=case).count() == 1
    assert Delivery.objects.filter(notice__case=case).count() == 4
    assert len(smtp_server.messages) == 4


def test_wrong_state_is_refused_with_nothing_sent(django_capture_on_commit_callbacks):
    staff = staff_user()
    case = import_seed_application()
    with pytest.raises(TransitionNotAllowedError, match="Received: it cannot have its NOARFI sent"):
        _send(case, staff, django_capture_on_commit_callbacks)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="Confirm the case eligible"):
        _send(case, staff, django_capture_on_commit_callbacks)
    assert not Notice.objects.filter(case=case).exists()
    assert not OutboxJob.objects.filter(kind=SEND_DELIVERY).exists()


def test_a_party_with_no_address_at_all_is_named_and_nothing_is_half_sent(
    smtp_server, django_capture_on_commit_callbacks, settings
):
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    Party.objects.filter(case=case, role=PartyRole.EMPLOYER).update(email="", mailing_address="")
    with pytest.raises(GuardError) as refused:
        _send(case, staff, django_capture_on_commit_callbacks)
    assert "the employer Central Valley Packing Co." in refused.value.message
    assert "no email address and no postal address" in refused.value.message
    case.refresh_from_db()
    assert case.status == CaseStatus.ELIGIBILITY_REVIEW and case.notice_sent_on is None
    assert not Notice.objects.filter(case=case).exists()
    assert not Delivery.objects.filter(notice__case=case).exists()
    assert not OutboxJob.objects.filter(kind=SEND_DELIVERY).exists()
    assert smtp_server.messages == []
    notices_dir = Path(settings.MEDIA_ROOT) / "notices"
    assert not notices_dir.exists() or not any(notices_dir.rglob("*.pdf"))


def test_a_retried_or_redelivered_send_job_never_sends_twice(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    _send(case, staff, django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 4
    for delivery in Delivery.objects.filter(notice__case=case):
        assert run_job_now(SEND_DELIVERY, delivery_id=delivery.pk).state == OutboxState.DONE
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_twice(SEND_DELIVERY, delivery_id=delivery.pk)
        send_delivery(delivery_id=delivery.pk)
    assert len(smtp_server.messages) == 4
    assert set(Delivery.objects.filter(notice__case=case).values_list("attempts", flat=True)) == {1}
    assert CaseEvent.objects.filter(case=case, kind=CaseEventKind.NOTICE_DELIVERED).count() == 1


def test_a_failed_email_resent_by_post_makes_the_mail_rule_apply(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    """The employee's email is refused for good; staff remove the address and send the NOARFI again,
    by post: the notice counts as delivered when that letter is mailed, and by mail."""
    from core import outbox
    from determinations.services.delivery import resend_delivery

    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    smtp_server.fail_next = 100
    with django_capture_on_commit_callbacks(execute=False):
        case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    employee = Delivery.objects.get(notice=notice, recipient_role=PartyRole.EMPLOYEE)
    job = OutboxJob.objects.get(kind=SEND_DELIVERY, key=f"delivery:{employee.pk}")
    outbox.cancel_job(job_id=job.pk, by=staff, reason="The address bounces")
    with pytest.raises(Exception):  # noqa: B017 (the SMTP refusal, recorded on the delivery)
        send_delivery(delivery_id=employee.pk)
    smtp_server.fail_next = 0
    for delivery in Delivery.objects.filter(notice=notice).exclude(pk=employee.pk):
        run_job_now(SEND_DELIVERY, delivery_id=delivery.pk)
    notice.refresh_from_db()
    assert notice.completed_on is None  # the employee has not been reached
    Party.objects.filter(case=case, role=PartyRole.EMPLOYEE).update(email="")
    again = resend_delivery(delivery_id=employee.pk, by=staff, reason="Email bounced; by post")
    assert again.channel == DeliveryChannel.POST and again.status == DeliveryStatus.TO_POST
    frozen_today(date(2015, 3, 3))
    mark_posted(delivery_ids=[again.pk], mailed_on=date(2015, 3, 3), by=staff)
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.completed_on == date(2015, 3, 3)
    assert case.notice_sent_on == date(2015, 3, 3) and case.notice_method == NoticeMethod.MAIL
    assert case.records_due == deadlines.compute_records_due(
        notice_on=date(2015, 3, 3), notice_method=NoticeMethod.MAIL, expedited=False
    )
