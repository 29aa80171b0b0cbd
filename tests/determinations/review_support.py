"""Builders for the reviewer workspace and QA tests (not collected: no test_ prefix)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from cases.models import Case, CaseStatus
from determinations.services.review import ItemInput
from imr_site import roles
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from tests.factories import UserFactory, make_seed_like_case, make_seed_reviewer

SEED_CASE_PATH = Path(__file__).resolve().parent.parent / "data" / "seed-case.json"


def seed_determination() -> dict:
    return json.loads(SEED_CASE_PATH.read_text(encoding="utf-8"))["determination"]


def case_for_review(
    *,
    reviewer: Reviewer | None = None,
    status: str = CaseStatus.IN_REVIEW,
    assignment_status: str = AssignmentStatus.ACCEPTED,
    active: bool = True,
    due_in_days: int = 20,
    **case_fields,
) -> tuple[Case, Assignment]:
    """A seed-like case in `status` with an assignment to `reviewer` (a new seed reviewer by default)."""
    reviewer = reviewer or make_seed_reviewer()
    records_complete_on = date.today() - timedelta(days=5)
    case_fields.setdefault("records_complete_on", records_complete_on)
    case_fields.setdefault("determination_due", date.today() + timedelta(days=due_in_days))
    case_fields.setdefault("next_deadline", case_fields["determination_due"])
    case = make_seed_like_case(status=status, **case_fields)
    assignment = Assignment.objects.create(
        case=case, reviewer=reviewer, status=assignment_status, active=active
    )
    return case, assignment


def seed_item_inputs(case: Case) -> list[ItemInput]:
    """The seed letter's decisions (Upheld/Upheld), keyed to the case's items in order."""
    items = seed_determination()["items"]
    return [
        ItemInput(
            disputed_item_id=item.pk,
            decision=decision["decision"],
            reviewer_guideline=decision["reviewer_guideline"],
            rationale=decision["rationale"],
        )
        for item, decision in zip(case.disputed_items.order_by("position"), items, strict=True)
    ]


def seed_form_data(case: Case) -> dict[str, str]:
    """The POST of the determination form filled as the seed letter reads (loaded before any save)."""
    data = {"clinical_case_summary": seed_determination()["clinical_case_summary"], "version": "0"}
    for item in seed_item_inputs(case):
        prefix = f"item-{item.disputed_item_id}"
        data[f"{prefix}-decision"] = item.decision
        data[f"{prefix}-reviewer_guideline"] = item.reviewer_guideline
        data[f"{prefix}-rationale"] = item.rationale
    return data


def qa_user():
    return UserFactory(role=roles.CLINICAL_QA)


def with_case_file_token(client, case: Case, data: dict) -> dict:
    """`data` plus the hidden fields of the determination form on the case file (its one-time
    token and the draft version it was loaded with), as the browser posts them to save,
    preview or submit (the form's buttons share one form)."""
    from django.urls import reverse

    from tests.forms_helpers import hidden_fields

    return {
        **data,
        **hidden_fields(
            client,
            reverse("review:case_file", args=[case.pk]),
            action=reverse("review:save_draft", args=[case.pk]),
        ),
    }


def with_qa_token(client, determination, data: dict | None = None, *, action: str) -> dict:
    """`data` plus the token of the QA page's form posting to `action` (approve or return)."""
    from django.urls import reverse

    from tests.forms_helpers import with_token

    return with_token(
        client,
        reverse("review:qa_determination", args=[determination.pk]),
        data,
        action=reverse(action, args=[determination.pk]),
    )
