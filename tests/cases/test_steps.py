"""The step table (`cases.steps`) and the on-enter hook registry (`cases.hooks`).

A guard is written once: the case page greys out (or leaves out) the button with the reason
the service refuses with. Every step the page, the view and the admin offer is a row of the
table. A hook runs inside the transition's transaction: when it raises, nothing of the step
is kept.

Bad inputs tried: posting each guarded step while its guard blocks it (records complete with
no medical record, closing before the letter is mailed and while the appeal period runs,
confirming or overriding a finding already decided, the NOARFI before eligibility is
confirmed, converting an expedited case again), a hook that raises, a hook for an unknown
state.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse

from cases import admin_actions, hooks, views
from cases.errors import GuardError
from cases.models import Case, CaseEvent, CaseStatus, Priority
from cases.services import case_actions
from cases.services.workflow import transition_case
from cases.steps import STEPS
from core.clock import today
from tests.factories import CaseFactory, make_seed_like_case

S = CaseStatus
pytestmark = pytest.mark.django_db


def _awaiting_records_without_records(staff) -> Case:
    case = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    return case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)


# (step key, how to make a case its guard blocks, what the form posts besides expected_from)
BLOCKED = {
    "records_complete: no medical record": (
        "records_complete",
        _awaiting_records_without_records,
        {},
    ),
    "close: letter not mailed": (
        "close",
        lambda staff: CaseFactory(status=S.DETERMINATION_ISSUED, appeal_due=None),
        {"reason": ""},
    ),
    "close: appeal period running": (
        "close",
        lambda staff: CaseFactory(status=S.DETERMINATION_ISSUED, appeal_due=today() + timedelta(days=3)),
        {"reason": ""},
    ),
    "confirm_eligibility: already decided": (
        "confirm_eligibility",
        lambda staff: CaseFactory(status=S.ELIGIBILITY_REVIEW, eligibility_confirmed=True),
        {},
    ),
    "override_eligibility: already decided": (
        "override_eligibility",
        lambda staff: CaseFactory(status=S.ELIGIBILITY_REVIEW, eligibility_confirmed=True),
        {"eligible": "no", "reason": "Liability denied"},
    ),
    "send_notice: eligibility not confirmed": (
        "send_notice",
        lambda staff: CaseFactory(status=S.ELIGIBILITY_REVIEW),
        {},
    ),
    "send_eligibility_notice: eligibility not confirmed": (
        "send_eligibility_notice",
        lambda staff: CaseFactory(status=S.ELIGIBILITY_REVIEW),
        {},
    ),
    "split: nothing consolidated into the case": (
        "split",
        lambda staff: CaseFactory(status=S.RECEIVED),
        {"case_numbers": "CM15-0041877", "reason": "Filed apart"},
    ),
    "convert_to_expedited: already expedited": (
        "convert_to_expedited",
        lambda staff: CaseFactory(status=S.IN_REVIEW, priority=Priority.EXPEDITED),
        {"certification_note": "Dr. Treating, by phone"},
    ),
}


@pytest.mark.parametrize("scenario", list(BLOCKED))
def test_the_page_and_the_service_give_the_same_reason(staff_client, staff, scenario):
    """For each guard: the button's reason on the page is the refusal of the view and the service."""
    key, make_case, fields = BLOCKED[scenario]
    step = STEPS[key]
    case = make_case(staff)
    before = (case.status, CaseEvent.objects.filter(case=case).count())
    reason = step.blocked(case=Case.objects.get(pk=case.pk), on=today())
    assert reason

    page = staff_client.get(reverse("cases:case", args=[case.pk]))
    shown = {item["action"].key: item["action"].blocked for item in page.context["actions"]}
    if step.hide_when_blocked:
        assert key not in shown
    else:
        assert shown[key] == reason
        assert reason in page.content.decode()

    data = {f"{key}-expected_from": case.status, **{f"{key}-{name}": value for name, value in fields.items()}}
    response = staff_client.post(reverse("cases:action", args=[case.pk, key]), data, follow=True)
    assert reason in response.content.decode()

    kwargs: dict[str, object] = dict(fields)
    if key == "override_eligibility":
        kwargs["eligible"] = False
    with pytest.raises(GuardError) as refused:
        step.service(case_id=case.pk, by=staff, **kwargs)
    assert refused.value.message == reason
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, CaseEvent.objects.filter(case=case).count()) == before


def test_every_guard_of_the_table_is_tried_above():
    guarded = {key for key, step in STEPS.items() if step.guard is not None}
    assert guarded == {key for key, _make, _fields in BLOCKED.values()}


def test_every_step_of_the_page_the_view_and_the_admin_is_in_the_table():
    assert views.STEPS is STEPS
    for key, step in STEPS.items():
        assert step.key == key
        assert callable(step.service) and step.form_class is not None and step.done and step.label
        assert step.sources and set(step.sources) <= set(S.values)
    case_steps = [action for action in admin_actions.CASE_ACTIONS if hasattr(action, "step_key")]
    assert {action.step_key for action in case_steps} <= set(STEPS)
    # The only admin actions not run from the table are those higher apps add.
    assert [action.__name__ for action in admin_actions.CASE_ACTIONS if action not in case_steps] == [
        "replace_reviewer"
    ]
    assert admin.site._registry[Case].actions is admin_actions.CASE_ACTIONS


@pytest.mark.parametrize("state", [S.RECEIVED, S.ELIGIBILITY_REVIEW, S.DETERMINATION_ISSUED, S.IN_REVIEW])
def test_the_page_offers_only_steps_from_their_source_states(staff_client, state):
    case = CaseFactory(status=state)
    page = staff_client.get(reverse("cases:case", args=[case.pk]))
    for item in page.context["actions"]:
        assert state in STEPS[item["action"].key].sources


# ---- On-enter hooks ----------------------------------------------------------------------


def test_a_hook_that_raises_rolls_the_transition_back(staff):
    case = CaseFactory(status=S.RECEIVED)
    seen: list[str] = []

    @hooks.on_enter(S.ELIGIBILITY_REVIEW)
    def failing(*, case, source, by):
        # Runs after the new state is saved, in the same transaction.
        seen.append(Case.objects.get(pk=case.pk).status)
        raise GuardError("The hook refused.")

    try:
        with pytest.raises(GuardError, match="The hook refused"):
            case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    finally:
        hooks.unregister(S.ELIGIBILITY_REVIEW, failing)
    assert seen == [S.ELIGIBILITY_REVIEW]
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == S.RECEIVED and fresh.eligibility_review_on is None
    assert not CaseEvent.objects.filter(case=case).exists()


def test_hooks_run_in_registration_order_and_their_data_is_recorded(staff):
    case = CaseFactory(status=S.RECEIVED)
    order: list[str] = []

    @hooks.on_enter(S.ELIGIBILITY_REVIEW, sources=[S.RECEIVED])
    def first(*, case, source, by):
        order.append("first")
        return {"first": source}

    @hooks.on_enter(S.ELIGIBILITY_REVIEW, sources=[S.AWAITING_RECORDS])
    def never(*, case, source, by):
        order.append("never")

    @hooks.on_enter(S.ELIGIBILITY_REVIEW)
    def second(*, case, source, by):
        order.append("second")
        return {"second": by.username}

    try:
        transition_case(case_id=case.pk, to=S.ELIGIBILITY_REVIEW, by=staff, data={"given": 1})
    finally:
        for hook in (first, never, second):
            hooks.unregister(S.ELIGIBILITY_REVIEW, hook)
    assert order == ["first", "second"]
    event = CaseEvent.objects.get(case=case)
    assert event.data == {"given": 1, "first": S.RECEIVED, "second": staff.username}


def test_registered_hooks_come_from_the_higher_apps_in_app_order():
    from determinations import hooks as determination_hooks
    from library import hooks as library_hooks
    from reviewers import hooks as reviewer_hooks

    assert hooks.registered_hooks(S.READY_FOR_ASSIGNMENT) == [
        reviewer_hooks.enqueue_assignment,
        reviewer_hooks._end_review,
        determination_hooks.supersede_on_remand,
        library_hooks.unpublish_on_remand,
    ]
    assert hooks.registered_hooks(S.WITHDRAWN) == [reviewer_hooks._end_review]
    assert hooks.registered_hooks(S.TERMINATED) == [reviewer_hooks._end_review]


def test_a_hook_for_an_unknown_state_is_refused():
    with pytest.raises(ValueError, match="Unknown case state"):
        hooks.on_enter("no_such_state")
    with pytest.raises(ValueError, match="Unknown case state"):
        hooks.on_enter(S.CLOSED, sources=["nowhere"])
