"""Organizations and their users: invited by staff, second factor, only their linked cases.

Bad inputs tried: another organization's case, a case that matches the organization's name but
has no link, staff pages and documents opened by an organization's user, a password-only
session, an invitation used twice or tampered, a taken username, a duplicate link."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, Document
from imr_site import roles
from portal.errors import PortalError
from portal.models import CaseLink, Membership
from portal.services.organizations import invite_user, link_case
from tests.cases.pdfs import make_pdf_bytes, upload
from tests.factories import UserFactory
from tests.portal.support import awaiting_records_case, link, member, organization
from tests.second_factor import SECOND_FACTOR_QUERIES, SecondFactorClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organization()


@pytest.fixture
def adjuster(org):
    return member(org)


@pytest.fixture
def adjuster_client(adjuster):
    client = SecondFactorClient()
    client.force_login(adjuster)
    return client


def test_a_user_sees_the_cases_linked_to_their_organization_and_nothing_else(adjuster_client, org, staff):
    mine = awaiting_records_case(staff)
    link(org, mine, staff)
    theirs = awaiting_records_case(staff)
    link(organization(name="Other TPA"), theirs, staff)
    unlinked = awaiting_records_case(staff)  # its claims administrator has the organization's name

    home = adjuster_client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert mine.case_number in home.content.decode()
    assert theirs.case_number not in home.content.decode()
    assert adjuster_client.get(reverse("portal:case", args=[mine.case_number])).status_code == 200
    for other in (theirs, unlinked):
        for name in ("portal:case", "portal:letter"):
            assert adjuster_client.get(reverse(name, args=[other.case_number])).status_code == 404
        response = adjuster_client.post(reverse("portal:declare_complete", args=[other.case_number]))
        assert response.status_code == 404
    refused = AccessLogEntry.objects.filter(action=AccessAction.REFUSED, case=theirs)
    assert refused.count() == 3


def test_staff_pages_and_documents_do_not_exist_for_an_organizations_user(adjuster_client, org, staff):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    from cases.services.documents import add_document

    document = add_document(
        case=case,
        uploaded_file=upload(make_pdf_bytes()),
        kind="medical_record",
        title="notes",
        received_on=case.notice_sent_on,
        by=staff,
    )
    for path in (
        reverse("cases:queues"),
        reverse("cases:case", args=[case.pk]),
        reverse("documents:document", args=[document.pk]),
        reverse("portal:staff_new_records"),
        "/admin/",
        "/review/",
        "/jobs/",
    ):
        assert adjuster_client.get(path).status_code == 404, path
    assert adjuster_client.get("/").url == reverse("portal:home")
    assert Document.objects.count() == 1


def test_a_password_only_session_is_sent_to_the_second_factor(adjuster):
    from django.test import Client

    plain = Client()
    plain.force_login(adjuster)
    response = plain.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("second_factor_setup"))


def test_a_user_who_is_not_a_member_gets_404_in_the_portal(staff_client):
    assert staff_client.get(reverse("portal:home")).status_code == 404


def test_the_portal_home_reads_a_fixed_number_of_queries(
    adjuster_client, org, staff, django_assert_max_num_queries
):
    for _ in range(3):
        link(org, awaiting_records_case(staff), staff)
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        assert adjuster_client.get(reverse("portal:home")).status_code == 200


def test_the_status_page_reads_a_fixed_number_of_queries(
    adjuster_client, org, staff, django_assert_max_num_queries
):
    case = awaiting_records_case(staff)
    link(org, case, staff)
    with django_assert_max_num_queries(14 + SECOND_FACTOR_QUERIES):
        assert adjuster_client.get(reverse("portal:case", args=[case.case_number])).status_code == 200


# ---- Staff invite users -----------------------------------------------------------------------


def test_staff_invite_a_user_who_sets_a_password_once(
    staff_client, org, client, django_capture_on_commit_callbacks
):
    page = staff_client.get(reverse("portal:staff_invite"))
    assert page.status_code == 200
    import re

    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("portal:staff_invite"),
            {
                "organization": org.pk,
                "username": "newadjuster",
                "email": "new@tpa.example.com",
                "form_token": token,
            },
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newadjuster")
    assert Membership.objects.get(user=user).organization == org and not user.has_usable_password()
    (message,) = mail.outbox
    link_path = re.search(r"https?://[^/]+(/portal/invite/\S+)", message.body).group(1)
    staff_client.logout()
    assert staff_client.get(link_path).status_code == 200
    done = staff_client.post(
        link_path, {"new_password1": "a-long-pass-phrase-9", "new_password2": "a-long-pass-phrase-9"}
    )
    assert done.status_code == 302 and done.url == reverse("login")
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase-9")
    again = staff_client.post(
        link_path, {"new_password1": "another-pass-phrase-7", "new_password2": "another-pass-phrase-7"}
    )
    assert again.status_code == 404
    tampered = link_path.rstrip("/")[:-3] + "zzz/"
    assert staff_client.get(tampered).status_code == 404


def test_an_invitation_with_a_taken_username_is_refused(org, staff):
    UserFactory(username="taken")
    with pytest.raises(PortalError, match="taken"):
        invite_user(organization_id=org.pk, username="Taken", email="x@example.org", by=staff)
    assert not Membership.objects.exists()


def test_only_staff_may_invite(adjuster_client, client):
    reviewer = UserFactory(username="rev1", role=roles.REVIEWER)
    client.force_login(reviewer)
    assert client.get(reverse("portal:staff_invite")).status_code == 403
    assert adjuster_client.get(reverse("portal:staff_invite")).status_code == 404


# ---- Staff link organizations to cases explicitly ------------------------------------------------


def test_staff_link_an_organization_to_a_case_once(org, staff):
    case = awaiting_records_case(staff)
    made = link_case(organization_id=org.pk, case_id=case.pk, by=staff)
    assert made.linked_by == staff and made.role == "claims_administrator"
    with pytest.raises(PortalError, match="already linked"):
        link_case(organization_id=org.pk, case_id=case.pk, by=staff)
    assert CaseLink.objects.count() == 1


def test_staff_link_in_the_admin_records_who(staff_client, org, staff):
    admin_user = UserFactory(username="admin1", role=roles.ADMINISTRATOR)
    staff_client.force_login(admin_user)
    case = awaiting_records_case(staff)
    response = staff_client.post(
        reverse("admin:portal_caselink_add"),
        {"organization": org.pk, "case": case.pk, "role": "claims_administrator"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CaseLink.objects.get().linked_by == admin_user
