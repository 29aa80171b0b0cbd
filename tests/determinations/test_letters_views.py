"""Staff letter pages: deliveries per case, resend, download, the post tray and batch.

Bad inputs tried: a user without the delivery permission (403), a reviewer (403 and not
visible), an unknown case/letter/delivery (404), a resend without a reason, of a pending
delivery; marking mailed with nothing chosen, a future date, twice; a batch with a
non-numeric id; an anonymous user (redirect to login).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cases.deadlines import compute_appeal_due, roll_to_business_day
from cases.models import AccessAction, AccessLogEntry, CaseEvent
from core.models import OutboxJob, OutboxState
from determinations.models import Delivery, DeliveryStatus
from determinations.services.letters import issue_letter
from imr_site import roles
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import UserFactory
from tests.forms_helpers import post_form
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(role=roles.INTAKE_STAFF)
    client.force_login(user)
    return user


def _issue_with_posted_parties(*, post_roles=("employee", "employer")):
    determination = approved_seed_determination()
    determination.case.parties.filter(role__in=post_roles).update(email="")
    # Every party the post goes to has a postal address ("mailed on" is refused without one).
    determination.case.parties.filter(role__in=post_roles, mailing_address="").update(
        mailing_address="1 Packing House Road\nFresno, CA 93725"
    )
    letter = issue_letter(determination_id=determination.pk)
    return determination, letter


def test_case_deliveries_page_lists_every_delivery_in_few_queries(
    client, staff, django_assert_max_num_queries
):
    determination, letter = _issue_with_posted_parties()
    url = reverse("letters:case_deliveries", args=[determination.case.case_number])
    # 11: the page's reads, the letter status row's two (the current determination, its letter
    # with its deliveries' counts) and the one INSERT of its access-log row.
    with django_assert_max_num_queries(11 + SECOND_FACTOR_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for delivery in letter.deliveries.all():
        assert delivery.recipient_name in body
    # More letters and deliveries cost no more queries.
    from determinations.services.letters import correct_letter

    correct_letter(determination_id=determination.pk, by=staff, reason="Fix")
    # 11: the page's reads, the letter status row's two (the current determination, its letter
    # with its deliveries' counts) and the one INSERT of its access-log row.
    with django_assert_max_num_queries(11 + SECOND_FACTOR_QUERIES):
        assert client.get(url).status_code == 200


def test_permissions_and_visibility(client):
    determination, letter = _issue_with_posted_parties()
    case_number = determination.case.case_number
    url = reverse("letters:case_deliveries", args=[case_number])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(UserFactory(role=roles.REVIEWER))
    assert client.get(url).status_code == 403
    assert client.get(reverse("letters:to_post")).status_code == 403
    assert client.get(reverse("letters:download", args=[letter.pk])).status_code == 403
    client.force_login(UserFactory(role=roles.INTAKE_STAFF))
    assert client.get(reverse("letters:case_deliveries", args=["CM99-0000001"])).status_code == 404
    assert client.get(reverse("letters:download", args=[letter.pk + 1000])).status_code == 404
    assert client.get(reverse("letters:resend", args=[999999])).status_code == 404


def test_download_streams_the_stored_letter_and_logs_it(client, staff):
    determination, letter = _issue_with_posted_parties()
    response = client.get(reverse("letters:download", args=[letter.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == letter.pdf.read()
    assert determination.case.case_number in response["Content-Disposition"]
    entry = AccessLogEntry.objects.get(action=AccessAction.VIEW_LETTER)
    assert entry.user == staff and entry.case == determination.case


def test_resend_page(client, staff, mailoutbox, django_capture_on_commit_callbacks):
    determination, letter = _issue_with_posted_parties()
    pending = letter.deliveries.get(recipient_role="claims_administrator")
    url = reverse("letters:resend", args=[pending.pk])
    assert client.get(url).status_code == 200
    response = post_form(client, url, {"reason": "bounced"})
    # Pending, its automatic send due now: refused, and the page says when the next try is.
    assert response.status_code == 400 and "next try" in response.content.decode()
    deliveries_page = client.get(reverse("letters:case_deliveries", args=[determination.case.case_number]))
    assert "Next automatic try" in deliveries_page.content.decode()
    # The automatic tries gave up: now it may be sent again.
    Delivery.objects.filter(pk=pending.pk).update(status=DeliveryStatus.FAILED, last_error="550 no such user")
    OutboxJob.objects.filter(key=f"delivery:{pending.pk}").update(state=OutboxState.FAILED)
    response = post_form(client, url, {"reason": "   "})
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(client, url, {"reason": "Address corrected by the adjuster"})
    assert response.status_code == 302
    resend = Delivery.objects.get(resend_of=pending)
    assert resend.status == DeliveryStatus.SENT and [m.to for m in mailoutbox] == [[pending.address]]
    assert CaseEvent.objects.filter(
        case=determination.case, kind=CaseEvent.Kind.LETTER_RESENT, actor=staff
    ).exists()


def test_to_post_list_batch_and_mailed_on(client, staff, settings):
    determination, letter = _issue_with_posted_parties()
    waiting = list(letter.deliveries.filter(status=DeliveryStatus.TO_POST).order_by("id"))
    assert len(waiting) == 2
    response = client.get(reverse("letters:to_post"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "100 Sample Street" in body and 'type="date"' in body

    batch = client.get(reverse("letters:to_post_batch"))
    assert batch.status_code == 200 and batch["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(batch.content))
    assert len(reader.pages) == 2 * (1 + letter.pages)
    assert "100 Sample Street" in reader.pages[0].extract_text()
    assert "HOW THE IMR" in reader.pages[1].extract_text()
    assert AccessLogEntry.objects.filter(action=AccessAction.VIEW_LETTER).count() == 2
    assert client.get(reverse("letters:to_post_batch") + "?id=x").status_code == 400

    url = reverse("letters:to_post")
    assert client.post(url, {"mailed_on": "2015-04-01"}).status_code == 400  # nothing chosen
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(url, {"deliveries": [d.pk for d in waiting], "mailed_on": future})
    assert response.status_code == 400 and "future" in response.content.decode()
    assert Delivery.objects.filter(status=DeliveryStatus.POSTED).count() == 0

    # The emailed copies went out at issue; the posted ones complete the mailing.
    assert letter.deliveries.filter(status=DeliveryStatus.PENDING).count() == 2
    letter.deliveries.filter(status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SENT, sent_at=letter.created_at
    )
    mailed_on = date.today() - timedelta(days=1)
    if mailed_on < letter.issued_on:
        mailed_on = letter.issued_on
    response = client.post(url, {"deliveries": [d.pk for d in waiting], "mailed_on": mailed_on.isoformat()})
    assert response.status_code == 302
    for delivery in waiting:
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.POSTED and delivery.mailed_on == mailed_on
    determination.refresh_from_db()
    case = determination.case
    case.refresh_from_db()
    assert determination.mailed_on == mailed_on
    assert case.appeal_due == compute_appeal_due(mailed_on=mailed_on)
    assert case.appeal_due == roll_to_business_day(mailed_on + timedelta(days=35))
    # Twice: refused, nothing changes.
    response = client.post(url, {"deliveries": [waiting[0].pk], "mailed_on": mailed_on.isoformat()})
    assert response.status_code == 400
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.LETTER_POSTED).count() == 2


def test_email_only_case_counts_as_mailed_on_the_day_sent(django_capture_on_commit_callbacks):
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        issue_letter(determination_id=determination.pk)
    determination.refresh_from_db()
    case = determination.case
    case.refresh_from_db()
    assert determination.mailed_on == timezone.localdate()
    assert case.appeal_due == compute_appeal_due(mailed_on=determination.mailed_on)
