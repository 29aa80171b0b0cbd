"""Feedback on slow work (issue 16, item 4): the letter's status row and the post batch job.

The status row of a determination's letter (`letters:letter_status`) answers htmx's poll with a
fragment and a browser without script with a page; the post tray's batch is a background job
(`PostBatch`, `determinations.build_post_batch`) whose page polls until it offers the download.

Bad inputs tried: a reviewer, an organization's user and a user without the delivery
permission on each URL (403/404); a determination or batch id that does not exist, another
user's batch (404, a refused access-log row); a poll number that is not a number (`?n=abc`,
`?n=-1`, 99999: counted as the first poll) and one past the cap (polling stops); a batch POST
without a form token (400), with a non-numeric id (400), with ids of letters not on the tray (a
message, no batch), twice with one token (one batch); a download before the batch is ready
(409); the batch job run again after it built the file, and after a crash that left its row
`running` (the file is built once).
"""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cases.models import AccessAction, AccessLogEntry
from core import outbox
from core.form_tokens import FIELD_NAME
from core.models import OutboxJob, OutboxState
from determinations.jobs import BUILD_POST_BATCH, ISSUE_LETTER
from determinations.models import DeliveryStatus, DeterminationStatus, PostBatch, PostBatchState
from determinations.services.letters import issue_letter
from determinations.services.post_batches import build_post_batch, request_post_batch
from determinations.services.review import qa_approve, submit_determination
from determinations.views import STATUS_MAX_POLLS
from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.determinations.review_support import case_for_review, qa_user, seed_item_inputs, with_qa_token
from tests.factories import UserFactory, make_seed_reviewer
from tests.forms_helpers import own_token, post_form
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
POLLING = re.compile(r'hx-get="[^"]*letter-status/\?n=(\d+)"')


def _status_url(determination) -> str:
    return reverse("letters:letter_status", args=[determination.pk])


def _submitted():
    reviewer = make_seed_reviewer()
    case, _ = case_for_review(reviewer=reviewer)
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="The summary.", items=seed_item_inputs(case)
    )
    return case, determination


def _approved_not_issued():
    """Approved by QA, its issue job written and not worked yet (no on-commit hand-over here)."""
    case, determination = _submitted()
    qa_approve(determination_id=determination.pk, by=qa_user())
    determination.refresh_from_db()
    return case, determination


def _issued_with_posted_parties(*, post_roles=("employee", "employer")):
    determination = approved_seed_determination()
    determination.case.parties.filter(role__in=post_roles).update(email="")
    determination.case.parties.filter(role__in=post_roles, mailing_address="").update(
        mailing_address="1 Packing House Road\nFresno, CA 93725"
    )
    letter = issue_letter(determination_id=determination.pk)
    determination.refresh_from_db()
    return determination, letter


def _logged(user, case) -> int:
    return AccessLogEntry.objects.filter(user=user, case=case, action=AccessAction.VIEW_CASE).count()


# ---- the letter's status row ----


def test_status_while_issuing_polls_and_logs_each_answer(client, django_assert_max_num_queries):
    case, determination = _approved_not_issued()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    url = _status_url(determination)
    # The session, its user and their permissions (4), the reads (the determination, its issue
    # job) and the access-log INSERT.
    with django_assert_max_num_queries(4 + 2 + 1 + SECOND_FACTOR_QUERIES):
        response = client.get(url, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # a fragment for htmx to swap in
    assert "Issuing the letter…" in body
    assert 'data-letter-state="issuing"' in body
    assert POLLING.search(body).group(1) == "1"
    assert 'hx-trigger="every 1s"' in body
    assert _logged(staff, case) == 1
    # The next poll asks for the next number; each answer writes its row.
    body = client.get(f"{url}?n=1", **HTMX).content.decode()
    assert POLLING.search(body).group(1) == "2"
    assert _logged(staff, case) == 2


def test_status_without_script_is_a_page_with_a_refresh_link(client):
    _, determination = _approved_not_issued()
    client.force_login(qa_user())
    response = client.get(_status_url(determination))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body and "Issuing the letter…" in body
    assert f'href="{_status_url(determination)}">Refresh</a>' in body
    assert 'http-equiv="refresh"' not in body
    assert 'role="status" aria-live="polite"' in body


@pytest.mark.parametrize("raw", ["abc", "-1", "99999", "1e3", ""])
def test_a_poll_number_that_is_not_a_small_number_counts_as_the_first(client, raw):
    _, determination = _approved_not_issued()
    client.force_login(qa_user())
    response = client.get(f"{_status_url(determination)}?n={raw}", **HTMX)
    assert response.status_code == 200
    assert POLLING.search(response.content.decode()).group(1) == "1"


def test_polling_stops_after_the_cap_and_offers_refresh(client):
    _, determination = _approved_not_issued()
    client.force_login(qa_user())
    body = client.get(f"{_status_url(determination)}?n={STATUS_MAX_POLLS}", **HTMX).content.decode()
    assert "hx-get" not in body
    assert "Still working." in body and "Refresh" in body


def test_issued_letter_counts_its_deliveries_for_intake_staff(client, django_assert_max_num_queries):
    determination, letter = _issued_with_posted_parties()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    first = letter.deliveries.filter(resend_of__isnull=True)
    total = first.count()
    to_post = first.filter(status=DeliveryStatus.TO_POST).count()
    assert total >= 3 and to_post == 2
    # The session, user and permissions (4), the reads (the determination, the letter with its
    # deliveries' counts) and the access-log INSERT.
    with django_assert_max_num_queries(4 + 2 + 1 + SECOND_FACTOR_QUERIES):
        body = client.get(_status_url(determination), **HTMX).content.decode()
    # The emails are not sent yet (no worker here): still sending, so the row keeps asking.
    assert f"Letter issued, 0 of {total} deliveries sent / posted (2 waiting on the post tray)." in body
    assert 'data-letter-state="sending"' in body and "hx-get" in body
    # Sent: the row is done and stops asking.
    first.filter(status=DeliveryStatus.PENDING).update(status=DeliveryStatus.SENT)
    body = client.get(_status_url(determination), **HTMX).content.decode()
    assert (
        f"Letter issued, {total - 2} of {total} deliveries sent / posted (2 waiting on the post tray)."
        in body
    )
    assert 'data-letter-state="done"' in body and "hx-get" not in body
    assert reverse("letters:download", args=[letter.pk]) in body


def test_clinical_qa_sees_the_letter_issued_but_no_delivery(client):
    determination, letter = _issued_with_posted_parties()
    client.force_login(qa_user())
    body = client.get(_status_url(determination), **HTMX).content.decode()
    assert "Letter issued; it goes to the parties by email and post." in body
    assert "deliveries" not in body
    # Nothing more to wait for: QA does not follow the emails.
    assert "hx-get" not in body
    for delivery in letter.deliveries.all():
        assert delivery.recipient_name not in body


def test_a_failed_issue_job_says_so_and_stops_polling(client):
    _, determination = _approved_not_issued()
    OutboxJob.objects.filter(kind=ISSUE_LETTER).update(state=OutboxState.FAILED, last_error="boom")
    client.force_login(qa_user())
    body = client.get(_status_url(determination), **HTMX).content.decode()
    assert "the letter could not be issued" in body
    assert "hx-get" not in body and "boom" not in body


def test_status_refuses_reviewers_and_unknown_determinations(client):
    _case, determination = _approved_not_issued()
    url = _status_url(determination)
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    reviewer = determination.reviewer.user
    client.force_login(reviewer)  # the case's own reviewer: no letter or delivery data, ever
    assert client.get(url, **HTMX).status_code == 403
    client.force_login(UserFactory(role=roles.REVIEWER))
    assert client.get(url).status_code == 403
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    missing = reverse("letters:letter_status", args=[determination.pk + 999])
    assert client.get(missing, **HTMX).status_code == 404
    assert AccessLogEntry.objects.filter(user=staff, action=AccessAction.REFUSED).count() == 1
    assert client.post(url).status_code == 405


def test_approve_redirects_to_the_queue_with_the_status_row(client, django_capture_on_commit_callbacks):
    case, determination = _submitted()
    qa = qa_user()
    client.force_login(qa)
    data = with_qa_token(client, determination, action="review:qa_approve")
    response = client.post(reverse("review:qa_approve", args=[determination.pk]), data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('review:qa_queue')}?issuing={determination.pk}"
    body = client.get(response["Location"]).content.decode()
    assert "Issuing the letter…" in body and "hx-get" in body
    # The letter issued (the job worked here): the queue's row says so.
    with django_capture_on_commit_callbacks(execute=True):
        outbox.run_job(OutboxJob.objects.get(kind=ISSUE_LETTER).pk)
    determination.refresh_from_db()
    assert determination.status == DeterminationStatus.ISSUED
    body = client.get(response["Location"]).content.decode()
    assert f"Case {case.case_number}:" in body and "Letter issued" in body
    # A garbled ?issuing= shows the queue alone.
    for raw in ("x", "-3", "9" * 20, str(determination.pk + 999)):
        response = client.get(f"{reverse('review:qa_queue')}?issuing={raw}")
        assert response.status_code == 200 and "letter-status" not in response.content.decode()


def test_qa_page_and_deliveries_page_show_the_status_row(client, django_assert_max_num_queries):
    determination, _letter = _issued_with_posted_parties()
    client.force_login(qa_user())
    body = client.get(reverse("review:qa_determination", args=[determination.pk])).content.decode()
    assert "Letter issued; it goes to the parties by email and post." in body
    assert "hx-get" not in body  # QA does not follow the emails
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    url = reverse("letters:case_deliveries", args=[determination.case.case_number])
    # The page's 9 (tests/determinations/test_letters_views.py) and the row's 2 reads.
    with django_assert_max_num_queries(11 + SECOND_FACTOR_QUERIES):
        body = client.get(url).content.decode()
    assert "Letter issued, 0 of" in body and "hx-get" in body


# ---- the post batch ----


def _on_tray(client):
    determination, letter = _issued_with_posted_parties()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(staff)
    return staff, determination, letter


def test_batch_is_built_in_the_background_and_downloaded_once_ready(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    staff, determination, letter = _on_tray(client)
    tray = reverse("letters:to_post")
    response = post_form(client, reverse("letters:post_batch_request"), page_url=tray)
    assert response.status_code == 302
    batch = PostBatch.objects.get()
    assert response["Location"] == reverse("letters:post_batch", args=[batch.pk])
    assert batch.requested_by == staff and batch.letter_count == 2 and batch.state == PostBatchState.PENDING
    job = OutboxJob.objects.get(kind=BUILD_POST_BATCH)
    assert job.payload == {"batch_id": batch.pk}
    # Not built yet: the page says so, polls, and the download waits.
    page_url = response["Location"]
    # The session, user and permissions (4), the batch and its job's state; no access-log row.
    with django_assert_max_num_queries(4 + 2 + SECOND_FACTOR_QUERIES):
        body = client.get(page_url, **HTMX).content.decode()
    assert "Preparing 2 letters to print…" in body and "hx-get" in body
    download = reverse("letters:post_batch_download", args=[batch.pk])
    assert client.get(download).status_code == 409
    # The worker builds it.
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.run_job(job.pk) == OutboxState.DONE
    batch.refresh_from_db()
    assert batch.state == PostBatchState.READY and batch.pdf.name and batch.finished_at
    body = client.get(page_url, **HTMX).content.decode()
    assert "Ready: 2 letters in one PDF." in body and download in body and "hx-get" not in body
    before = AccessLogEntry.objects.filter(user=staff, action=AccessAction.VIEW_LETTER).count()
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store, private"
    pdf = b"".join(response.streaming_content)
    # An address sheet and the letter for each of the two parties reached by post.
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2 * (1 + letter.pages)
    logged = AccessLogEntry.objects.filter(user=staff, action=AccessAction.VIEW_LETTER)
    assert logged.count() == before + 1  # one row per case printed (one case here)
    assert logged.latest("pk").case == determination.case


def test_the_batch_job_builds_the_file_once(settings, django_capture_on_commit_callbacks):
    _issued_with_posted_parties()
    staff = UserFactory(role=roles.INTAKE_STAFF)
    batch = request_post_batch(user=staff)
    job = OutboxJob.objects.get(kind=BUILD_POST_BATCH)
    assert outbox.run_job(job.pk) == OutboxState.DONE
    batch.refresh_from_db()
    built = (batch.pdf.name, batch.sha256, batch.finished_at)
    folder = settings.MEDIA_ROOT / "post-batches"
    assert len(list(folder.iterdir())) == 1
    # The message delivered again: the row is done, nothing runs.
    assert outbox.run_job(job.pk) is None
    # A worker died after building, before marking the job done: the sweeper hands it over
    # again, and the retry finds the file built.
    OutboxJob.objects.filter(pk=job.pk).update(state=OutboxState.PENDING, claim_token="")
    assert outbox.run_job(job.pk) == OutboxState.DONE
    # The service called again directly, too.
    build_post_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.pdf.name, batch.sha256, batch.finished_at) == built
    assert len(list(folder.iterdir())) == 1


def test_batch_requests_refuse_bad_input(client):
    _on_tray(client)
    url = reverse("letters:post_batch_request")
    tray = reverse("letters:to_post")
    # No form token: refused, nothing written.
    assert client.post(url).status_code == 400
    response = client.post(url, {FIELD_NAME: own_token(client), "id": ["12", "x"]})
    assert response.status_code == 400 and b"Letter ids are numbers." in response.content
    # Ids of letters not waiting for the post: a message, no batch.
    response = client.post(url, {FIELD_NAME: own_token(client), "id": ["999999"]}, follow=True)
    assert "There are no letters waiting for the post." in response.content.decode()
    assert not PostBatch.objects.exists() and not OutboxJob.objects.filter(kind=BUILD_POST_BATCH).exists()
    # One token posted twice (a double click): one batch.
    data = {FIELD_NAME: own_token(client)}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert PostBatch.objects.count() == 1
    assert client.get(url).status_code == 405
    assert client.get(tray).status_code == 200


def test_a_batch_is_its_requesters_alone(client):
    staff, _, _ = _on_tray(client)
    batch = request_post_batch(user=staff)
    outbox.run_job(OutboxJob.objects.get(kind=BUILD_POST_BATCH).pk)
    status = reverse("letters:post_batch", args=[batch.pk])
    download = reverse("letters:post_batch_download", args=[batch.pk])
    assert client.get(download).status_code == 200
    other = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(other)
    assert client.get(status).status_code == 404
    assert client.get(download).status_code == 404
    assert AccessLogEntry.objects.filter(user=other, action=AccessAction.REFUSED).count() == 2
    client.force_login(UserFactory(role=roles.ADMINISTRATOR))
    assert client.get(download).status_code == 404
    for role in (roles.CLINICAL_QA, roles.REVIEWER):  # no delivery permission
        client.force_login(UserFactory(role=role))
        assert client.get(status).status_code == 403
        assert client.get(download).status_code == 403
        assert (
            client.post(reverse("letters:post_batch_request"), {FIELD_NAME: own_token(client)}).status_code
            == 403
        )
    client.force_login(staff)
    missing = reverse("letters:post_batch", args=[batch.pk + 999])
    assert client.get(missing).status_code == 404


def test_a_batch_whose_job_gave_up_says_so(client):
    staff, _, _ = _on_tray(client)
    batch = request_post_batch(user=staff)
    OutboxJob.objects.filter(kind=BUILD_POST_BATCH).update(state=OutboxState.FAILED)
    body = client.get(reverse("letters:post_batch", args=[batch.pk])).content.decode()
    assert "The batch could not be prepared." in body and "hx-get" not in body
    assert reverse("letters:post_batch_download", args=[batch.pk]) not in body


def test_the_tray_offers_the_batch_as_forms_with_a_token(client):
    _on_tray(client)
    body = client.get(reverse("letters:to_post")).content.decode()
    action = reverse("letters:post_batch_request")
    assert f'<form method="post" action="{action}">' in body
    assert "Print all 2 as one PDF" in body
