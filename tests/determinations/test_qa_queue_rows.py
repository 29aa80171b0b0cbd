"""The QA queue's rows, written in Python (`review_tags.qa_queue_rows`), on the page as QA sees it.

Tried: a determination due in 10 days, in 2 (due soon), today, and 4 days late (overdue); an
expedited case; an approved determination (letter pending); one without a reviewer; one never
submitted (no time); a case number and reviewer number as stored; the submitted time shown in
the site's time zone (late evening UTC is the afternoon in California).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from cases.models import CaseStatus, Priority
from determinations.models import Determination, DeterminationStatus
from tests.determinations.review_support import case_for_review, qa_user
from tests.factories import make_seed_reviewer

pytestmark = pytest.mark.django_db


def _row(body: str, case) -> str:
    match = re.search(rf'<tr data-case="{case.case_number}">.*?</tr>', body)
    assert match, case.case_number
    return match.group(0)


def test_each_kind_of_row(client, settings):
    settings.TIME_ZONE = "America/Los_Angeles"
    reviewer = make_seed_reviewer()
    made = {}
    for label, days, extra in (
        ("later", 10, {}),
        ("soon", 2, {"priority": Priority.EXPEDITED}),
        ("today", 0, {}),
        ("late", -4, {}),
    ):
        case, _ = case_for_review(reviewer=reviewer, status=CaseStatus.QA_REVIEW, due_in_days=days, **extra)
        made[label] = case
    submitted = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    Determination.objects.create(
        case=made["later"], reviewer=reviewer, status=DeterminationStatus.SUBMITTED, submitted_at=submitted
    )
    Determination.objects.create(case=made["soon"], reviewer=reviewer, status=DeterminationStatus.APPROVED)
    Determination.objects.create(case=made["today"], reviewer=None, status=DeterminationStatus.SUBMITTED)
    late = Determination.objects.create(
        case=made["late"], reviewer=reviewer, status=DeterminationStatus.SUBMITTED
    )
    client.force_login(qa_user())
    body = client.get(reverse("review:qa_queue")).content.decode()

    later = _row(body, made["later"])
    assert "<td>Standard</td>" in later
    assert '<td class="">10</td>' in later
    assert f"<td>{reviewer.reviewer_number}</td>" in later
    assert "<td>03/04/2026 15:30</td>" in later  # 23:30 UTC, in California
    assert "<td>To review</td>" in later
    assert f"<td>{made['later'].determination_due:%m/%d/%Y}</td>" in later

    soon = _row(body, made["soon"])
    assert '<span class="badge text-bg-danger">Expedited</span>' in soon
    assert '<td class="due-soon">2</td>' in soon
    assert "<td>Approved, letter pending</td>" in soon

    today = _row(body, made["today"])
    assert '<td class="due-soon">0</td>' in today
    assert today.count("<td>—</td>") == 2  # no reviewer, never submitted

    overdue = _row(body, made["late"])
    assert '<td class="overdue">-4 (overdue)</td>' in overdue
    assert (
        f'<a href="{reverse("review:qa_determination", args=[late.pk])}">{made["late"].case_number}</a>'
        in overdue
    )
