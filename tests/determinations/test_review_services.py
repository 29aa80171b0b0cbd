"""The review services: drafts, submission, QA approval and return.

Bad inputs tried: a draft by a reviewer not assigned, by one whose offer is not yet
accepted, on a case not in review, naming another case's disputed item, with a decision
"maybe" and an over-long rationale; a submission with no summary and empty items, with one
item missing; saving or submitting again after submission; QA approval by a user without
the QA permission, by the determination's own reviewer, twice; a return with a blank comment.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from cases.models import CaseEvent, CaseStatus
from determinations.models import Decision, Determination, DeterminationStatus, ItemDecision, Letter
from determinations.services.review import (
    RATIONALE_MAX,
    ItemInput,
    ReviewError,
    item_field,
    qa_approve,
    qa_return,
    save_draft,
    submit_determination,
)
from reviewers.models import AssignmentStatus
from tests.determinations.review_support import case_for_review, qa_user, seed_determination, seed_item_inputs
from tests.factories import DisputedItemFactory, UserFactory, make_seed_reviewer

pytestmark = pytest.mark.django_db


def _submitted():
    case, assignment = case_for_review()
    user = assignment.reviewer.user
    determination = submit_determination(
        case_id=case.pk,
        by=user,
        summary=seed_determination()["clinical_case_summary"],
        items=seed_item_inputs(case),
    )
    return case, user, determination


def test_a_partial_draft_is_saved_with_blank_decisions_allowed():
    case, assignment = case_for_review()
    first, second = case.disputed_items.order_by("position")
    determination = save_draft(
        case_id=case.pk,
        by=assignment.reviewer.user,
        summary="  Started.  ",
        items=[ItemInput(first.pk, decision=Decision.UPHELD), ItemInput(second.pk, rationale="Thinking")],
    )
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.DRAFT
    assert determination.reviewer == assignment.reviewer
    assert determination.clinical_case_summary == "Started."
    rows = {row.disputed_item_id: row for row in determination.items.all()}
    assert rows[first.pk].decision == Decision.UPHELD and rows[first.pk].rationale == ""
    assert rows[second.pk].decision == "" and rows[second.pk].rationale == "Thinking"
    # Saving again updates the same rows.
    save_draft(case_id=case.pk, by=assignment.reviewer.user, summary="", items=[ItemInput(first.pk)])
    assert ItemDecision.objects.filter(determination=determination).count() == 2
    assert Determination.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.DETERMINATION_DRAFT_SAVED).count() == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ({"assignment_status": AssignmentStatus.OFFERED, "status": CaseStatus.ASSIGNED}, "Accept case"),
        ({"status": CaseStatus.QA_REVIEW}, "only while the case is in review"),
        ({"active": False, "assignment_status": AssignmentStatus.ENDED}, "not assigned to you"),
    ],
)
def test_a_draft_is_refused_unless_the_reviewer_holds_the_accepted_case_in_review(setup, message):
    case, assignment = case_for_review(**setup)
    with pytest.raises(ReviewError, match=message):
        save_draft(case_id=case.pk, by=assignment.reviewer.user, summary="x", items=[])
    assert not Determination.objects.filter(case=case).exists()


def test_another_reviewer_cannot_save_a_draft():
    case, _ = case_for_review()
    with pytest.raises(ReviewError, match="not assigned to you"):
        save_draft(case_id=case.pk, by=make_seed_reviewer().user, summary="x", items=[])
    assert not Determination.objects.filter(case=case).exists()


def test_bad_item_inputs_are_refused_and_nothing_is_written():
    case, assignment = case_for_review()
    first = case.disputed_items.order_by("position").first()
    foreign = DisputedItemFactory()
    with pytest.raises(ReviewError) as caught:
        save_draft(
            case_id=case.pk,
            by=assignment.reviewer.user,
            summary="x",
            items=[
                ItemInput(first.pk, decision="maybe", rationale="y" * (RATIONALE_MAX + 1)),
                ItemInput(foreign.pk, decision=Decision.UPHELD),
            ],
        )
    paths = [path for path, _ in caught.value.errors]
    assert item_field(disputed_item_id=first.pk, field="decision") in paths
    assert item_field(disputed_item_id=first.pk, field="rationale") in paths
    assert "" in paths  # the foreign item
    assert not Determination.objects.filter(case=case).exists()
    assert not ItemDecision.objects.filter(disputed_item=foreign).exists()


def test_an_incomplete_submission_names_each_missing_field_and_writes_nothing():
    case, assignment = case_for_review()
    _first, second = case.disputed_items.order_by("position")
    complete = seed_item_inputs(case)[0]
    with pytest.raises(ReviewError) as caught:
        submit_determination(
            case_id=case.pk,
            by=assignment.reviewer.user,
            summary="   ",
            items=[complete, ItemInput(second.pk, decision=Decision.OVERTURNED)],
        )
    paths = {path for path, _ in caught.value.errors}
    assert paths == {
        "summary",
        item_field(disputed_item_id=second.pk, field="reviewer_guideline"),
        item_field(disputed_item_id=second.pk, field="rationale"),
    }
    assert not Determination.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    # An item left out of the inputs entirely counts as undecided.
    with pytest.raises(ReviewError) as caught:
        submit_determination(case_id=case.pk, by=assignment.reviewer.user, summary="S", items=[complete])
    assert item_field(disputed_item_id=second.pk, field="decision") in {p for p, _ in caught.value.errors}


def test_submitting_moves_the_case_to_qa_and_freezes_the_determination():
    case, user, determination = _submitted()
    determination.refresh_from_db()
    case.refresh_from_db()
    assert determination.status == DeterminationStatus.SUBMITTED
    assert determination.submitted_at is not None
    assert case.status == CaseStatus.QA_REVIEW
    event = CaseEvent.objects.get(case=case, to_status=CaseStatus.QA_REVIEW)
    assert event.actor == user and event.from_status == CaseStatus.IN_REVIEW
    assert [row.decision for row in determination.items.all()] == [Decision.UPHELD, Decision.UPHELD]
    for write in (save_draft, submit_determination):
        with pytest.raises(ReviewError, match="QA review"):
            write(case_id=case.pk, by=user, summary="changed", items=[])
    determination.refresh_from_db()
    assert determination.clinical_case_summary == seed_determination()["clinical_case_summary"]


def test_qa_approval_keeps_the_case_in_qa_and_issues_the_letter_on_commit(django_capture_on_commit_callbacks):
    case, _, determination = _submitted()
    qa = qa_user()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        qa_approve(determination_id=determination.pk, by=qa)
    determination.refresh_from_db()
    case.refresh_from_db()
    assert determination.status == DeterminationStatus.APPROVED
    assert determination.approved_by == qa and determination.approved_at is not None
    assert case.status == CaseStatus.QA_REVIEW
    assert not Letter.objects.filter(determination=determination).exists()
    assert len(callbacks) == 1
    # The enqueued task (run in process here) issues the letter and moves the case on.
    callbacks[0]()
    case.refresh_from_db()
    assert case.status == CaseStatus.DETERMINATION_ISSUED
    assert Letter.objects.filter(determination=determination).count() == 1


def test_qa_approval_enqueues_the_letter_robustly_so_a_broker_failure_never_undoes_it(
    django_capture_on_commit_callbacks,
):
    """The letter task is the one enqueue registered `robust`: the approval stands if enqueuing fails."""
    _case, _, determination = _submitted()
    connection = transaction.get_connection()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        before = len(connection.run_on_commit)
        qa_approve(determination_id=determination.pk, by=qa_user())
        robust = [flag for _sids, _hook, flag in connection.run_on_commit[before:]]
    assert len(callbacks) == 1
    assert robust == [True]


def test_qa_approval_is_refused_for_non_qa_users_the_own_reviewer_and_twice():
    _case, reviewer_user, determination = _submitted()
    staff = UserFactory()
    with pytest.raises(ReviewError, match="permission"):
        qa_approve(determination_id=determination.pk, by=staff)
    # A reviewer who is also in the QA role may not approve their own work.
    from django.contrib.auth.models import Group

    from imr_site import roles

    qa_user()  # creates the role groups
    reviewer_user.groups.add(Group.objects.get(name=roles.CLINICAL_QA))
    reviewer_user = type(reviewer_user).objects.get(pk=reviewer_user.pk)  # drop the permission cache
    with pytest.raises(ReviewError, match="your own"):
        qa_approve(determination_id=determination.pk, by=reviewer_user)
    qa = qa_user()
    with transaction.atomic():
        qa_approve(determination_id=determination.pk, by=qa)
    with pytest.raises(ReviewError, match="only a submitted determination"):
        qa_approve(determination_id=determination.pk, by=qa)
    with pytest.raises(ReviewError, match="does not exist"):
        qa_approve(determination_id=determination.pk + 1000, by=qa)


def test_qa_return_needs_a_comment_and_sends_the_case_back_for_resubmission():
    case, reviewer_user, determination = _submitted()
    qa = qa_user()
    with pytest.raises(ReviewError) as caught:
        qa_return(determination_id=determination.pk, by=qa, comment="   ")
    assert caught.value.errors[0][0] == "comment"
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.SUBMITTED

    qa_return(determination_id=determination.pk, by=qa, comment="Cite the page numbers for item 2.")
    determination.refresh_from_db()
    case.refresh_from_db()
    assert determination.status == DeterminationStatus.RETURNED
    assert determination.qa_comment == "Cite the page numbers for item 2."
    assert case.status == CaseStatus.IN_REVIEW
    event = CaseEvent.objects.filter(case=case, to_status=CaseStatus.IN_REVIEW).latest("id")
    assert event.reason == "Cite the page numbers for item 2." and event.actor == qa

    # The reviewer edits (still returned: the comment stays visible) and resubmits.
    save_draft(case_id=case.pk, by=reviewer_user, summary="Edited summary", items=seed_item_inputs(case))
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.RETURNED
    submit_determination(
        case_id=case.pk, by=reviewer_user, summary="Edited summary", items=seed_item_inputs(case)
    )
    determination.refresh_from_db()
    case.refresh_from_db()
    assert determination.status == DeterminationStatus.SUBMITTED
    assert case.status == CaseStatus.QA_REVIEW
    assert Determination.objects.filter(case=case).count() == 1


def test_a_new_reviewer_does_not_inherit_the_draft_of_the_one_who_left():
    case, old = case_for_review()
    save_draft(case_id=case.pk, by=old.reviewer.user, summary="Old notes", items=[])
    old.status, old.active = AssignmentStatus.ENDED, False
    old.save()
    _, new = case_for_review()  # a fresh case only to build a second reviewer cheaply
    new.case = case
    new.pk = None
    new.save()
    determination = save_draft(case_id=case.pk, by=new.reviewer.user, summary="", items=[])
    assert determination.reviewer == new.reviewer
    assert determination.clinical_case_summary == ""
    assert (
        Determination.objects.get(case=case, status=DeterminationStatus.SUPERSEDED).reviewer == old.reviewer
    )
