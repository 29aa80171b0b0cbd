"""Links in emails start with the configured SITE_URL, never 127.0.0.1 (issue 9).

Every email the system sends is checked: the offer to a reviewer, the daily deadline
digest, the expedited notice to the parties and the letter delivery. Bad inputs tried: a
SITE_URL with a trailing slash and one with a path prefix (the site mounted under /imr).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail

from cases.models import CaseStatus, Priority
from cases.services.notices import notify_parties_expedited, send_deadline_digest
from core.clock import today
from determinations.services.letters import issue_letter
from imr_site import roles
from imr_site.links import absolute_reverse, absolute_url
from reviewers.models import Assignment, AssignmentStatus
from reviewers.services.notifications import notify_assigned_reviewer
from tests.determinations.letters_support import approved_seed_determination
from tests.factories import CaseFactory, UserFactory, make_seed_like_case, make_seed_reviewer

pytestmark = pytest.mark.django_db

SITE = "https://imr.example.org/imr"
LINK = re.compile(r"\w+://[^\s>\"']+")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE + "/"  # a trailing slash is tolerated: no "//" in links


def _links(body: str) -> list[str]:
    return LINK.findall(body)


def _assert_links_on_site(body: str) -> list[str]:
    links = _links(body)
    assert "127.0.0.1" not in body and "localhost" not in body
    assert all(link.startswith(SITE + "/") and "//" not in link[len("https://") :] for link in links), links
    return links


def test_absolute_links_are_built_from_site_url():
    assert absolute_url("/cases/") == f"{SITE}/cases/"
    assert absolute_reverse("cases:case", args=[7]) == f"{SITE}/cases/7/"
    with pytest.raises(ValueError, match="starting with '/'"):
        absolute_url("cases/")


def test_the_offer_to_a_reviewer_links_to_the_site():
    reviewer = make_seed_reviewer()
    case = make_seed_like_case(status=CaseStatus.ASSIGNED)
    assignment = Assignment.objects.create(
        case=case, reviewer=reviewer, status=AssignmentStatus.OFFERED, active=True
    )
    assert notify_assigned_reviewer(assignment_id=assignment.pk) is True
    [message] = mail.outbox
    assert _assert_links_on_site(message.body) == [f"{SITE}/review/"]


def test_the_deadline_digest_links_to_the_site(settings):
    settings.INTAKE_STAFF_EMAILS = ["intake-desk@imro.example.org"]
    UserFactory(username="ivy", email="ivy@imro.example.org", role=roles.INTAKE_STAFF)
    CaseFactory(status=CaseStatus.AWAITING_RECORDS, next_deadline=today() - timedelta(days=1))
    assert send_deadline_digest() == 1
    [message] = mail.outbox
    assert _assert_links_on_site(message.body) == [f"{SITE}/cases/"]


def test_the_expedited_notice_and_the_letter_email_hold_no_local_address(django_capture_on_commit_callbacks):
    case = make_seed_like_case(status=CaseStatus.AWAITING_RECORDS, priority=Priority.EXPEDITED)
    assert notify_parties_expedited(case_id=case.pk) > 0
    determination = approved_seed_determination()
    with django_capture_on_commit_callbacks(execute=True):
        issue_letter(determination_id=determination.pk)
    assert len(mail.outbox) > 4
    for message in mail.outbox:
        _assert_links_on_site(message.subject + "\n" + message.body)
