"""One-time form tokens: a POST that creates something runs once per token.

Tried: the same intake POST twice (a double click, or Back and submit again) → one case,
and the second answer is the first one's case page; the same token from two threads at
once on PostgreSQL → one case; a POST with no token, a garbled token, or another user's
token → 400 with a message and nothing created; a refused (invalid) form gives its token
back, so the corrected form goes through; the reviewer's submit, QA approve and return,
a resend and an admin document upload replayed → one of each.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from cases.models import Case, CaseEventKind, Document, DocumentKind
from core.form_tokens import FIELD_NAME, REPLAYED
from core.models import FormSubmission, OutboxJob, OutboxState
from determinations.models import Delivery, DeliveryStatus, Determination, DeterminationStatus
from determinations.services.letters import issue_letter
from determinations.services.review import submit_determination
from imr_site import roles
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.determinations.letters_support import approved_seed_determination
from tests.determinations.review_support import (
    case_for_review,
    qa_user,
    seed_form_data,
    seed_item_inputs,
    with_case_file_token,
    with_qa_token,
)
from tests.exchange.test_intake_views import intake_data
from tests.factories import CaseFactory, UserFactory, make_seed_reviewer
from tests.forms_helpers import form_token, with_token
from tests.second_factor import SecondFactorClient

INTAKE = "/cases/new/"


@pytest.fixture(autouse=True)
def _no_assignment(monkeypatch):
    from tests.outbox_support import stub_job

    stub_job(monkeypatch, "reviewers.assign_reviewer", lambda case_id: None)


@pytest.fixture
def staff():
    return UserFactory(role=roles.INTAKE_STAFF)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_the_same_intake_post_twice_creates_one_case_and_answers_with_it(staff_client):
    assert reverse("cases:intake") == INTAKE
    data = with_token(staff_client, INTAKE, intake_data())
    first = staff_client.post(INTAKE, data)
    assert first.status_code == 302
    case = Case.objects.get()
    assert first["Location"] == reverse("cases:case", args=[case.pk])

    second = staff_client.post(INTAKE, data)  # double click, or Back and "Create case" again
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Case.objects.count() == 1
    assert REPLAYED in _messages(second)
    page = staff_client.get(second["Location"])
    assert case.case_number in page.content.decode()


@pytest.mark.django_db
def test_each_rendering_of_the_form_has_its_own_token(staff_client):
    assert form_token(staff_client, INTAKE) != form_token(staff_client, INTAKE)
    staff_client.post(INTAKE, with_token(staff_client, INTAKE, intake_data()))
    staff_client.post(INTAKE, with_token(staff_client, INTAKE, intake_data(claim_number="GSC-07-999998")))
    assert Case.objects.count() == 2  # two forms filled in: two cases


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "12-0123456789abcdef0123456789abcdef:forged-signature"],
    ids=["missing", "empty", "garbled", "forged"],
)
def test_a_post_without_a_valid_token_is_400_and_creates_nothing(staff_client, token):
    data = intake_data()
    if token is not None:
        data[FIELD_NAME] = token
    response = staff_client.post(INTAKE, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "This form has expired; reload the page" in body
    assert 'href="/cases/"' in body  # in the site's layout, with its navigation
    assert not Case.objects.exists()
    assert not FormSubmission.objects.exists()


@pytest.mark.django_db
def test_another_users_token_is_400_and_creates_nothing(client, staff):
    other = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(other)
    borrowed = with_token(client, INTAKE, intake_data())
    client.force_login(staff)
    response = client.post(INTAKE, borrowed)
    assert response.status_code == 400
    assert "opened by another user" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_refused_form_gives_its_token_back(staff_client):
    """Bad input (no last name) is a form error; the corrected form with the same token goes through."""
    data = with_token(staff_client, INTAKE, intake_data(employee_last_name=""))
    assert staff_client.post(INTAKE, data).status_code == 400
    assert not FormSubmission.objects.exists()
    data["employee_last_name"] = "Example"
    assert staff_client.post(INTAKE, data).status_code == 302
    assert Case.objects.count() == 1


def _post_in_thread(
    client: SecondFactorClient, url: str, data: dict, barrier: threading.Barrier, out: list
) -> None:
    try:
        barrier.wait()
        out.append(client.post(url, data))
    except Exception as error:  # reported by the assertions below
        out.append(error)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_of_one_token_create_one_case(postgres, staff):
    """Two requests with the same token at once (a double click reaching two server threads)."""
    clients = [SecondFactorClient(), SecondFactorClient()]
    for c in clients:
        c.force_login(staff)
    data = with_token(clients[0], INTAKE, intake_data())
    barrier = threading.Barrier(2)
    out: list = []
    threads = [
        threading.Thread(target=_post_in_thread, args=(c, INTAKE, data, barrier, out)) for c in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(out) == 2 and all(not isinstance(r, Exception) for r in out), out
    assert [r.status_code for r in out] == [302, 302]
    case = Case.objects.get()
    assert {r["Location"] for r in out} == {reverse("cases:case", args=[case.pk])}
    assert FormSubmission.objects.get().result_url == reverse("cases:case", args=[case.pk])


@pytest.mark.django_db
def test_the_reviewers_submit_replayed_submits_once(client):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    client.force_login(reviewer.user)
    url = reverse("review:submit", args=[case.pk])
    data = with_case_file_token(client, case, seed_form_data(case))
    first = client.post(url, data)
    assert first.status_code == 302
    second = client.post(url, data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert REPLAYED in _messages(second)
    determination = Determination.objects.get(case=case)
    assert determination.status == DeterminationStatus.SUBMITTED
    assert case.events.filter(to_status="qa_review").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["review:qa_approve", "review:qa_return"])
def test_a_qa_step_replayed_happens_once(client, step, django_capture_on_commit_callbacks):
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="S", items=seed_item_inputs(case)
    )
    client.force_login(qa_user())
    url = reverse(step, args=[determination.pk])
    data = with_qa_token(client, determination, {"comment": "Cite pages."}, action=step)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, data)
    assert first.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert REPLAYED in _messages(second)
    done = (
        {"kind": CaseEventKind.DETERMINATION_APPROVED}
        if step == "review:qa_approve"
        else {"kind": CaseEventKind.TRANSITION, "to_status": "in_review"}
    )
    assert case.events.filter(**done).count() == 1


@pytest.mark.django_db
def test_a_resend_replayed_sends_once(client, mailoutbox, django_capture_on_commit_callbacks):
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    determination = approved_seed_determination()
    letter = issue_letter(determination_id=determination.pk)
    failed = letter.deliveries.filter(channel="email").first()
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, last_error="550")
    # Its automatic tries gave up (a resend is refused while one is still scheduled).
    OutboxJob.objects.filter(key=f"delivery:{failed.pk}").update(state=OutboxState.FAILED)
    url = reverse("letters:resend", args=[failed.pk])
    data = with_token(client, url, {"reason": "Bounced; address corrected"})
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, data)
        second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Delivery.objects.filter(resend_of=failed).count() == 1


@pytest.mark.django_db
def test_an_admin_document_upload_replayed_stores_one_document(staff_client):
    case = CaseFactory()
    url = reverse("admin:cases_document_add")
    content = make_pdf_bytes(pages=1, label="replay")
    fields = {
        "case": case.pk,
        "kind": DocumentKind.MEDICAL_RECORD,
        "title": "Notes",
        "received_on": "2026-03-02",
    }
    data = with_token(staff_client, url, fields)
    first = staff_client.post(url, {**data, "upload": upload(content)})
    assert first.status_code == 302
    second = staff_client.post(url, {**data, "upload": upload(content)})
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert REPLAYED in _messages(second)
    assert Document.objects.filter(case=case).count() == 1
