"""The other notices: eligibility, ineligibility, expedited, withdrawal, termination, late records.

Each test checks the content (reasons, fee, new deadlines, days late and penalty), the
recipients, and that the notice goes exactly once. Bad inputs tried: the eligibility notice
before eligibility is confirmed and a second time, the eligibility notice on a received case, a
withdrawal with a party that has no address at all (named; the case stays open, nothing is
written), a late-records run repeated (no second notice), a case whose records are not late, a
case that is no longer awaiting records.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from cases import deadlines
from cases.errors import GuardError, TransitionNotAllowedError
from cases.models import CaseStatus, NoticeKind, Party, PartyRole, Priority
from cases.services import case_actions
from core.models import OutboxJob
from determinations.jobs import SEND_DELIVERY
from determinations.models import Delivery, DeliveryChannel, Notice
from determinations.services.notices import NoticeError, send_late_records_notice, send_late_records_notices
from tests.factories import make_seed_like_case
from tests.notices.support import import_seed_application, notice_text, staff_user, to_confirmed_eligible

pytestmark = pytest.mark.django_db

ALL_ROLES = {
    PartyRole.EMPLOYEE,
    PartyRole.REQUESTING_PROVIDER,
    PartyRole.CLAIMS_ADMINISTRATOR,
    PartyRole.EMPLOYER,
}


def _text(notice: Notice) -> str:
    with notice.pdf.open("rb") as handle:
        return notice_text(handle.read())


def _roles(notice: Notice) -> set[str]:
    return set(Delivery.objects.filter(notice=notice).values_list("recipient_role", flat=True))


@pytest.fixture
def staff():
    return staff_user()


# ---- Ineligibility --------------------------------------------------------------------


def test_ineligibility_states_every_reason_and_the_right_to_appeal(
    staff, smtp_server, django_capture_on_commit_callbacks
):
    case = make_seed_like_case(signed=False, ur_decision_attached=False)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        ended = case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    assert ended.status == CaseStatus.INELIGIBLE
    notice = Notice.objects.get(case=case, kind=NoticeKind.INELIGIBILITY)
    assert len(notice.facts["reasons"]) == 2
    text = _text(notice)
    for reason in notice.facts["reasons"]:
        assert " ".join(reason.split()) in text
    assert "(1) " in text and "(2) " in text
    assert "Workers' Compensation Appeals Board (WCAB)" in text and "appeal" in text
    assert _roles(notice) == ALL_ROLES
    assert Counter(r for m in smtp_server.messages for r in m["rcpt_tos"]).total() == 4


def test_ineligible_by_override_states_the_written_reason(staff):
    case = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.override_eligibility(
        case_id=case.pk, by=staff, eligible=False, reason="Liability for the injury is denied by the WCAB."
    )
    notice = Notice.objects.get(case=case, kind=NoticeKind.INELIGIBILITY)
    assert notice.facts["reasons"] == ["Liability for the injury is denied by the WCAB."]
    assert "(1) Liability for the injury is denied by the WCAB." in _text(notice)


# ---- Eligibility ----------------------------------------------------------------------


def test_eligibility_notice_is_one_step_once_and_only_after_the_finding(staff, frozen_today):
    frozen_today(date(2015, 3, 2))
    case = import_seed_application()
    with pytest.raises(TransitionNotAllowedError, match="cannot have its notice of eligibility sent"):
        case_actions.send_eligibility_notice(case_id=case.pk, by=staff)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="Confirm the case eligible"):
        case_actions.send_eligibility_notice(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    case_actions.send_eligibility_notice(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="already sent"):
        case_actions.send_eligibility_notice(case_id=case.pk, by=staff)
    notice = Notice.objects.get(case=case, kind=NoticeKind.ELIGIBILITY)
    text = _text(notice)
    assert "found it eligible for review on 03/02/2015" in text
    assert "A Notice of Assignment and Request for Information will follow by 03/03/2015" in text
    assert _roles(notice) == ALL_ROLES
    assert Delivery.objects.filter(notice__case=case).count() == 4


# ---- Conversion to expedited ----------------------------------------------------------


def test_conversion_tells_every_party_the_new_deadlines_at_once(
    staff, smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(date(2015, 3, 2))
    case = to_confirmed_eligible(import_seed_application(), staff)
    case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    frozen_today(date(2015, 3, 4))
    with django_capture_on_commit_callbacks(execute=True):
        converted = case_actions.convert_to_expedited(
            case_id=case.pk, by=staff, certification_note="Dr. Treating certified an imminent threat"
        )
    assert converted.priority == Priority.EXPEDITED
    notice = Notice.objects.get(case=case, kind=NoticeKind.EXPEDITED)
    assert notice.facts["records_due"] == "2015-03-05"
    text = _text(notice)
    assert "converted to an expedited review on 03/04/2015" in text
    assert "The medical records must be received by 03/05/2015 (within 24 hours)." in text
    assert "within 3 calendar days" in text
    assert _roles(notice) == ALL_ROLES
    expedited_mail = [m for m in smtp_server.messages if "expedited" in m["message"]["Subject"]]
    assert len(expedited_mail) == 4
    with pytest.raises(GuardError, match="already expedited"):
        case_actions.convert_to_expedited(case_id=case.pk, by=staff, certification_note="again")
    assert Notice.objects.filter(case=case, kind=NoticeKind.EXPEDITED).count() == 1


# ---- Withdrawal and termination: reason and fee ---------------------------------------


@pytest.mark.parametrize(
    ("received_on", "status", "fee", "before"),
    [
        (date(2015, 2, 27), CaseStatus.AWAITING_RECORDS, 160, True),
        (date(2021, 2, 26), CaseStatus.ELIGIBILITY_REVIEW, 115, True),
        (date(2021, 2, 26), CaseStatus.IN_REVIEW, 345, False),
    ],
)
def test_termination_confirms_the_reason_and_the_fee(staff, received_on, status, fee, before):
    case = make_seed_like_case(
        status=status,
        received_on=received_on,
        ur_decision_date=received_on - timedelta(days=20),
        ur_served_on=received_on - timedelta(days=18),
    )
    case_actions.terminate(
        case_id=case.pk, by=staff, reason="The claims administrator authorized the therapy."
    )
    notice = Notice.objects.get(case=case, kind=NoticeKind.TERMINATION)
    assert notice.facts["fee_usd"] == fee and notice.facts["ended_before_reviewer"] is before
    text = _text(notice)
    assert "The claims administrator authorized the therapy." in text
    assert f"Golden State Claims Services, owes the {'reduced' if before else 'full'} fee of ${fee}" in text
    assert "The employee pays nothing." in text
    assert _roles(notice) == ALL_ROLES


def test_withdrawal_confirms_the_reason_and_fee(staff):
    case = make_seed_like_case(status=CaseStatus.READY_FOR_ASSIGNMENT)
    case_actions.withdraw(
        case_id=case.pk, by=staff, reason="The employee withdrew the application by letter."
    )
    notice = Notice.objects.get(case=case, kind=NoticeKind.WITHDRAWAL)
    text = _text(notice)
    assert "was withdrawn" in text and "The employee withdrew the application by letter." in text
    assert "owes the reduced fee of $160" in text


def test_withdrawal_with_a_party_without_any_address_is_refused_naming_it(staff):
    case = make_seed_like_case(status=CaseStatus.AWAITING_RECORDS)
    Party.objects.filter(case=case, role=PartyRole.REQUESTING_PROVIDER).update(email="", mailing_address="")
    with pytest.raises(GuardError, match=r"the requesting provider Dr\. Alan Treating has no email address"):
        case_actions.withdraw(case_id=case.pk, by=staff, reason="Withdrawn by the employee.")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RECORDS
    assert not Notice.objects.filter(case=case).exists()
    assert not OutboxJob.objects.filter(kind=SEND_DELIVERY).exists()


# ---- Late records ---------------------------------------------------------------------


def _awaiting(staff, frozen_today):
    frozen_today(date(2015, 3, 2))
    case = to_confirmed_eligible(import_seed_application(), staff)
    case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    case.refresh_from_db()
    assert case.records_due == date(2015, 3, 16)
    return case


def test_late_records_go_to_the_claims_administrator_once_with_days_late_and_penalty(
    staff, frozen_today, smtp_server, django_capture_on_commit_callbacks
):
    case = _awaiting(staff, frozen_today)
    frozen_today(date(2015, 3, 16))
    assert send_late_records_notices() == 0  # due today: not late
    with pytest.raises(NoticeError, match="not late"):
        send_late_records_notice(case_id=case.pk)
    frozen_today(date(2015, 3, 19))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_late_records_notices() == 1
    notice = Notice.objects.get(case=case, kind=NoticeKind.LATE_RECORDS)
    assert notice.facts["days_late"] == 3 and notice.facts["penalty_usd"] == 1500
    text = _text(notice)
    assert "were due by 03/16/2015" in text
    assert "the records are 3 days late" in text and "the penalty accrued is $1500" in text
    deliveries = list(Delivery.objects.filter(notice=notice))
    assert [(d.recipient_role, d.channel) for d in deliveries] == [
        (PartyRole.CLAIMS_ADMINISTRATOR, DeliveryChannel.EMAIL)
    ]
    assert [m["rcpt_tos"] for m in smtp_server.messages if "late" in m["message"]["Subject"]] == [
        ["ur-desk@goldenstateclaims.example.com"]
    ]
    # The daily run again, and a day later: no second notice.
    frozen_today(date(2015, 3, 20))
    assert send_late_records_notices() == 0
    assert Notice.objects.filter(case=case, kind=NoticeKind.LATE_RECORDS).count() == 1


def test_late_records_penalty_is_capped(staff, frozen_today):
    case = _awaiting(staff, frozen_today)
    frozen_today(date(2015, 4, 15))
    notice = send_late_records_notice(case_id=case.pk)
    assert notice.facts["days_late"] == 30
    assert notice.facts["penalty_usd"] == deadlines.RECORDS_LATE_PENALTY_MAX_USD == 5000
    assert "the penalty accrued is $5000" in _text(notice)


def test_no_late_records_notice_once_the_case_moved_on(staff, frozen_today):
    case = make_seed_like_case(status=CaseStatus.READY_FOR_ASSIGNMENT, records_due=date(2015, 3, 16))
    frozen_today(date(2015, 3, 20))
    assert send_late_records_notices() == 0
    with pytest.raises(NoticeError, match="not awaiting records"):
        send_late_records_notice(case_id=case.pk)
