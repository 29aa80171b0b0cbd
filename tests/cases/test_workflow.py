"""The workflow services: every step, every guard, every illegal transition, the audit trail.

Bad inputs tried: blank and whitespace-only reasons, an unknown NOARFI method, records
complete in the future and before the notice, steps from the wrong state, a stale
`expected_from`, an unknown target state, overriding without the permission or in the
direction the finding already points, converting an expedited case again, closing before
the appeal period ends.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from cases import deadlines
from cases.errors import GuardError, TransitionNotAllowedError
from cases.models import Case, CaseEvent, CaseStatus, DocumentKind, NoticeMethod, Party, PartyRole, Priority
from cases.services import case_actions
from cases.services.documents import add_document
from cases.services.notices import notify_parties_expedited
from cases.services.workflow import allowed_targets, transition_case
from core.clock import today
from determinations.models import DeterminationStatus
from imr_site import roles
from reviewers.models import Assignment, AssignmentStatus
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import (
    CaseFactory,
    DeterminationFactory,
    ReviewerFactory,
    UserFactory,
    make_seed_like_case,
)

S = CaseStatus
pytestmark = pytest.mark.django_db

# The graph of domain.md / the brief, written out independently of the FSM declaration.
OPEN = [
    S.RECEIVED,
    S.ELIGIBILITY_REVIEW,
    S.AWAITING_RECORDS,
    S.READY_FOR_ASSIGNMENT,
    S.ASSIGNED,
    S.IN_REVIEW,
    S.QA_REVIEW,
]
EDGES = {
    (S.RECEIVED, S.ELIGIBILITY_REVIEW),
    (S.ELIGIBILITY_REVIEW, S.INELIGIBLE),
    (S.ELIGIBILITY_REVIEW, S.AWAITING_RECORDS),
    (S.AWAITING_RECORDS, S.READY_FOR_ASSIGNMENT),
    (S.READY_FOR_ASSIGNMENT, S.ASSIGNED),
    (S.ASSIGNED, S.IN_REVIEW),
    (S.ASSIGNED, S.READY_FOR_ASSIGNMENT),
    (S.IN_REVIEW, S.QA_REVIEW),
    (S.IN_REVIEW, S.ASSIGNED),  # staff replace the reviewer who accepted (issue 9, item 13)
    (S.QA_REVIEW, S.IN_REVIEW),
    (S.QA_REVIEW, S.DETERMINATION_ISSUED),
    (S.DETERMINATION_ISSUED, S.CLOSED),
    (S.DETERMINATION_ISSUED, S.READY_FOR_ASSIGNMENT),
    *((state, S.WITHDRAWN) for state in OPEN),
    *((state, S.TERMINATED) for state in OPEN),
}
ILLEGAL = sorted(
    (source, target) for source in S.values for target in S.values if (source, target) not in EDGES
)


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    """Record the assignment task instead of running it (no reviewer exists in these tests)."""
    calls: list[int] = []
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: calls.append(case_id))
    return calls


@pytest.fixture
def staff():
    return UserFactory(username="intake1", role=roles.INTAKE_STAFF)


@pytest.fixture
def case():
    return make_seed_like_case()


def add_medical_record(case: Case, by, label: str = "PT notes") -> None:
    add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes(label=label)),
        kind=DocumentKind.MEDICAL_RECORD,
        title=f"Dr. Treating: {label}",
        received_on=today(),
        by=by,
    )


def reload(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def last_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-id").first()


def to_awaiting_records(case: Case, staff, method: str = "electronic") -> Case:
    """Send the NOARFI; by mail when a party (the employer) has no email, else electronically."""
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    if method == NoticeMethod.MAIL:
        Party.objects.filter(case=case, role=PartyRole.EMPLOYER).update(
            email="", mailing_address="1 Packing Way, Fresno, CA 93706"
        )
    return case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)


# ---- The graph ---------------------------------------------------------------------------


def test_fsm_graph_is_the_documented_one():
    declared = {(source, target) for source in S.values for target in allowed_targets(status=source)}
    assert declared == EDGES


@pytest.mark.parametrize(("source", "target"), sorted(EDGES))
def test_every_allowed_transition_writes_an_event(source, target, staff):
    case = CaseFactory(status=source)
    before = CaseEvent.objects.count()
    moved = transition_case(case_id=case.pk, to=target, by=staff, reason="because", expected_from=source)
    assert moved.status == target
    assert reload(case).status == target
    assert CaseEvent.objects.count() == before + 1
    event = last_event(case)
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        staff,
        source,
        target,
        "because",
    )
    assert event.effective_on == today()
    assert event.at is not None


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused(source, target, staff):
    case = CaseFactory(status=source)
    with pytest.raises(TransitionNotAllowedError, match="cannot move to"):
        transition_case(case_id=case.pk, to=target, by=staff)
    assert reload(case).status == source
    assert not CaseEvent.objects.filter(case=case).exists()


def test_unknown_target_is_refused_with_a_message(case, staff):
    with pytest.raises(TransitionNotAllowedError, match="'nowhere'"):
        transition_case(case_id=case.pk, to="nowhere", by=staff)


def test_stale_expected_from_is_refused(case, staff):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff, expected_from=S.RECEIVED)
    with pytest.raises(TransitionNotAllowedError, match="changed by someone else"):
        case_actions.start_eligibility_review(case_id=case.pk, by=staff, expected_from=S.RECEIVED)
    with pytest.raises(TransitionNotAllowedError, match="cannot move to Eligibility review"):
        case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(TransitionNotAllowedError, match="changed by someone else"):
        case_actions.withdraw(case_id=case.pk, by=staff, reason="x", expected_from=S.RECEIVED)
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).count() == 1


# ---- Eligibility -------------------------------------------------------------------------


def test_start_eligibility_review_records_date_and_deadline(case, staff):
    moved = case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    assert moved.status == S.ELIGIBILITY_REVIEW
    assert moved.eligibility_review_on == today()
    assert moved.eligibility_info_due == deadlines.add_business_days(today(), 5)
    assert moved.next_deadline == moved.eligibility_info_due


def test_confirm_eligible_keeps_case_for_the_notice(case, staff):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    confirmed = case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    assert confirmed.status == S.ELIGIBILITY_REVIEW
    assert confirmed.eligibility_confirmed is True
    assert confirmed.eligible_on == today()
    assert confirmed.notice_due == deadlines.add_business_days(today(), 1)
    assert reload(case).next_deadline == confirmed.notice_due
    event = last_event(case)
    assert event.kind == "eligibility_confirmed" and event.actor == staff
    with pytest.raises(GuardError, match="already decided"):
        case_actions.confirm_eligibility(case_id=case.pk, by=staff)


def test_confirm_ineligible_finding_ends_the_case_with_its_reasons(staff):
    case = make_seed_like_case(signed=False)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    ended = case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    assert ended.status == S.INELIGIBLE
    assert ended.eligibility_confirmed is False
    event = last_event(case)
    assert event.to_status == S.INELIGIBLE
    assert "not signed" in event.reason
    assert event.data["finding"]["eligible"] is False


def test_confirm_refused_outside_eligibility_review(case, staff):
    with pytest.raises(TransitionNotAllowedError, match="cannot have its eligibility confirmed"):
        case_actions.confirm_eligibility(case_id=case.pk, by=staff)


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_override_needs_a_written_reason(staff, reason):
    case = make_seed_like_case(signed=False)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="Write the reason"):
        case_actions.override_eligibility(case_id=case.pk, by=staff, eligible=True, reason=reason)
    fresh = reload(case)
    assert fresh.eligibility_confirmed is None and fresh.eligibility_override_reason == ""
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.ELIGIBILITY_OVERRIDE).exists()


def test_override_ineligible_finding_to_eligible_is_logged(staff):
    case = make_seed_like_case(signed=False)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.override_eligibility(
        case_id=case.pk, by=staff, eligible=True, reason="  Signed copy received by fax on intake.  "
    )
    fresh = reload(case)
    assert fresh.status == S.ELIGIBILITY_REVIEW
    assert fresh.eligibility_confirmed is True
    assert fresh.eligibility_override_reason == "Signed copy received by fax on intake."
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.ELIGIBILITY_OVERRIDE)
    assert event.actor == staff and event.reason == "Signed copy received by fax on intake."
    assert event.data["finding"]["eligible"] is False and event.data["eligible"] is True
    # Now the NOARFI can go.
    sent = case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    assert sent.status == S.AWAITING_RECORDS


def test_override_eligible_finding_to_ineligible_ends_the_case(case, staff):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    ended = case_actions.override_eligibility(
        case_id=case.pk, by=staff, eligible=False, reason="Liability denied per WCAB filing"
    )
    assert ended.status == S.INELIGIBLE
    assert ended.eligibility_confirmed is False
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == ["eligibility_override", "transition"]


def test_override_in_the_direction_of_the_finding_is_refused(case, staff):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="already says eligible"):
        case_actions.override_eligibility(case_id=case.pk, by=staff, eligible=True, reason="why not")


def test_override_needs_the_permission(case):
    qa = UserFactory(role=roles.CLINICAL_QA)
    staff = UserFactory(role=roles.INTAKE_STAFF)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="may not override"):
        case_actions.override_eligibility(case_id=case.pk, by=qa, eligible=False, reason="no")


# ---- Notice and records ------------------------------------------------------------------


def test_no_notice_before_eligibility_is_confirmed(case, staff):
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    with pytest.raises(GuardError, match="Confirm the case eligible"):
        case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    assert reload(case).status == S.ELIGIBILITY_REVIEW


@pytest.mark.parametrize("method", ["", "fax", "mail", "electronic"])
def test_notice_method_is_never_typed(case, staff, method):
    """How the NOARFI went comes from the parties' addresses (then the deliveries made), not a form."""
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    with pytest.raises(TypeError):
        case_actions.send_notice_of_assignment(case_id=case.pk, by=staff, method=method)
    assert reload(case).status == S.ELIGIBILITY_REVIEW


@pytest.mark.parametrize(("method", "days"), [("mail", 15), ("electronic", 12)])
def test_notice_starts_the_records_clock(case, staff, method, days):
    sent = to_awaiting_records(case, staff, method=method)
    assert sent.status == S.AWAITING_RECORDS
    assert sent.notice_sent_on == today() and sent.notice_method == method
    assert sent.records_due == deadlines.add_calendar_days(today(), days)
    assert sent.next_deadline == sent.records_due
    data = last_event(case).data
    assert data["notice_method"] == method
    # The step sent the NOARFI itself (tests/notices): its event records the notice and deliveries.
    assert data["notice"]["kind"] == "noarfi" and len(data["notice"]["deliveries"]) == 4


def test_records_complete_needs_a_medical_record(case, staff, _no_assignment):
    to_awaiting_records(case, staff)
    with pytest.raises(GuardError, match="medical record"):
        case_actions.mark_records_complete(case_id=case.pk, by=staff)
    assert reload(case).status == S.AWAITING_RECORDS
    assert _no_assignment == []


def test_records_complete_refuses_bad_dates(case, staff):
    to_awaiting_records(case, staff)
    add_medical_record(case, staff)
    with pytest.raises(GuardError, match="future"):
        case_actions.mark_records_complete(case_id=case.pk, by=staff, on=today() + timedelta(days=1))
    with pytest.raises(GuardError, match="before the notice"):
        case_actions.mark_records_complete(case_id=case.pk, by=staff, on=today() - timedelta(days=1))


def test_records_complete_starts_determination_clock_and_enqueues_assignment(
    case, staff, _no_assignment, django_capture_on_commit_callbacks
):
    to_awaiting_records(case, staff)
    add_medical_record(case, staff)
    with django_capture_on_commit_callbacks(execute=True):
        ready = case_actions.mark_records_complete(case_id=case.pk, by=staff)
    assert ready.status == S.READY_FOR_ASSIGNMENT
    assert ready.records_complete_on == today()
    assert ready.determination_due == deadlines.add_calendar_days(today(), 30)
    assert _no_assignment == [case.pk]


# ---- Withdraw, terminate -----------------------------------------------------------------


@pytest.mark.parametrize("service", [case_actions.withdraw, case_actions.terminate])
@pytest.mark.parametrize("reason", ["", "  "])
def test_withdraw_and_terminate_need_a_reason(case, staff, service, reason):
    with pytest.raises(GuardError, match="reason"):
        service(case_id=case.pk, by=staff, reason=reason)
    assert reload(case).status == S.RECEIVED


@pytest.mark.parametrize("state", OPEN)
@pytest.mark.parametrize(
    ("service", "target"), [(case_actions.withdraw, S.WITHDRAWN), (case_actions.terminate, S.TERMINATED)]
)
def test_withdraw_and_terminate_from_every_open_state(state, service, target, staff):
    case = CaseFactory(status=state)
    ended = service(case_id=case.pk, by=staff, reason="Employee withdrew by letter", expected_from=state)
    assert ended.status == target
    assert last_event(case).reason == "Employee withdrew by letter"
    assert ended.next_deadline is None and ended.overdue is False


@pytest.mark.parametrize("state", [S.INELIGIBLE, S.DETERMINATION_ISSUED, S.CLOSED, S.WITHDRAWN, S.TERMINATED])
def test_withdraw_refused_once_the_case_is_no_longer_open(state, staff):
    case = CaseFactory(status=state)
    with pytest.raises(TransitionNotAllowedError, match="cannot be withdrawn"):
        case_actions.withdraw(case_id=case.pk, by=staff, reason="late request")


def test_termination_ends_the_reviewers_assignment(staff):
    case = CaseFactory(status=S.IN_REVIEW)
    reviewer = ReviewerFactory()
    assignment = Assignment.objects.create(case=case, reviewer=reviewer, status=AssignmentStatus.ACCEPTED)
    case_actions.terminate(case_id=case.pk, by=staff, reason="Claims administrator authorized the PT")
    assignment.refresh_from_db()
    assert (assignment.active, assignment.status) == (False, AssignmentStatus.ENDED)
    data = last_event(case).data
    assert data["ended_assignment_ids"] == [assignment.pk]
    assert data["notice"]["kind"] == "termination"  # the confirmation went with the step


# ---- Expedited ---------------------------------------------------------------------------


def test_convert_to_expedited_recomputes_deadlines_and_tells_parties(
    case, staff, django_capture_on_commit_callbacks
):
    to_awaiting_records(case, staff, method="mail")
    assert reload(case).records_due == deadlines.add_calendar_days(today(), 15)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        converted = case_actions.convert_to_expedited(
            case_id=case.pk,
            by=staff,
            certification_note="Dr. Treating certified imminent threat, faxed today",
        )
    assert converted.priority == Priority.EXPEDITED and converted.expedited_on == today()
    assert converted.records_due == today() + timedelta(days=1)
    assert converted.status == S.AWAITING_RECORDS
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CONVERTED_TO_EXPEDITED)
    assert event.actor == staff and "certified" in event.reason
    assert event.data["previous"]["records_due"] == deadlines.add_calendar_days(today(), 15).isoformat()
    # Four parties (the seed-like case has no attorney): the employer has no email, so it is sent
    # the notice by post; each of the others one email with the notice's PDF.
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert len(mail.outbox) == 3
    assert "maria.example@example.org" in recipients
    for message in mail.outbox:
        assert case.case_number in message.subject and "expedited" in message.subject
        assert "Maria" not in message.body and "Example" not in message.body
        assert "Dr. Alan" not in message.body and "GSC-07" not in message.body
        assert [name for name, _content, _type in message.attachments] == [
            f"IMR-Notice-of-conversion-to-expedited-review-{case.case_number}.pdf"
        ]
    assert reload(case).expedited_parties_notified_at is not None
    # The former plain-email job (a row left from before notices) sends nothing again.
    assert notify_parties_expedited(case_id=case.pk) == 0
    assert len(mail.outbox) == 3


def test_conversion_after_records_complete_counts_from_the_certification(staff, frozen_today):
    case = make_seed_like_case()
    to_awaiting_records(case, staff)
    add_medical_record(case, staff)
    case_actions.mark_records_complete(case_id=case.pk, by=staff)
    later = frozen_today(today() + timedelta(days=10))
    converted = case_actions.convert_to_expedited(case_id=case.pk, by=staff, certification_note="certified")
    assert converted.determination_due == deadlines.add_calendar_days(later, 3)
    assert converted.overdue is False


@pytest.mark.parametrize("note", ["", "   "])
def test_conversion_needs_the_certification(case, staff, note):
    with pytest.raises(GuardError, match="certification"):
        case_actions.convert_to_expedited(case_id=case.pk, by=staff, certification_note=note)
    assert reload(case).priority == Priority.STANDARD


def test_conversion_refused_when_already_expedited_or_closed(staff):
    expedited = CaseFactory(priority=Priority.EXPEDITED)
    with pytest.raises(GuardError, match="already expedited"):
        case_actions.convert_to_expedited(case_id=expedited.pk, by=staff, certification_note="again")
    closed = CaseFactory(status=S.CLOSED)
    with pytest.raises(TransitionNotAllowedError, match="cannot be made expedited"):
        case_actions.convert_to_expedited(case_id=closed.pk, by=staff, certification_note="late")


# ---- Close and remand --------------------------------------------------------------------


def test_close_only_after_the_appeal_period(staff):
    unmailed = CaseFactory(status=S.DETERMINATION_ISSUED)
    with pytest.raises(GuardError, match="not been mailed"):
        case_actions.close_case(case_id=unmailed.pk, by=staff)
    running = CaseFactory(status=S.DETERMINATION_ISSUED, appeal_due=today())
    with pytest.raises(GuardError, match="appeal period runs until"):
        case_actions.close_case(case_id=running.pk, by=staff)
    over = CaseFactory(status=S.DETERMINATION_ISSUED, appeal_due=today() - timedelta(days=1))
    closed = case_actions.close_case(case_id=over.pk, by=staff)
    assert closed.status == S.CLOSED
    assert last_event(over).reason == "Closed after the appeal period"


def test_remand_supersedes_the_determination_and_ends_the_assignment(
    staff, _no_assignment, django_capture_on_commit_callbacks
):
    case = make_seed_like_case(status=S.DETERMINATION_ISSUED, records_complete_on=date(2015, 3, 2))
    determination = DeterminationFactory(case=case, status=DeterminationStatus.ISSUED)
    assignment = Assignment.objects.create(
        case=case, reviewer=determination.reviewer, status=AssignmentStatus.ACCEPTED
    )
    with pytest.raises(GuardError, match="reason"):
        case_actions.remand_case(case_id=case.pk, by=staff, order_reference=" ")
    with django_capture_on_commit_callbacks(execute=True):
        remanded = case_actions.remand_case(case_id=case.pk, by=staff, order_reference="ADJ1234567")
    assert remanded.status == S.READY_FOR_ASSIGNMENT
    # A new review: its clock runs from the remand.
    assert remanded.records_complete_on == today()
    assert remanded.determination_due == deadlines.add_calendar_days(today(), 30)
    determination.refresh_from_db()
    assignment.refresh_from_db()
    assert determination.status == DeterminationStatus.SUPERSEDED
    assert (assignment.active, assignment.status) == (False, AssignmentStatus.ENDED)
    event = last_event(case)
    assert event.data["order_reference"] == "ADJ1234567"
    assert event.data["excluded_reviewer_id"] == determination.reviewer_id
    assert "ADJ1234567" in event.reason
    assert _no_assignment == [case.pk]


def test_remand_refused_unless_a_determination_was_issued(case, staff):
    with pytest.raises(TransitionNotAllowedError, match="cannot be remanded"):
        case_actions.remand_case(case_id=case.pk, by=staff, order_reference="ADJ1")


# ---- The whole path ----------------------------------------------------------------------


def test_full_path_leaves_an_ordered_audit_trail(case, staff):
    to_awaiting_records(case, staff)
    add_medical_record(case, staff)
    case_actions.mark_records_complete(case_id=case.pk, by=staff)
    transitions = list(
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION)
        .order_by("id")
        .values_list("from_status", "to_status", "actor__username")
    )
    assert transitions == [
        (S.RECEIVED, S.ELIGIBILITY_REVIEW, "intake1"),
        (S.ELIGIBILITY_REVIEW, S.AWAITING_RECORDS, "intake1"),
        (S.AWAITING_RECORDS, S.READY_FOR_ASSIGNMENT, "intake1"),
    ]
