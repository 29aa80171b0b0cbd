"""The reviewer's workspace and the QA pages, through the Django test client.

Bad inputs tried: accepting without the no-conflict attestation, declining without a
reason, accepting an assignment already accepted; a submission with an empty form (each
missing field must carry its own error) and with a decision outside Upheld/Overturned;
saving, previewing and submitting after submission (409, nothing changed); a QA return
with no comment; approving an already approved determination; users without a reviewer
profile (404) or the QA permission (403) on each workspace.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseStatus, Priority
from core.form_tokens import FIELD_NAME
from determinations.models import Decision, Determination, DeterminationStatus, GuidelineEntry
from determinations.services.review import qa_return, submit_determination
from imr_site import roles
from reviewers.models import AssignmentStatus
from tests.determinations.review_support import (
    case_for_review,
    qa_user,
    seed_determination,
    seed_form_data,
    seed_item_inputs,
    with_case_file_token,
    with_qa_token,
)
from tests.factories import UserFactory, make_seed_reviewer
from tests.forms_helpers import own_token
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_seed_reviewer()


def _login(client, user):
    client.force_login(user)
    return user


# ---- reviewer home ----


def test_reviewer_home_lists_active_cases_most_urgent_first(client, reviewer):
    later, _ = case_for_review(reviewer=reviewer, due_in_days=20)
    sooner, _ = case_for_review(
        reviewer=reviewer,
        due_in_days=2,
        status=CaseStatus.ASSIGNED,
        assignment_status=AssignmentStatus.OFFERED,
    )
    expedited_same_day, _ = case_for_review(reviewer=reviewer, due_in_days=2, priority=Priority.EXPEDITED)
    declined, _ = case_for_review(
        reviewer=reviewer,
        status=CaseStatus.READY_FOR_ASSIGNMENT,
        assignment_status=AssignmentStatus.DECLINED,
        active=False,
    )
    others, _ = case_for_review()
    _login(client, reviewer.user)
    response = client.get(reverse("review:reviewer_home"))
    assert response.status_code == 200
    body = response.content.decode()
    positions = [body.index(f'data-case="{c.case_number}"') for c in (expedited_same_day, sooner, later)]
    assert positions == sorted(positions)
    assert declined.case_number not in body and others.case_number not in body
    assert "Expedited" in body
    due = (date.today() + timedelta(days=2)).strftime("%m/%d/%Y")
    assert due in body
    # The offered case shows the attestation and the decline form, each field labelled.
    assert f'for="id_case{sooner.pk}_attest_no_conflict"' in body
    assert f'for="id_case{sooner.pk}_reason"' in body


def test_reviewer_home_is_404_without_a_reviewer_profile(client):
    _login(client, UserFactory(role=roles.CLINICAL_QA))
    assert client.get(reverse("review:reviewer_home")).status_code == 404


@pytest.mark.parametrize("view", ["review:reviewer_home", "review:qa_queue"])
def test_workspace_queues_cost_the_same_queries_for_1_and_50_cases(
    client, reviewer, view, django_assert_max_num_queries
):
    user = reviewer.user if view == "review:reviewer_home" else qa_user()
    status = CaseStatus.IN_REVIEW if view == "review:reviewer_home" else CaseStatus.QA_REVIEW

    def add_case():
        case, _assignment = case_for_review(reviewer=reviewer, status=status)
        if status == CaseStatus.QA_REVIEW:
            Determination.objects.create(case=case, reviewer=reviewer, status=DeterminationStatus.SUBMITTED)
        return case

    first = add_case()
    _login(client, user)
    # Measured: 8 queries (reviewer home) and 7 (QA queue), whatever the queue's length, each with
    # the one INSERT of its access-log rows (issue 13), plus the second factor's device read.
    budget = 9 + SECOND_FACTOR_QUERIES
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(view))
    assert first.case_number in response.content.decode()
    for _ in range(49):
        add_case()
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(view))
    assert response.content.decode().count("data-case=") == 50


def test_accept_needs_the_attestation_then_opens_the_case(client, reviewer):
    case, assignment = case_for_review(
        reviewer=reviewer, status=CaseStatus.ASSIGNED, assignment_status=AssignmentStatus.OFFERED
    )
    _login(client, reviewer.user)
    url = reverse("review:accept", args=[case.pk])
    response = client.post(url, {}, follow=True)
    assert "attest that you have no conflict" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    response = client.post(url, {"attest_no_conflict": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("review:case_file", args=[case.pk])
    case.refresh_from_db()
    assignment.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW and assignment.status == AssignmentStatus.ACCEPTED
    # Accepting again is refused with the service's message, not a 500.
    response = client.post(url, {"attest_no_conflict": "on"}, follow=True)
    assert response.status_code == 200
    assert "no longer open" in response.content.decode()


def test_decline_needs_a_reason(client, reviewer, django_capture_on_commit_callbacks):
    case, assignment = case_for_review(
        reviewer=reviewer, status=CaseStatus.ASSIGNED, assignment_status=AssignmentStatus.OFFERED
    )
    _login(client, reviewer.user)
    url = reverse("review:decline", args=[case.pk])
    response = client.post(url, {"reason": "  "}, follow=True)
    assert "Say why you decline" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"reason": "I treated the employee in 2012."}, follow=True)
    assert "You declined case" in response.content.decode()
    case.refresh_from_db()
    assignment.refresh_from_db()
    assert case.status == CaseStatus.READY_FOR_ASSIGNMENT
    assert assignment.status == AssignmentStatus.DECLINED and not assignment.active


# ---- case file and the determination form ----


def test_case_file_shows_facts_items_documents_and_timeline_and_logs_the_view(client, reviewer):
    from cases.models import Document

    case, _ = case_for_review(reviewer=reviewer)
    doc = Document.objects.create(
        case=case,
        kind="medical_record",
        title="Dr. Treating progress notes 2015",
        file="x.pdf",
        sha256="a" * 64,
        size=10,
        pages=3,
        received_on=date(2015, 3, 1),
    )
    GuidelineEntry.objects.get_or_create(
        citation="MTUS Test Citation For Datalist", defaults={"source": "MTUS"}
    )
    _login(client, reviewer.user)
    response = client.get(reverse("review:case_file", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        case.case_number,
        "Maria Example",
        "Golden State Claims Services",
        "GSC-07-118204",
        "Physical Therapy 2x8 for the Lumbar Spine",
        "MTUS Chronic Pain Treatment Guidelines Trigger Point Injections",
        "Denied",
        "Modified",
        "lumbar radiculopathy",
        "Dr. Treating progress notes 2015",
        reverse("documents:document", kwargs={"document_id": doc.pk}),
        '<datalist id="guideline-catalog">',
        "MTUS Test Citation For Datalist",
        'list="guideline-catalog"',
        "Save draft",
        "Preview letter",
        "Submit to QA",
    ):
        assert text in body, text
    entry = AccessLogEntry.objects.get(case=case)
    assert entry.user == reviewer.user and entry.action == AccessAction.VIEW_CASE


def test_draft_is_saved_from_the_form_and_shown_again(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    first = case.disputed_items.order_by("position").first()
    _login(client, reviewer.user)
    response = client.post(
        reverse("review:save_draft", args=[case.pk]),
        {"clinical_case_summary": "Half written", "version": "0", f"item-{first.pk}-decision": "overturned"},
    )
    assert response.status_code == 302
    determination = Determination.objects.get(case=case)
    assert determination.status == DeterminationStatus.DRAFT
    assert determination.items.get(disputed_item=first).decision == Decision.OVERTURNED
    # A new session (after logging out) finds the draft in the form.
    client.logout()
    _login(client, reviewer.user)
    body = client.get(reverse("review:case_file", args=[case.pk])).content.decode()
    assert "Half written" in body
    assert (
        'value="overturned" checked' in body
        or 'checked value="overturned"' in body
        or ('value="overturned"' in body and "checked" in body)
    )


def test_preview_saves_and_shows_the_letter_without_the_reviewer_name(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    _login(client, reviewer.user)
    response = client.post(reverse("review:preview", args=[case.pk]), seed_form_data(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<iframe" in body and "srcdoc=" in body
    assert "CLINICAL CASE SUMMARY" in body
    assert "MTUS would support up to 10 physical therapy visits" in body
    assert reviewer.user.last_name not in body.split("<iframe", 1)[1]
    assert Determination.objects.get(case=case).status == DeterminationStatus.DRAFT
    assert client.get(reverse("review:preview", args=[case.pk])).status_code == 200


def test_the_form_is_refused_until_the_reviewer_accepts(client, reviewer):
    case, _ = case_for_review(
        reviewer=reviewer, status=CaseStatus.ASSIGNED, assignment_status=AssignmentStatus.OFFERED
    )
    _login(client, reviewer.user)
    body = client.get(reverse("review:case_file", args=[case.pk])).content.decode()
    assert "Accept case" in body and "Submit to QA" not in body
    response = client.post(reverse("review:save_draft", args=[case.pk]), seed_form_data(case))
    assert response.status_code == 409
    assert "Accept the case before you write its determination." in response.content.decode()
    assert not Determination.objects.filter(case=case).exists()


def test_preview_with_nothing_saved_explains_instead_of_failing(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    _login(client, reviewer.user)
    response = client.get(reverse("review:preview", args=[case.pk]), follow=True)
    assert response.status_code == 200
    assert "Nothing is saved yet" in response.content.decode()


def test_submit_with_an_empty_form_marks_every_missing_field_and_writes_nothing(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    _first, second = case.disputed_items.order_by("position")
    _login(client, reviewer.user)
    response = client.post(
        reverse("review:submit", args=[case.pk]),
        with_case_file_token(client, case, {"clinical_case_summary": ""}),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Write the clinical case summary." in body
    for n in (1, 2):
        assert f"Choose Upheld or Overturned for item {n}." in body
        assert f"Cite the guideline the decision on item {n} is based on." in body
        assert f"Write the rationale for item {n}." in body
    # Errors sit on their fields (crispy marks the input invalid next to its message).
    assert body.count("is-invalid") >= 7
    assert not Determination.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    # A decision outside the choices is a form error, not a 500.
    data = seed_form_data(case)
    data[f"item-{second.pk}-decision"] = "maybe"
    response = client.post(reverse("review:submit", args=[case.pk]), with_case_file_token(client, case, data))
    assert response.status_code == 400
    assert not Determination.objects.filter(case=case).exists()


def test_submit_then_the_form_is_read_only_and_posts_are_refused(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    _login(client, reviewer.user)
    response = client.post(
        reverse("review:submit", args=[case.pk]), with_case_file_token(client, case, seed_form_data(case))
    )
    assert response.status_code == 302
    case.refresh_from_db()
    determination = Determination.objects.get(case=case)
    assert case.status == CaseStatus.QA_REVIEW
    assert determination.status == DeterminationStatus.SUBMITTED and determination.submitted_at
    body = client.get(reverse("review:case_file", args=[case.pk])).content.decode()
    assert "Submit to QA" not in body and "disabled" in body
    changed = with_case_file_token(
        client, case, {**seed_form_data(case), "clinical_case_summary": "Changed after submission"}
    )
    for name in ("review:save_draft", "review:preview", "review:submit"):
        response = client.post(reverse(name, args=[case.pk]), changed)
        assert response.status_code == 409, name
        assert "can no longer be changed" in response.content.decode()
    determination.refresh_from_db()
    assert determination.clinical_case_summary == seed_determination()["clinical_case_summary"]


def test_returned_determination_shows_the_qa_comment_and_can_be_resubmitted(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="Summary", items=seed_item_inputs(case)
    )
    qa_return(determination_id=determination.pk, by=qa_user(), comment="Please cite page numbers.")
    _login(client, reviewer.user)
    body = client.get(reverse("review:case_file", args=[case.pk])).content.decode()
    assert body.index("Please cite page numbers.") < body.index("Case facts")
    assert "Submit to QA" in body
    response = client.post(
        reverse("review:submit", args=[case.pk]), with_case_file_token(client, case, seed_form_data(case))
    )
    assert response.status_code == 302
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.SUBMITTED


# ---- QA ----


def _in_qa(reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="The summary.", items=seed_item_inputs(case)
    )
    return case, determination


def test_qa_queue_needs_the_qa_permission(client, reviewer):
    _login(client, reviewer.user)
    assert client.get(reverse("review:qa_queue")).status_code == 403
    _login(client, UserFactory(role=roles.INTAKE_STAFF))
    assert client.get(reverse("review:qa_queue")).status_code == 403


def test_qa_page_shows_ur_and_reviewer_decisions_side_by_side_and_logs(client, reviewer):
    case, determination = _in_qa(reviewer)
    qa = _login(client, qa_user())
    body = client.get(reverse("review:qa_queue")).content.decode()
    assert case.case_number in body and reviewer.reviewer_number in body
    response = client.get(reverse("review:qa_determination", args=[determination.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Modified",
        "Denied",
        "Upheld",
        "The summary.",
        "Page(s): 122 of 127",
        "Approve",
        "Return to reviewer",
    ):
        assert text in body, text
    assert AccessLogEntry.objects.filter(case=case, user=qa, action=AccessAction.VIEW_CASE).exists()


def test_qa_return_without_a_comment_is_refused(client, reviewer):
    case, determination = _in_qa(reviewer)
    _login(client, qa_user())
    url = reverse("review:qa_return", args=[determination.pk])
    response = client.post(
        url, with_qa_token(client, determination, {"comment": " "}, action="review:qa_return")
    )
    assert response.status_code == 400
    assert "Say what the reviewer should change." in response.content.decode()
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.SUBMITTED
    response = client.post(
        url, with_qa_token(client, determination, {"comment": "Fix item 2."}, action="review:qa_return")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW


def test_qa_approve_issues_the_letter_and_a_second_approval_is_refused(
    client, reviewer, django_capture_on_commit_callbacks
):
    case, determination = _in_qa(reviewer)
    _login(client, qa_user())
    url = reverse("review:qa_approve", args=[determination.pk])
    # Two tabs open on the QA page: each form has its own token.
    first_tab = with_qa_token(client, determination, action="review:qa_approve")
    second_tab = with_qa_token(client, determination, action="review:qa_approve")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, first_tab)
    assert response.status_code == 302
    determination.refresh_from_db()
    case.refresh_from_db()
    assert determination.status in (DeterminationStatus.APPROVED, DeterminationStatus.ISSUED)
    assert determination.approved_by is not None
    assert case.status == CaseStatus.DETERMINATION_ISSUED
    response = client.post(url, second_tab)
    assert response.status_code == 409
    assert "only a submitted determination" in response.content.decode()
    missing = reverse("review:qa_approve", args=[determination.pk + 999])
    assert client.post(missing, {FIELD_NAME: own_token(client)}).status_code == 404
