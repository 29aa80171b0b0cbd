"""The NOARFI's email carries each party's own link to the records portal (issues 14 and 15).

The step goes through the real services and the real SMTP server (aiosmtpd); each party's email
holds a link that opens that case's status page as that party, and no party gets another's."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from cases.models import NoticeKind, PartyRole
from cases.services import case_actions
from determinations.models import Notice
from portal.models import PartyLink
from portal.services import links
from tests.notices.support import SEED_NOTICE_DAY, import_seed_application, staff_user, to_confirmed_eligible

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/portal/p/[^\s/]+/")


def _body(message) -> str:
    return next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )


def test_each_party_gets_its_own_upload_link_in_the_noarfi_email(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    assert Notice.objects.filter(case=case, kind=NoticeKind.NOARFI).exists()

    links_by_address = {}
    for entry in smtp_server.messages:
        (address,) = entry["rcpt_tos"]
        found = LINK.findall(_body(entry["message"]))
        assert len(found) == 1, (address, found)
        links_by_address[address] = found[0]
    # Four parties with an email address, four different links, one live link each.
    assert len(links_by_address) == 4 and len(set(links_by_address.values())) == 4
    assert PartyLink.objects.filter(case=case).count() == 4

    cache.clear()  # the per-address rate limit of the link pages
    anonymous = Client()
    employee_link = links_by_address["maria.example@example.org"]
    page = anonymous.get("/" + employee_link.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200
    assert case.case_number in page.content.decode()
    # Each address got the link of its own party's role.
    roles = {
        address: links.resolve(token=url.rstrip("/").rsplit("/", 1)[1]).role
        for address, url in links_by_address.items()
    }
    assert roles == {
        "maria.example@example.org": PartyRole.EMPLOYEE,
        "hr@centralvalley.example.com": PartyRole.EMPLOYER,
        "ur-desk@goldenstateclaims.example.com": PartyRole.CLAIMS_ADMINISTRATOR,
        "office@treating-pain.example.com": PartyRole.REQUESTING_PROVIDER,
    }

    # A link with one character changed opens nothing.
    tampered = employee_link[:-3] + ("A" if employee_link[-3] != "A" else "B") + employee_link[-2:]
    assert anonymous.get("/" + tampered.split("://", 1)[1].split("/", 1)[1]).status_code == 404


def test_a_later_notice_carries_the_same_party_link(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    """A withdrawal's confirmation points each party to the same live link as its NOARFI did."""
    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    first = {entry["rcpt_tos"][0]: LINK.findall(_body(entry["message"])) for entry in smtp_server.messages}
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.withdraw(
            case_id=case.pk, by=staff, reason="The employee withdrew the application in writing."
        )
    later = {entry["rcpt_tos"][0]: LINK.findall(_body(entry["message"])) for entry in smtp_server.messages}
    assert later and all(len(found) == 1 for found in later.values())
    assert all(later[address] == first[address] for address in later)
    assert PartyLink.objects.filter(case=case).count() == 4  # no second link for anyone


def test_a_party_reached_by_post_finds_its_link_on_the_address_sheet(
    smtp_server, frozen_today, django_capture_on_commit_callbacks
):
    """The employee has no email: the NOARFI goes to the post tray, and the printed batch's address
    sheet carries the employee's own link (the one the employee's party link row names)."""
    from cases.models import Party
    from determinations.models import Delivery
    from determinations.services.delivery import build_post_batch_pdf
    from tests.determinations.letters_support import pdf_pages_text

    frozen_today(SEED_NOTICE_DAY)
    staff = staff_user()
    case = to_confirmed_eligible(import_seed_application(), staff)
    Party.objects.filter(case=case, role=PartyRole.EMPLOYEE).update(email="")
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.send_notice_of_assignment(case_id=case.pk, by=staff)
    posted = Delivery.objects.get(notice__case=case, recipient_role=PartyRole.EMPLOYEE)
    sheet = pdf_pages_text(build_post_batch_pdf(deliveries=[posted]))[0]
    assert "Maria Example" in sheet  # the employee's own sheet
    # The long link wraps on paper: read it back without the line breaks.
    found = re.findall(
        r"https?://\S+/portal/p/[^\s/]+/", "".join(sheet.split("at your own link:", 1)[1].split())
    )
    assert len(found) == 1, sheet
    assert links.resolve(token=found[0].rstrip("/").rsplit("/", 1)[1]).role == PartyRole.EMPLOYEE
