"""One case from application to delivered letter, through every app's real services.

The seed case arrives without its determination, is found eligible, gets its records, is
assigned automatically to the only qualified reviewer (the seed's credentials), decided as the
seed letter decides it, approved by QA, issued and emailed to every party. Tasks run in
process here; the real worker and SMTP paths have their own tests.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from django.core import mail

from cases.models import CaseStatus, DocumentKind
from cases.services import case_actions
from cases.services.documents import add_document
from determinations.models import DeliveryStatus, DeterminationStatus, Letter
from determinations.services.review import ItemInput, qa_approve, submit_determination
from exchange.services.intake import import_case
from imr_site import roles
from reviewers.models import Assignment, AssignmentStatus
from reviewers.services.responses import accept_assignment
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import UserFactory, make_seed_reviewer

SEED = json.loads((Path(__file__).parent / "data" / "seed-case.json").read_text())


@pytest.mark.django_db
def test_seed_case_goes_from_application_to_delivered_letter(django_capture_on_commit_callbacks):
    intake = UserFactory(role=roles.INTAKE_STAFF)
    qa = UserFactory(role=roles.CLINICAL_QA)
    reviewer = make_seed_reviewer()
    payload = {key: value for key, value in SEED.items() if key != "determination"}
    case = import_case(payload=payload, by=intake)
    assert case.status == CaseStatus.RECEIVED

    case_actions.start_eligibility_review(case_id=case.pk, by=intake)
    case_actions.confirm_eligibility(case_id=case.pk, by=intake)
    case_actions.send_notice_of_assignment(case_id=case.pk, by=intake)
    add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes()),
        kind=DocumentKind.MEDICAL_RECORD,
        title="Pain management notes 2/9/2015",
        received_on=date(2015, 3, 2),
        by=intake,
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.mark_records_complete(case_id=case.pk, by=intake)

    # Completing the records enqueued the assignment task, which picked the seed reviewer.
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    assignment = Assignment.objects.active().get(case=case)
    assert assignment.reviewer == reviewer
    reviewer.refresh_from_db()
    assert reviewer.open_cases == 1

    accept_assignment(assignment_id=assignment.pk, by=reviewer.user, attest_no_conflict=True)
    items = [
        ItemInput(disputed_item_id=item.pk, **decision)
        for item, decision in zip(
            case.disputed_items.order_by("position"), SEED["determination"]["items"], strict=True
        )
    ]
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary=SEED["determination"]["clinical_case_summary"], items=items
    )
    with django_capture_on_commit_callbacks(execute=True):
        qa_approve(determination_id=determination.pk, by=qa)

    case.refresh_from_db()
    determination.refresh_from_db()
    assert case.status == CaseStatus.DETERMINATION_ISSUED
    assert determination.status == DeterminationStatus.ISSUED
    assert determination.licensure_states == ["GA", "CA", "TX"]
    letter = Letter.objects.get(determination=determination)
    assert letter.pages >= 2
    # Employee, requesting provider, claims administrator and employer: one email each.
    assert sorted(d.status for d in letter.deliveries.all()) == [DeliveryStatus.SENT] * 4
    assert len(mail.outbox) >= 4
    assert all(case.case_number in m.subject for m in mail.outbox[-4:])
    # The review is over: the reviewer's load drops and their assignment is kept as a record.
    assignment.refresh_from_db()
    reviewer.refresh_from_db()
    assert (assignment.active, assignment.status) == (False, AssignmentStatus.ACCEPTED)
    assert reviewer.open_cases == 0


@pytest.mark.django_db
def test_withdrawing_an_assigned_case_frees_the_reviewers_slot():
    intake = UserFactory(role=roles.INTAKE_STAFF)
    reviewer = make_seed_reviewer()
    payload = {key: value for key, value in SEED.items() if key != "determination"}
    payload["case_number"] = "CM15-0041878"
    payload["history"] = [
        {"status": "eligibility_review", "on": "2015-03-02"},
        {"status": "awaiting_records", "on": "2015-03-03", "notice_method": "electronic"},
        {"status": "ready_for_assignment", "on": "2015-03-10"},
        {"status": "assigned", "on": "2015-03-11", "reviewer_number": reviewer.reviewer_number},
    ]
    case = import_case(payload=payload, by=intake)
    reviewer.refresh_from_db()
    assert reviewer.open_cases == 1  # the imported assignment counts

    case_actions.withdraw(case_id=case.pk, by=intake, reason="The employee withdrew the application.")
    reviewer.refresh_from_db()
    assert reviewer.open_cases == 0
