"""Steps that explain themselves (issue 16 item 2): the case page offers the likely next steps as
buttons and the rare ones under "More actions", each rare step has its own page (heading, what
it does, a specific label for its reason, a box to tick when it cannot be undone), and after
each step a message says what happened and what happens next, read from what the step did.

Bad inputs tried: an irreversible step (withdraw, terminate, close, override, expedite, and
confirming a finding of "not eligible") posted
without its box ticked and with "false" as the box's value (a form error, nothing changed);
a blank withdrawal reason; withdrawing a closed case (409, the reason, nothing changed; its page
too); a page drawn before someone else moved the case (409, the reason, a fresh form from the
current state with the box unticked, nothing changed); a step name that does not exist (404).
"""

from __future__ import annotations

import importlib
from datetime import date, timedelta

import pytest
from django.urls import reverse

from cases.models import (
    AccessAction,
    AccessLogEntry,
    Case,
    CaseEvent,
    CaseStatus,
    DocumentKind,
    Priority,
)
from cases.services import case_actions
from cases.services.documents import add_document
from core.clock import today
from core.dates import us_date
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import CaseFactory, UserFactory, make_seed_like_case, make_seed_reviewer
from tests.second_factor import SECOND_FACTOR_QUERIES

S = CaseStatus
# Measured: the session and user, the case and its prefetches, the finding, earlier IMRs,
# candidates, the steps' guards, the sections of higher apps, the access-log INSERT, and whether
# the record is final (the case page's edit controls, cases.edit_views).
CASE_PAGE_QUERIES = 22
# The session and user, visibility, the case with its documents and consolidated cases, the
# guards, the access-log INSERT.
STEP_PAGE_QUERIES = 10
pytestmark = pytest.mark.django_db


def step_url(case: Case, key: str) -> str:
    return reverse("cases:action", args=[case.pk, key])


def case_url(case: Case) -> str:
    return reverse("cases:case", args=[case.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _awaiting_records(staff, *, with_record: bool = True) -> Case:
    case = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    if with_record:
        add_document(
            case=case,
            uploaded_file=upload(make_pdf_bytes()),
            kind=DocumentKind.MEDICAL_RECORD,
            title="Progress notes",
            received_on=today(),
            by=staff,
        )
    return Case.objects.get(pk=case.pk)


def _seed_specialty_rules() -> None:
    """The rules the data migration seeds (a transactional test before this one flushed them)."""
    from django.apps import apps

    from reviewers.models import SpecialtyRule

    if not SpecialtyRule.objects.exists():
        importlib.import_module("reviewers.migrations.0003_seed_specialty_rules").seed(apps, None)


@pytest.fixture
def no_assignment(monkeypatch):
    """The assignment job does nothing (a worker that has not picked it up yet)."""
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


# ---- The case page -------------------------------------------------------------------------


def test_likely_steps_are_buttons_and_rare_ones_are_links_under_more_actions(staff_client):
    case = make_seed_like_case()
    response = staff_client.get(case_url(case))
    assert [item["action"].key for item in response.context["primary_actions"]] == [
        "start_eligibility_review"
    ]
    assert [item["action"].key for item in response.context["more_actions"]] == [
        "consolidate",
        "convert_to_expedited",
        "withdraw",
        "terminate",
    ]
    html = response.content.decode()
    assert 'id="more-actions"' in html and 'data-bs-toggle="dropdown"' in html
    # Each rare step is a link to its own page (works without JavaScript: the noscript
    # stylesheet shows the menu as a list); none of their forms is on the case page.
    for key in ("consolidate", "convert_to_expedited", "withdraw", "terminate"):
        assert f'id="step-{key}" href="{step_url(case, key)}"' in html
    assert "withdraw-reason" not in html and "terminate-reason" not in html
    assert 'href="/static/css/steps-noscript.css"' in html


def test_with_no_likely_step_the_page_says_why_and_keeps_the_rare_ones(staff_client):
    case = CaseFactory(status=S.IN_REVIEW)
    html = staff_client.get(case_url(case)).content.decode()
    assert "No staff step is due in this state: the case is with the reviewer." in html
    assert 'id="step-withdraw"' in html


@pytest.mark.parametrize("documents", [1, 5])
def test_case_page_query_count(staff_client, django_assert_max_num_queries, staff, documents):
    """The case page with its steps costs the same whatever the number of documents."""
    case = _awaiting_records(staff)
    for n in range(documents - 1):
        add_document(
            case=case,
            uploaded_file=upload(make_pdf_bytes(label=f"record {n}")),
            kind=DocumentKind.MEDICAL_RECORD,
            title=f"Record {n}",
            received_on=today(),
            by=staff,
        )
    with django_assert_max_num_queries(CASE_PAGE_QUERIES + SECOND_FACTOR_QUERIES):
        response = staff_client.get(case_url(case))
    assert response.status_code == 200
    assert [item["action"].key for item in response.context["primary_actions"]] == ["records_complete"]
    assert len(response.context["more_actions"]) == 3


# ---- A step's own page ---------------------------------------------------------------------

RARE_PAGES = [
    # (state, fields, step, heading, the reason's label, the box to tick or "")
    (
        S.RECEIVED,
        {},
        "withdraw",
        "Withdraw the application",
        "Why is the application withdrawn?",
        "I understand this ends the review",
    ),
    (
        S.IN_REVIEW,
        {},
        "terminate",
        "Terminate the review: treatment authorized",
        "What authorized the treatment?",
        "I understand this ends the review",
    ),
    (
        S.AWAITING_RECORDS,
        {},
        "convert_to_expedited",
        "Convert the case to expedited review",
        "Treating physician&#x27;s certification",
        "the deadlines shorten at once",
    ),
    (
        S.ELIGIBILITY_REVIEW,
        {},
        "override_eligibility",
        "Override the eligibility finding",
        "Written reason for the override",
        "against the computed finding",
    ),
    (S.RECEIVED, {}, "consolidate", "Consolidate other applications into this case", "Case numbers", ""),
    (S.DETERMINATION_ISSUED, {}, "remand", "Remand the case (WCAB order)", "WCAB order reference", ""),
    (
        S.ELIGIBILITY_REVIEW,
        {"eligibility_confirmed": True},
        "send_eligibility_notice",
        "Send the notice of eligibility",
        "",
        "",
    ),
]


@pytest.mark.parametrize(("state", "fields", "key", "heading", "label", "confirm"), RARE_PAGES)
def test_each_rare_step_has_its_own_page(staff_client, staff, state, fields, key, heading, label, confirm):
    case = CaseFactory(status=state, **fields)
    response = staff_client.get(step_url(case, key))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="h3" id="step-heading">{heading}</h1>' in html
    assert 'id="step-explanation"' in html
    assert label in html
    assert (f'name="{key}-confirm"' in html) == bool(confirm)
    assert confirm in html
    assert f'value="{state}"' in html  # the state the user saw, posted back
    # The page shows case data: its read is logged.
    assert AccessLogEntry.objects.filter(case=case, user=staff, action=AccessAction.VIEW_CASE).exists()


def test_step_page_query_count(staff_client, staff, django_assert_max_num_queries):
    case = _awaiting_records(staff)
    with django_assert_max_num_queries(STEP_PAGE_QUERIES + SECOND_FACTOR_QUERIES):
        response = staff_client.get(step_url(case, "withdraw"))
    assert response.status_code == 200


def test_unknown_step_page_is_404(staff_client):
    case = CaseFactory(status=S.RECEIVED)
    assert staff_client.get(step_url(case, "explode")).status_code == 404


def test_a_step_the_state_does_not_offer_answers_409_on_its_page(staff_client):
    case = CaseFactory(status=S.CLOSED)
    response = staff_client.get(step_url(case, "withdraw"))
    assert response.status_code == 409
    html = response.content.decode()
    assert f"Case {case.case_number} is Closed: it cannot be withdrawn now." in html
    assert 'name="withdraw-reason"' not in html


def test_qa_may_not_open_a_step_page(client):
    case = CaseFactory(status=S.RECEIVED)
    client.force_login(UserFactory(role=roles.CLINICAL_QA))
    assert client.get(step_url(case, "withdraw")).status_code == 403


# ---- The confirmation of an irreversible step ---------------------------------------------

IRREVERSIBLE = [
    (S.RECEIVED, {}, "withdraw", {"reason": "The employee's letter of 03/02/2015"}),
    (S.IN_REVIEW, {}, "terminate", {"reason": "Authorized by Golden State on 03/05/2015"}),
    (S.DETERMINATION_ISSUED, {"appeal_due": date(2015, 1, 1)}, "close", {"reason": ""}),
    (S.ELIGIBILITY_REVIEW, {}, "override_eligibility", {"eligible": "no", "reason": "Liability denied"}),
    (S.AWAITING_RECORDS, {}, "convert_to_expedited", {"certification_note": "Dr. Treating, by phone"}),
]


@pytest.mark.parametrize(("state", "fields", "key", "data"), IRREVERSIBLE)
@pytest.mark.parametrize("box", [None, "false"])
def test_irreversible_steps_need_the_box_ticked(staff_client, state, fields, key, data, box):
    case = CaseFactory(status=state, **fields)
    before = (
        Case.objects.filter(pk=case.pk).values_list("status", "priority", "eligibility_confirmed")[0],
        CaseEvent.objects.filter(case=case).count(),
    )
    post = {f"{key}-expected_from": state, **{f"{key}-{name}": value for name, value in data.items()}}
    if box is not None:
        post[f"{key}-confirm"] = box
    response = staff_client.post(step_url(case, key), post)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick the box to confirm: this step cannot be undone." in html
    assert f'id="step-{key}"' in html  # the step's own page, with what was typed
    after = (
        Case.objects.filter(pk=case.pk).values_list("status", "priority", "eligibility_confirmed")[0],
        CaseEvent.objects.filter(case=case).count(),
    )
    assert after == before


def test_confirming_a_finding_of_not_eligible_needs_the_box(staff_client, staff):
    """Confirming is a primary step; it ends the review only when the finding is "not eligible":
    then, and only then, it asks for the box (on the case page's card too)."""
    eligible = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=eligible.pk, by=staff)
    card = staff_client.get(case_url(eligible)).content.decode().split('id="step-confirm_eligibility"')[1]
    assert "confirm_eligibility-confirm" not in card.split("</form>")[0]

    unsigned = make_seed_like_case(signed=False)
    case_actions.start_eligibility_review(case_id=unsigned.pk, by=staff)
    card = staff_client.get(case_url(unsigned)).content.decode().split('id="step-confirm_eligibility"')[1]
    assert 'name="confirm_eligibility-confirm"' in card.split("</form>")[0]
    assert "the computed finding is not eligible: confirming it ends the review" in card
    post = {"confirm_eligibility-expected_from": "eligibility_review"}
    response = staff_client.post(step_url(unsigned, "confirm_eligibility"), post)
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert Case.objects.get(pk=unsigned.pk).status == S.ELIGIBILITY_REVIEW

    response = staff_client.post(
        step_url(unsigned, "confirm_eligibility"), {**post, "confirm_eligibility-confirm": "on"}, follow=True
    )
    [message] = _messages(response)
    assert message.startswith(
        "Eligibility finding confirmed. The case is ineligible and its review ends. "
        "Notice of ineligibility emailed to the "
    )
    assert Case.objects.get(pk=unsigned.pk).status == S.INELIGIBLE

    # Found eligible: one click, no box; the message says what comes next.
    response = staff_client.post(
        step_url(eligible, "confirm_eligibility"),
        {"confirm_eligibility-expected_from": "eligibility_review"},
        follow=True,
    )
    assert _messages(response) == [
        "Eligibility finding confirmed. The case is eligible. Next: send the NOARFI (or first the notice of "
        "eligibility)."
    ]


def test_blank_withdrawal_reason_is_an_error_of_its_field(staff_client):
    case = make_seed_like_case()
    response = staff_client.post(
        step_url(case, "withdraw"),
        {"withdraw-expected_from": "received", "withdraw-reason": "  ", "withdraw-confirm": "on"},
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.RECEIVED


def test_withdrawing_a_closed_case_is_409_and_changes_nothing(staff_client):
    case = CaseFactory(status=S.CLOSED)
    response = staff_client.post(
        step_url(case, "withdraw"),
        {"withdraw-expected_from": "closed", "withdraw-reason": "Letter", "withdraw-confirm": "on"},
    )
    assert response.status_code == 409
    assert f"Case {case.case_number} is Closed: it cannot be withdrawn now." in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.CLOSED
    assert not CaseEvent.objects.filter(case=case).exists()


def test_a_page_drawn_before_someone_else_moved_the_case_is_409_with_a_fresh_form(staff_client, staff):
    case = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)  # someone else, meanwhile
    response = staff_client.post(
        step_url(case, "withdraw"),
        {"withdraw-expected_from": "received", "withdraw-reason": "Letter of 3/2", "withdraw-confirm": "on"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "was changed by someone else" in html and "Reload the page" in html
    form = response.context["form"]
    assert form.initial["expected_from"] == S.ELIGIBILITY_REVIEW and form.initial["reason"] == "Letter of 3/2"
    assert not form.is_bound  # the box is to be ticked again, knowing the new state
    assert Case.objects.get(pk=case.pk).status == S.ELIGIBILITY_REVIEW


# ---- What happened, and what happens next ------------------------------------------------


def test_withdrawal_says_who_was_sent_the_confirmation_and_the_fee(staff_client):
    case = make_seed_like_case()
    response = staff_client.post(
        step_url(case, "withdraw"),
        {
            "withdraw-expected_from": "received",
            "withdraw-reason": "The employee's letter of 03/02/2015",
            "withdraw-confirm": "on",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == case_url(case)
    [message] = _messages(response)
    assert message.startswith("Case withdrawn. Confirmation of withdrawal emailed to the ")
    # From the notice's deliveries: every party of the seed case has an email address.
    for party in ("employee", "claims administrator", "requesting provider"):
        assert party in message
    assert (
        "The claims administrator owes $160, the reduced fee: the case ended before a reviewer had it."
        in message
    )
    assert Case.objects.get(pk=case.pk).status == S.WITHDRAWN


def test_a_party_without_email_is_named_for_the_post_tray(staff_client):
    from cases.models import PartyRole

    case = make_seed_like_case()
    case.parties.filter(role=PartyRole.EMPLOYER).update(email="", mailing_address="1 Plant Rd")
    response = staff_client.post(
        step_url(case, "terminate"),
        {
            "terminate-expected_from": "received",
            "terminate-reason": "Authorized 03/05",
            "terminate-confirm": "on",
        },
        follow=True,
    )
    [message] = _messages(response)
    assert "Confirmation of termination emailed to the" in message
    assert "put on the post tray to be mailed to the employer." in message


def test_noarfi_says_how_it_went_and_when_the_records_are_due(staff_client, staff):
    case = make_seed_like_case()
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)
    case_actions.confirm_eligibility(case_id=case.pk, by=staff)
    response = staff_client.post(
        step_url(case, "send_notice"), {"send_notice-expected_from": "eligibility_review"}, follow=True
    )
    [message] = _messages(response)
    case.refresh_from_db()
    assert "Notice of Assignment and Request for Information emailed to the employee" in message
    assert f"The medical records are due {us_date(case.records_due)} (notice by electronic)." in message


def test_expedite_says_the_new_deadlines(staff_client, staff):
    case = _awaiting_records(staff)
    response = staff_client.post(
        step_url(case, "convert_to_expedited"),
        {
            "convert_to_expedited-expected_from": "awaiting_records",
            "convert_to_expedited-certification_note": "Dr. Treating, by phone on 3/4",
            "convert_to_expedited-confirm": "on",
        },
        follow=True,
    )
    [message] = _messages(response)
    case.refresh_from_db()
    assert case.priority == Priority.EXPEDITED
    assert "Notice of conversion to expedited review emailed to the" in message
    assert f"New deadlines: records due {us_date(case.records_due)}" in message


def test_records_complete_while_the_assignment_is_queued(staff_client, staff, no_assignment):
    case = _awaiting_records(staff)
    response = staff_client.post(
        step_url(case, "records_complete"),
        {"records_complete-expected_from": "awaiting_records"},
        follow=True,
    )
    assert _messages(response) == [
        "Records marked complete. A reviewer is being assigned; this page will show who (under Assignments)."
    ]
    assert Case.objects.get(pk=case.pk).status == S.READY_FOR_ASSIGNMENT


@pytest.mark.django_db(transaction=True)
def test_records_complete_names_the_reviewer_assigned_and_emailed(client, mailoutbox):
    """The embedded default: the assignment job runs when the step commits, in the request; the
    message names the reviewer by number (never by name) and says they were emailed."""
    _seed_specialty_rules()
    staff = UserFactory(username="intake.steps", role=roles.INTAKE_STAFF)
    client.force_login(staff)
    reviewer = make_seed_reviewer()
    case = _awaiting_records(staff)
    response = client.post(
        step_url(case, "records_complete"),
        {"records_complete-expected_from": "awaiting_records"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.status == S.ASSIGNED, case.manual_assignment_reason
    [message] = _messages(response)
    assert message == (
        f"Records marked complete. Assigned to reviewer {reviewer.reviewer_number}; they were emailed. "
        f"The determination is due {us_date(case.determination_due)}."
    )
    assert reviewer.user.get_full_name() not in message and reviewer.user.last_name not in message
    assert [m.to for m in mailoutbox if reviewer.reviewer_number in m.body] == [[reviewer.user.email]]
    # The Assignments section of the page it lands on shows it too.
    assert f"Reviewer {reviewer.reviewer_number}: Offered (current)" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_records_complete_with_no_reviewer_says_it_needs_a_manual_assignment(client):
    """No reviewer on record: the assignment job (run on commit, in the request) flags the case."""
    staff = UserFactory(username="intake.steps2", role=roles.INTAKE_STAFF)
    client.force_login(staff)
    case = _awaiting_records(staff)
    response = client.post(
        step_url(case, "records_complete"),
        {"records_complete-expected_from": "awaiting_records"},
        follow=True,
    )
    [message] = _messages(response)
    case.refresh_from_db()
    assert case.needs_manual_assignment
    assert message == (
        "Records marked complete. No reviewer could be assigned automatically: "
        f"{case.manual_assignment_reason} Assign one by hand on the Reviewer assignment page."
    )


def test_remand_and_close_say_what_follows(staff_client, staff, no_assignment):
    remanded = CaseFactory(status=S.DETERMINATION_ISSUED)
    response = staff_client.post(
        step_url(remanded, "remand"),
        {"remand-expected_from": "determination_issued", "remand-order_reference": "ADJ123 of 3/9"},
        follow=True,
    )
    [message] = _messages(response)
    assert message.startswith("Case remanded for a new review. The issued letter stays on file.")
    assert message.endswith("A reviewer is being assigned; this page will show who (under Assignments).")

    closed = CaseFactory(status=S.DETERMINATION_ISSUED, appeal_due=today() - timedelta(days=1))
    response = staff_client.post(
        step_url(closed, "close"),
        {"close-expected_from": "determination_issued", "close-reason": "", "close-confirm": "on"},
        follow=True,
    )
    assert _messages(response) == ["Case closed. No further step is open; the case file stays on record."]
