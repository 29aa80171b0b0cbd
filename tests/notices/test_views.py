"""The Correspondence section of the case page, the notice preview and download, the post tray.

Bad inputs tried: a preview of an unknown notice kind or case (404), a reviewer who is not on the
case (403: no permission), a notice id that does not exist (404); the query count of the case
page with one notice and with five (it does not grow).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseStatus, NoticeKind, Party, PartyRole
from cases.services import case_actions
from determinations.models import Delivery, DeliveryChannel, DeliveryStatus, Notice
from imr_site import roles
from tests.factories import UserFactory, make_seed_like_case
from tests.notices.support import import_seed_application, to_confirmed_eligible
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db


def _awaiting_with_posted_employer(staff):
    case = to_confirmed_eligible(import_seed_application(), staff)
    Party.objects.filter(case=case, role=PartyRole.EMPLOYER).update(
        email="", mailing_address="1 Packing Way, Fresno, CA 93706"
    )
    case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    return case


def test_correspondence_lists_each_document_recipient_method_and_status(staff_client, staff):
    case = _awaiting_with_posted_employer(staff)
    page = staff_client.get(reverse("cases:case", args=[case.pk])).content.decode()
    section = page[page.index('id="correspondence"') :]
    assert "Notice of Assignment and Request for Information" in section
    for name in (
        "Maria Example",
        "Dr. Alan Treating",
        "Golden State Claims Services",
        "Central Valley Packing Co.",
    ):
        assert name in section
    assert section.count('data-status="pending"') == 3  # the emails: not sent in this test
    assert section.count('data-status="to_post"') == 1 and "1 Packing Way" in section
    # What may still be sent in this state, each with a preview.
    upcoming = section[section.index('id="upcoming-notices"') :]
    for kind in ("late_records", "expedited", "withdrawal", "termination"):
        assert f'data-kind="{kind}"' in upcoming
        assert reverse("letters:notice_preview", args=[case.case_number, kind]) in upcoming
    assert 'data-kind="noarfi"' not in upcoming


def test_case_page_queries_do_not_grow_with_notices(staff_client, staff, django_assert_max_num_queries):
    case = _awaiting_with_posted_employer(staff)
    url = reverse("cases:case", args=[case.pk])
    staff_client.get(url)
    with django_assert_max_num_queries(100) as one:
        staff_client.get(url)
    case_actions.convert_to_expedited(case_id=case.pk, by=staff, certification_note="Dr. T certified")
    case_actions.withdraw(case_id=case.pk, by=staff, reason="Withdrawn by letter")
    assert Notice.objects.filter(case=case).count() == 3
    with django_assert_max_num_queries(len(one.captured_queries) + SECOND_FACTOR_QUERIES):
        response = staff_client.get(url)
    assert response.content.decode().count('class="notice"') == 3


def test_preview_before_it_goes_and_access_is_logged(staff_client, staff):
    case = to_confirmed_eligible(import_seed_application(), staff)
    url = reverse("letters:notice_preview", args=[case.case_number, NoticeKind.NOARFI])
    response = staff_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<iframe" in body and "sandbox" in body and "DRAFT" in body
    assert "The records must be received by" in body
    assert not Notice.objects.filter(case=case).exists()  # nothing stored or sent
    assert AccessLogEntry.objects.filter(case=case, user=staff, action=AccessAction.VIEW_LETTER).exists()
    bad_kind = reverse("letters:notice_preview", args=[case.case_number, "nonsense"])
    assert staff_client.get(bad_kind).status_code == 404
    unknown = reverse("letters:notice_preview", args=["CM99-9999999", NoticeKind.NOARFI])
    assert staff_client.get(unknown).status_code == 404


def test_preview_of_an_issued_notice_points_at_the_pdf_sent(staff_client, staff):
    case = _awaiting_with_posted_employer(staff)
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    body = staff_client.get(
        reverse("letters:notice_preview", args=[case.case_number, NoticeKind.NOARFI])
    ).content.decode()
    assert "<iframe" not in body and reverse("letters:notice_download", args=[notice.pk]) in body
    response = staff_client.get(reverse("letters:notice_download", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == notice.pdf.read()
    assert staff_client.get(reverse("letters:notice_download", args=[999999])).status_code == 404


def test_a_reviewer_cannot_preview_or_download(client, staff):
    case = _awaiting_with_posted_employer(staff)
    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    client.force_login(UserFactory(role=roles.REVIEWER))
    assert client.get(reverse("letters:notice_download", args=[notice.pk])).status_code == 403
    preview = reverse("letters:notice_preview", args=[case.case_number, NoticeKind.WITHDRAWAL])
    assert client.get(preview).status_code == 403


def test_the_post_tray_prints_and_records_notices(staff_client, staff, frozen_today):
    frozen_today(date(2015, 3, 2))
    case = _awaiting_with_posted_employer(staff)
    delivery = Delivery.objects.get(notice__case=case, channel=DeliveryChannel.POST)
    tray = staff_client.get(reverse("letters:to_post")).content.decode()
    assert "Notice of Assignment and Request for Information" in tray and case.case_number in tray
    batch = staff_client.get(reverse("letters:to_post_batch"))
    assert batch.status_code == 200 and batch.content.startswith(b"%PDF")
    response = staff_client.post(
        reverse("letters:to_post"), {"deliveries": [delivery.pk], "mailed_on": "2015-03-02"}
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.POSTED
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RECORDS


def test_the_letter_tray_still_takes_letters_and_notices_together(staff_client, staff):
    other = make_seed_like_case(status=CaseStatus.AWAITING_RECORDS)
    Party.objects.filter(case=other, role=PartyRole.EMPLOYEE).update(email="")
    case_actions.withdraw(case_id=other.pk, by=staff, reason="Withdrawn by letter")
    tray = staff_client.get(reverse("letters:to_post")).content.decode()
    assert "Confirmation of withdrawal" in tray and other.case_number in tray
