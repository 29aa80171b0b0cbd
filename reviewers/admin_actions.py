"""The reviewers app's action on the Case admin: replace the reviewer of a case in review.

Added to the Case admin's actions from here (imported by `reviewers.admin`), since cases
must not import reviewers.
"""

from __future__ import annotations

from django.contrib import admin

from cases.admin_actions import add_case_action, with_reason
from cases.errors import GuardError
from cases.models import Case
from reviewers.errors import ReviewerError
from reviewers.services.assignment import replace_reviewer as replace_reviewer_service


def _replace_reviewer(*, case_id: int, by, reason: str) -> Case:
    try:
        assignment = replace_reviewer_service(case_id=case_id, by=by, reason=reason)
    except ReviewerError as error:
        raise GuardError(error.message) from error
    return assignment.case


@admin.action(description="Replace the reviewer of a case in review (with a reason)", permissions=["change"])
def replace_reviewer(modeladmin, request, queryset):
    return with_reason(
        modeladmin,
        request,
        queryset,
        action="replace_reviewer",
        title="Replace the reviewer",
        label="Why is the reviewer replaced?",
        service=_replace_reviewer,
        done="reviewer replaced; the case is offered to the next qualified reviewer.",
    )


add_case_action(replace_reviewer)
