"""In a browser: a case goes from eligibility review to awaiting records; the NOARFI reaches five
parties, and the emails in the mail folder carry its PDF.

Real parts: the live server, chromium through Playwright, the file email backend (the demo's
mail folder), the outbox worked in process after each commit. Bad input tried on the way: the
preview of a notice of an unknown kind (404), the NOARFI step pressed again from the stale page
(refused with a message; nothing more is sent).
"""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from cases.models import CaseStatus, NoticeKind, Party, PartyRole
from cases.services import case_actions
from determinations.models import Delivery, DeliveryStatus, Notice
from imr_site import roles
from tests.factories import UserFactory
from tests.notices.support import import_seed_application
from tests.second_factor import browser_login

FIVE = {
    "maria.example@example.org",
    "counsel@workers-law.example.com",
    "hr@centralvalley.example.com",
    "ur-desk@goldenstateclaims.example.com",
    "office@treating-pain.example.com",
}


@pytest.mark.django_db(transaction=True)
def test_noarfi_reaches_five_parties_with_the_pdf(page, live_server, settings, tmp_path, output_dir):
    mail_dir = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    case = import_seed_application()
    Party.objects.create(
        case=case,
        role=PartyRole.ATTORNEY,
        name="Jordan Counsel",
        organization="Workers Law Group",
        email="counsel@workers-law.example.com",
    )
    staff = UserFactory(username="intake.notices", role=roles.INTAKE_STAFF)
    case_actions.start_eligibility_review(case_id=case.pk, by=staff)

    browser_login(page, staff)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("button", name="Confirm the finding").click()
    page.wait_for_selector("#step-send_notice")

    # The Correspondence section lists the NOARFI as to be sent, to five parties by email.
    upcoming = page.locator("#upcoming-notices li[data-kind='noarfi']")
    assert upcoming.inner_text().count("(email)") == 5
    # Staff preview it before it goes.
    with page.expect_navigation():
        upcoming.get_by_role("link", name="Preview").click()
    assert page.locator("iframe[title$='preview']").count() == 1
    frame = page.frame_locator("iframe[title$='preview']")
    assert "Notice of Assignment and Request for Information" in frame.locator("h1").inner_text()
    assert "The records must be received by" in frame.locator("body").inner_text()
    assert page.request.get(f"/letters/cases/{case.case_number}/notices/nonsense/preview/").status == 404
    page.go_back()

    # A second tab drawn before the step: pressing its button later must send nothing more.
    stale = page.context.new_page()
    stale.goto(f"/cases/{case.pk}/")
    page.get_by_role("button", name="Send the NOARFI").click()
    page.wait_for_selector("#case-status[data-status='awaiting_records']")
    rows = page.locator("#correspondence tbody.notice[data-kind='noarfi'] tr")
    assert rows.count() == 5
    assert page.locator("#correspondence tbody.notice .delivery-status[data-status='sent']").count() == 5
    page.screenshot(path=str(output_dir / "notices-correspondence.png"), full_page=True)

    # Pressed again from the page drawn before the step: refused with a message, nothing sent.
    stale.get_by_role("button", name="Send the NOARFI").click()
    stale.wait_for_selector(".alert")
    assert "changed by someone else" in stale.locator("main, body").first.inner_text()
    stale.close()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RECORDS
    assert Delivery.objects.filter(notice__case=case).count() == 5

    notice = Notice.objects.get(case=case, kind=NoticeKind.NOARFI)
    stored = notice.pdf.read()
    files = sorted(mail_dir.glob("*.log"))
    messages = []
    for path in files:
        raw = Path(path).read_bytes()
        # The file backend writes each message followed by a line of dashes.
        for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=policy.default))
    assert sorted(address for m in messages for address in m["To"].split(", ")) == sorted(FIVE)
    for message in messages:
        pdfs = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
        assert len(pdfs) == 1
        assert (
            pdfs[0].get_filename()
            == f"IMR-Notice-of-Assignment-and-Request-for-Information-{case.case_number}.pdf"
        )
        assert pdfs[0].get_content() == stored
    assert set(Delivery.objects.filter(notice=notice).values_list("status", flat=True)) == {
        DeliveryStatus.SENT
    }
    case.refresh_from_db()
    assert case.notice_method == "electronic" and case.records_due is not None
