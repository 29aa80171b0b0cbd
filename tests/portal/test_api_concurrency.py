"""Two retries of one POST at once (same Idempotency-Key) make one case, and both get its answer;
the claims administrator declaring complete twice at once moves the case once. PostgreSQL."""

from __future__ import annotations

import json

import pytest

from cases.models import Case, CaseStatus
from cases.services.documents import add_document
from core.errors import DomainError
from portal.models import CaseLink, IdempotentRequest
from portal.services.api_cases import submit_case
from portal.services.records import declare_records_complete
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.cases.test_concurrency import race
from tests.factories import UserFactory
from tests.portal.support import application, awaiting_records_case, link, member, organization


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_retries_with_one_key_make_one_case(postgres):
    org = organization()
    payload = application()
    body = json.dumps(payload).encode()

    def post():
        return submit_case(
            organization=org, payload=payload, body=body, idempotency_key="k-1", where="POST /api/v1/cases"
        )

    results, errors = race(post, post)
    assert errors == []
    assert (
        Case.objects.count() == 1 and CaseLink.objects.count() == 1 and IdempotentRequest.objects.count() == 1
    )
    assert results[0].body == results[1].body
    assert sorted(answer.replayed for answer in results) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_declaring_complete_twice_at_once_moves_the_case_once(postgres):
    staff = UserFactory(username="intake.race")
    org = organization()
    case = awaiting_records_case(staff)
    made = link(org, case, staff)
    add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes()),
        kind="medical_record",
        title="notes",
        received_on=case.notice_sent_on,
        by=staff,
    )
    adjuster = member(org)

    def declare():
        return declare_records_complete(
            link=CaseLink.objects.select_related("case").get(pk=made.pk), by=adjuster
        )

    results, errors = race(declare, declare)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], DomainError)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.READY_FOR_ASSIGNMENT
    assert (
        case.events.filter(
            from_status=CaseStatus.AWAITING_RECORDS, to_status=CaseStatus.READY_FOR_ASSIGNMENT
        ).count()
        == 1
    )
