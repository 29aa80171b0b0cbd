"""Per-case, per-party links for parties without an account, and the status page they open.

Bad inputs tried: a tampered token (one character changed, another case's link id signed
without the key, garbage), an expired link, a revoked link, too many requests from one address,
an upload through a link (non-PDF), the letter before it is issued. The status page shows no
reviewer identity and no other party's contact details."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Document, PartyRole
from core import clock
from portal.models import PartyLink, RecordSubmission
from portal.services import links
from tests.cases.pdfs import PNG_BYTES, make_pdf_bytes, upload
from tests.portal.support import LETTER_BYTES, awaiting_records_case, issued_case_with_letter

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous():
    cache.clear()  # the per-address rate limit counts on the default cache
    return Client()


@pytest.fixture
def case(staff):
    return awaiting_records_case(staff)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_link_function_gives_each_party_its_own_link_and_reuses_a_live_one(case):
    employee = links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE)
    assert employee.startswith("http") and "/portal/p/" in employee
    assert links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE) == employee
    provider = links.party_link_url(case_id=case.pk, role=PartyRole.REQUESTING_PROVIDER)
    assert provider != employee
    assert PartyLink.objects.filter(case=case).count() == 2


def test_a_party_sees_the_status_in_plain_words_without_reviewer_or_other_contacts(anonymous, case):
    response = anonymous.get(path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "the medical records are being collected" in page
    assert case.records_due.strftime("%m/%d/%Y") in page
    for secret in (
        "ur-desk@goldenstateclaims.example.com",
        "office@treating-pain.example.com",
        "hr@centralvalley.example.com",
        "Dr. Uma Reviewer",
        "100 Sample Street",
    ):
        assert secret not in page
    entry = AccessLogEntry.objects.get(case=case, action=AccessAction.VIEW_CASE)
    assert entry.user is None and "Employee link" in entry.object_repr


def test_a_tampered_link_answers_404(anonymous, case):
    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE))
    token = path.split("/")[3]
    changed = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = signing.dumps(
        {"l": PartyLink.objects.get().pk, "n": "0" * 32}, salt="portal.party-link", key="guess"
    )
    for bad in (changed, forged, "not-a-token", token.split(":")[0]):
        response = anonymous.get(reverse("portal:party_status", args=[bad]))
        assert response.status_code == 404, bad
        assert case.case_number not in response.content.decode()
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED, status_code=404).count() == 4


def test_an_expired_link_answers_410(anonymous, case, time_machine):
    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.ATTORNEY))
    time_machine.move_to(clock.now() + timedelta(days=61))
    response = anonymous.get(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode() and case.case_number not in response.content.decode()
    # A new link is made for the party once the old one expired.
    assert path_of(links.party_link_url(case_id=case.pk, role=PartyRole.ATTORNEY)) != path


def test_a_revoked_link_answers_410(anonymous, case, staff):
    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE))
    links.revoke(link_id=PartyLink.objects.get().pk, by=staff)
    response = anonymous.get(path)
    assert response.status_code == 410 and "revoked" in response.content.decode()
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED, status_code=410).count() == 1


def test_links_are_rate_limited_per_address(anonymous, case, settings):
    settings.PORTAL_LINK_RATE = "3/m"
    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE))
    codes = [anonymous.get(path).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert anonymous.get(reverse("portal:party_status", args=["garbage"])).status_code == 429


def _upload_data(content, name="notes.pdf"):
    data = {
        "records-TOTAL_FORMS": "5",
        "records-INITIAL_FORMS": "0",
        "records-MIN_NUM_FORMS": "0",
        "records-MAX_NUM_FORMS": "5",
        "receipt-email": "",
    }
    for index in range(5):
        data.update(
            {f"records-{index}-kind": "", f"records-{index}-date_from": "", f"records-{index}-date_to": ""}
        )
    data.update(
        {
            "records-0-file": upload(content, name=name),
            "records-0-kind": "medical_records",
            "records-0-date_from": "2015-01-05",
            "records-0-date_to": "2015-02-20",
        }
    )
    return data


def test_a_party_uploads_records_through_its_link(anonymous, case):
    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.REQUESTING_PROVIDER))
    response = anonymous.post(path, _upload_data(make_pdf_bytes(pages=2, label="provider notes")))
    assert response.status_code == 302
    receipt = anonymous.get(response.url)
    assert receipt.status_code == 200 and "notes.pdf" in receipt.content.decode()
    submission = RecordSubmission.objects.get()
    assert submission.party_link.role == PartyRole.REQUESTING_PROVIDER and submission.organization is None
    assert Document.objects.get().title.endswith("from the requesting provider (case link)")
    bad = anonymous.post(path, _upload_data(PNG_BYTES, "photo.png"))
    assert bad.status_code == 400 and "not a PDF" in bad.content.decode()
    assert Document.objects.count() == 1
    # Another link's receipt is not reachable through this one.
    other = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE))
    assert anonymous.get(f"{other}receipts/{submission.pk}/").status_code == 404


def test_the_letter_is_downloadable_through_the_link_once_issued(anonymous, case):
    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE))
    assert anonymous.get(f"{path}letter.pdf").status_code == 404
    issued = issued_case_with_letter()
    path = path_of(links.party_link_url(case_id=issued.pk, role=PartyRole.EMPLOYEE))
    page = anonymous.get(path).content.decode()
    assert "Download the Final Determination letter" in page
    response = anonymous.get(f"{path}letter.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content) == LETTER_BYTES
    assert AccessLogEntry.objects.filter(case=issued, action=AccessAction.VIEW_LETTER).count() == 1


def test_staff_revoke_a_link_in_the_admin(anonymous, case, client):
    from imr_site import roles
    from tests.factories import UserFactory

    path = path_of(links.party_link_url(case_id=case.pk, role=PartyRole.EMPLOYEE))
    client.force_login(UserFactory(username="intake.admin", role=roles.INTAKE_STAFF))
    response = client.post(
        reverse("admin:portal_partylink_changelist"),
        {"action": "revoke", "_selected_action": [PartyLink.objects.get().pk]},
    )
    assert response.status_code == 302
    assert PartyLink.objects.get().revoked_at is not None
    assert anonymous.get(path).status_code == 410


def test_a_notice_gets_one_live_link_per_party_of_the_case(case):
    urls = links.party_link_urls(case_id=case.pk)
    assert set(urls) == {"employee", "employer", "claims_administrator", "requesting_provider"}
    assert len(set(urls.values())) == 4
    assert links.party_link_urls(case_id=case.pk) == urls  # a second notice reuses the live links
