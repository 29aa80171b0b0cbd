"""A consolidated case ends with its lead (8 CCR 9792.10.4: one review, one letter).

When the lead's review ends (its Final Determination letter issued, or it is withdrawn,
terminated or found ineligible), every case consolidated into it moves to "Closed as
consolidated" through the workflow, with an event naming the lead; its parties get no letter
or notice of their own, and a party only the consolidated case has (an attorney) gets the
lead's.

Bad inputs tried: a case of another employee / date of injury / physician / claims
administrator, a case already consolidated into another lead, the case into itself, a split
after the lead is assigned, a split after the lead ended, the same consolidation by two staff
members at once, a split racing the lead's withdrawal, the lead's own number in a split.
Every refusal leaves the cases, their items and their events as they were.
"""

from __future__ import annotations

from datetime import date

import pytest

from cases.errors import CaseError, GuardError
from cases.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    DisputedItem,
    NoticeKind,
    Party,
    PartyRole,
)
from cases.services import case_actions
from core.errors import DomainError
from determinations.models import Delivery, Letter, Notice
from determinations.services.letters import issue_letter
from imr_site import roles
from tests.cases.test_concurrency import race
from tests.factories import DisputedItemFactory, PartyFactory, UserFactory, make_seed_like_case

S = CaseStatus


def _second_application(**fields) -> Case:
    other = make_seed_like_case(**fields)
    other.disputed_items.all().delete()
    DisputedItemFactory(
        case=other, position=1, description="Lumbar MRI without contrast", category="diagnostics"
    )
    return other


def _snapshot(*cases: Case) -> list:
    return [
        (
            Case.objects.filter(pk=case.pk).values_list("status", "consolidated_into_id").get(),
            list(
                DisputedItem.objects.filter(case=case)
                .order_by("position")
                .values_list("description", flat=True)
            ),
            CaseEvent.objects.filter(case=case).count(),
        )
        for case in cases
    ]


def _closing_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.get(case=case, to_status=S.CLOSED_CONSOLIDATED)


@pytest.mark.django_db
def test_the_letter_ends_the_consolidated_case_and_reaches_its_own_attorney(
    django_capture_on_commit_callbacks,
):
    from tests.determinations.letters_support import approved_seed_determination

    determination = approved_seed_determination()
    lead = determination.case
    member = _second_application()
    # Consolidated before its NOARFI (received), as the service does; its items stay its own
    # here so the lead's approved determination decides exactly its items.
    Case.objects.filter(pk=member.pk).update(consolidated_into=lead)
    # Only the consolidated application names the employee's attorney.
    PartyFactory(
        case=member,
        role=PartyRole.ATTORNEY,
        name="Ada Counsel",
        email="ada@counsel.example.com",
        mailing_address="1 Law Plaza, Sacramento, CA 95814",
    )
    with django_capture_on_commit_callbacks(execute=True):
        letter = issue_letter(determination_id=determination.pk)

    member.refresh_from_db()
    assert member.status == S.CLOSED_CONSOLIDATED and member.next_deadline is None
    event = _closing_event(member)
    assert event.kind == CaseEventKind.TRANSITION and event.from_status == S.RECEIVED
    assert lead.case_number in event.reason and event.data["lead"] == lead.case_number
    lead_event = CaseEvent.objects.get(
        case=lead, to_status=S.DETERMINATION_ISSUED, kind=CaseEventKind.TRANSITION
    )
    assert lead_event.data["closed_consolidated"] == [member.case_number]
    # One letter, the lead's: its copies go once per role, the attorney of the consolidated case
    # included; the consolidated case gets no letter and no delivery of its own.
    deliveries = {d.recipient_role: d for d in letter.deliveries.select_related("party")}
    assert deliveries[PartyRole.ATTORNEY].party.case_id == member.pk
    assert deliveries[PartyRole.ATTORNEY].address == "ada@counsel.example.com"
    assert deliveries[PartyRole.EMPLOYEE].party.case_id == lead.pk
    assert len(deliveries) == 5
    assert Letter.objects.count() == 1
    assert not Delivery.objects.filter(party__case=member).exclude(recipient_role=PartyRole.ATTORNEY).exists()
    # It takes no step any more, and the lead cannot split it off.
    with pytest.raises(DomainError):
        case_actions.start_eligibility_review(case_id=member.pk, by=None)


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["withdraw", "terminate", "ineligible"])
def test_a_lead_ending_without_a_letter_closes_its_consolidated_cases(staff, how):
    lead = make_seed_like_case()
    member = _second_application()
    case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="Same RFA")
    if how == "withdraw":
        case_actions.withdraw(case_id=lead.pk, by=staff, reason="Employee withdrew")
        lead_status, notice = S.WITHDRAWN, NoticeKind.WITHDRAWAL
    elif how == "terminate":
        case_actions.terminate(case_id=lead.pk, by=staff, reason="Treatment authorized on 03/02")
        lead_status, notice = S.TERMINATED, NoticeKind.TERMINATION
    else:
        case_actions.start_eligibility_review(case_id=lead.pk, by=staff)
        case_actions.override_eligibility(
            case_id=lead.pk, by=staff, eligible=False, reason="Not a UR dispute"
        )
        lead_status, notice = S.INELIGIBLE, NoticeKind.INELIGIBILITY
    lead.refresh_from_db()
    member.refresh_from_db()
    assert lead.status == lead_status
    assert member.status == S.CLOSED_CONSOLIDATED and member.consolidated_into_id == lead.pk
    event = _closing_event(member)
    assert lead.case_number in event.reason and event.data["lead_status"] == lead_status
    # The one notice is the lead's, sent once per party: nothing to the consolidated case.
    assert list(Notice.objects.filter(kind=notice).values_list("case_id", flat=True)) == [lead.pk]
    assert not Notice.objects.filter(case=member).exists()
    assert not Delivery.objects.filter(party__case=member).exists()
    # Its items stay where they were reviewed (the lead), remembering where they were filed.
    assert DisputedItem.objects.filter(case=lead, origin_case=member).count() == 1
    # Nothing more to split once the lead ended.
    with pytest.raises(DomainError, match="cannot have cases split off"):
        case_actions.split_consolidation(
            case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="Too late"
        )


@pytest.mark.django_db
def test_a_lead_moving_on_but_not_ending_keeps_its_consolidated_cases(staff):
    lead = make_seed_like_case()
    member = _second_application()
    case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="Same RFA")
    case_actions.start_eligibility_review(case_id=lead.pk, by=staff)
    member.refresh_from_db()
    assert member.status == S.RECEIVED and member.consolidated_into_id == lead.pk
    assert not CaseEvent.objects.filter(case=member, to_status=S.CLOSED_CONSOLIDATED).exists()


# ---- Bad input: refused with a message, nothing changed --------------------------------


@pytest.mark.django_db
def test_closed_as_consolidated_is_no_step_of_its_own(staff):
    """Only the lead's end closes a case as consolidated: asked for directly, it is refused."""
    from cases.errors import TransitionNotAllowedError
    from cases.services.workflow import allowed_targets, transition_case

    case = make_seed_like_case()
    assert S.CLOSED_CONSOLIDATED not in allowed_targets(status=S.RECEIVED)
    with pytest.raises(TransitionNotAllowedError, match="cannot move to Closed as consolidated"):
        transition_case(case_id=case.pk, to=S.CLOSED_CONSOLIDATED, by=staff)
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda other: Party.objects.filter(case=other, role=PartyRole.EMPLOYEE).update(
                date_of_birth=date(1970, 1, 1)
            ),
            "not for the same employee",
        ),
        (
            lambda other: Case.objects.filter(pk=other.pk).update(injury_date=date(2009, 5, 6)),
            "another date of injury",
        ),
        (
            lambda other: Party.objects.filter(case=other, role=PartyRole.REQUESTING_PROVIDER).update(
                npi="1245319599"
            ),
            "another requesting physician",
        ),
        (
            lambda other: Party.objects.filter(case=other, role=PartyRole.CLAIMS_ADMINISTRATOR).update(
                name="Another Claims Co."
            ),
            "another claims administrator (Another Claims Co., not Golden State Claims Services)",
        ),
        (lambda other: Case.objects.filter(pk=other.pk).update(status=S.ASSIGNED), "NOARFI has not gone"),
    ],
)
def test_refused_consolidations_name_the_reason_and_change_nothing(staff, change, message):
    lead = make_seed_like_case()
    Party.objects.filter(case=lead, role=PartyRole.EMPLOYEE).update(date_of_birth=date(1969, 4, 4))
    other = _second_application()
    change(other)
    before = _snapshot(lead, other)
    with pytest.raises(GuardError, match=message.replace("(", r"\(").replace(")", r"\)")):
        case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[other.case_number], reason="Try")
    assert _snapshot(lead, other) == before


@pytest.mark.django_db
def test_already_consolidated_itself_and_split_after_assignment(staff):
    lead = make_seed_like_case()
    member = _second_application()
    third = _second_application()
    case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="Same RFA")
    before = _snapshot(lead, member, third)
    with pytest.raises(GuardError, match=f"Case {member.case_number} is already consolidated"):
        case_actions.consolidate(case_id=third.pk, by=staff, case_numbers=[member.case_number], reason="x")
    with pytest.raises(GuardError, match="into itself"):
        case_actions.consolidate(case_id=third.pk, by=staff, case_numbers=[third.case_number], reason="x")
    with pytest.raises(GuardError, match=f"Not consolidated into {lead.case_number}: {lead.case_number}"):
        case_actions.split_consolidation(
            case_id=lead.pk, by=staff, case_numbers=[lead.case_number], reason="x"
        )
    assert _snapshot(lead, member, third) == before
    Case.objects.filter(pk=lead.pk).update(status=S.ASSIGNED)
    before = _snapshot(lead, member)
    with pytest.raises(DomainError, match="Assigned: it cannot have cases split off now"):
        case_actions.split_consolidation(
            case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="x"
        )
    assert _snapshot(lead, member) == before


# ---- Two users at once (row locks on PostgreSQL) ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_consolidation_twice_at_once_happens_once(postgres):
    first = UserFactory(username="erin", role=roles.INTAKE_STAFF)
    second = UserFactory(username="frank", role=roles.INTAKE_STAFF)
    lead = make_seed_like_case()
    member = _second_application()
    results, errors = race(
        lambda: case_actions.consolidate(
            case_id=lead.pk, by=first, case_numbers=[member.case_number], reason="A"
        ),
        lambda: case_actions.consolidate(
            case_id=lead.pk, by=second, case_numbers=[member.case_number], reason="B"
        ),
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], CaseError) and "already consolidated" in str(errors[0])
    assert DisputedItem.objects.filter(case=lead, origin_case=member).count() == 1
    assert CaseEvent.objects.filter(case=member, kind=CaseEventKind.CONSOLIDATED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_split_racing_the_leads_withdrawal_leaves_one_consistent_outcome(postgres):
    first = UserFactory(username="gina", role=roles.INTAKE_STAFF)
    second = UserFactory(username="hank", role=roles.INTAKE_STAFF)
    # The consolidated case first, so its id is lower than the lead's: the lock order matters.
    member = _second_application()
    lead = make_seed_like_case()
    case_actions.consolidate(case_id=lead.pk, by=first, case_numbers=[member.case_number], reason="Same RFA")
    results, errors = race(
        lambda: case_actions.split_consolidation(
            case_id=lead.pk,
            by=first,
            case_numbers=[member.case_number],
            reason="Filed apart",
            expected_from=S.RECEIVED,
        ),
        lambda: case_actions.withdraw(
            case_id=lead.pk, by=second, reason="Withdrawn", expected_from=S.RECEIVED
        ),
    )
    assert all(isinstance(error, CaseError) for error in errors), errors  # no deadlock, no 500
    member.refresh_from_db()
    lead.refresh_from_db()
    assert lead.status == S.WITHDRAWN
    if len(results) == 2:  # the split went first: the member goes on alone
        assert member.status == S.RECEIVED and member.consolidated_into_id is None
        assert DisputedItem.objects.filter(case=member).count() == 1
    else:  # the withdrawal went first: the member ended with it, the split was refused
        assert "changed by someone else" in str(errors[0])
        assert member.status == S.CLOSED_CONSOLIDATED and member.consolidated_into_id == lead.pk


@pytest.mark.django_db
def test_the_closed_case_page_points_to_the_lead(staff, staff_client):
    from django.urls import reverse

    lead = make_seed_like_case()
    member = _second_application()
    case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="Same RFA")
    case_actions.withdraw(case_id=lead.pk, by=staff, reason="Employee withdrew")
    page = staff_client.get(reverse("cases:case", args=[member.pk])).content.decode()
    assert f'Closed as consolidated with case <a href="/cases/{lead.pk}/">{lead.case_number}</a>' in page
    assert f"Closed with lead case {lead.case_number} (withdrawn)" in page  # the timeline
    assert "Split it off there" not in page


@pytest.mark.django_db
def test_closing_consolidated_cases_costs_two_queries_each(staff):
    """The lead's end locks its consolidated cases in one query, then one UPDATE and one event each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for members in (1, 3):
        lead = make_seed_like_case()
        others = [_second_application() for _ in range(members)]
        case_actions.consolidate(
            case_id=lead.pk, by=staff, case_numbers=[other.case_number for other in others], reason="Same RFA"
        )
        with CaptureQueriesContext(connection) as queries:
            case_actions.withdraw(case_id=lead.pk, by=staff, reason="Employee withdrew")
        counts.append(len(queries.captured_queries))
    assert counts[1] - counts[0] == 2 * 2


@pytest.mark.django_db
def test_one_review_bills_once_the_lead(staff):
    """Why a state of its own: the consolidated case has no billing outcome, the lead has its one."""
    from cases import fees

    lead = make_seed_like_case()
    member = _second_application()
    case_actions.consolidate(case_id=lead.pk, by=staff, case_numbers=[member.case_number], reason="Same RFA")
    case_actions.withdraw(case_id=lead.pk, by=staff, reason="Employee withdrew")
    outcomes = dict(
        Case.objects.filter(pk__in=[lead.pk, member.pk])
        .annotate(outcome=fees.outcome_expression())
        .values_list("pk", "outcome")
    )
    assert outcomes == {lead.pk: S.WITHDRAWN, member.pk: None}
