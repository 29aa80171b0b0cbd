"""The four roles of the system, as auth groups with the permissions each needs.

Views check permissions (never group names), so a role's reach is defined here alone.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

INTAKE_STAFF = "Intake staff"
CLINICAL_QA = "Clinical QA"
REVIEWER = "Reviewer"
ADMINISTRATOR = "Administrator"

# The billing pages (/billing/): invoices, payments, the outstanding statement. Administrators
# hold it through "*" below; no other role does.
MANAGE_BILLING = "billing.manage_billing"

# Roles that work in the Django admin console (is_staff).
ADMIN_CONSOLE_ROLES = frozenset({INTAKE_STAFF, ADMINISTRATOR})

_CASE_MODELS = ["case", "party", "disputeditem", "document"]
_PORTAL_MODELS = ["organization", "membership", "caselink", "organizationapikey", "partylink"]
_REVIEWER_MODELS = ["reviewer", "license", "boardcertification", "affiliation", "specialtyrule", "assignment"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    INTAKE_STAFF: [
        *(f"cases.{action}_{model}" for model in _CASE_MODELS for action in ("view", "add", "change")),
        "cases.view_caseevent",
        "cases.view_all_cases",
        "cases.transition_case",
        "cases.override_eligibility",
        *(f"reviewers.view_{model}" for model in _REVIEWER_MODELS),
        # domain.md: the treatment-to-specialty mapping is "editable by staff".
        "reviewers.add_specialtyrule",
        "reviewers.change_specialtyrule",
        "reviewers.delete_specialtyrule",
        "reviewers.add_assignment",
        "reviewers.change_assignment",
        "determinations.view_determination",
        "determinations.view_itemdecision",
        "determinations.view_letter",
        "determinations.view_delivery",
        "determinations.change_delivery",
        # The notices they send (read-only in the admin, as the letters).
        "determinations.view_notice",
        # The parties' portal: organizations, their users and case links, tokens, party links.
        *(f"portal.{action}_{model}" for model in _PORTAL_MODELS for action in ("view", "add", "change")),
        "portal.view_submittedrecord",
        "portal.change_submittedrecord",
        # The operations dashboard and the regulator's reports (reports app).
        "reports.view_reports",
    ],
    CLINICAL_QA: [
        "cases.view_all_cases",
        # QA checks a determination against the case file it rests on.
        *(f"cases.view_{model}" for model in _CASE_MODELS),
        "cases.view_caseevent",
        "determinations.view_determination",
        "determinations.view_itemdecision",
        "determinations.qa_determination",
        "determinations.view_guidelineentry",
        "determinations.view_letter",
    ],
    # A reviewer's reach is their assignments (cases.selectors), not model permissions:
    # a model-wide "view" permission here would open every case to them.
    REVIEWER: [
        "determinations.view_guidelineentry",
    ],
    ADMINISTRATOR: ["*"],
}


@transaction.atomic
def ensure_role_groups() -> dict[str, Group]:
    """Create or update the role groups so they hold exactly their permissions (idempotent)."""
    all_permissions = Permission.objects.select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_permissions}
    groups: dict[str, Group] = {}
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        if names == ["*"]:
            permissions = list(by_name.values())
        else:
            missing = [n for n in names if n not in by_name]
            if missing:
                raise LookupError(f"role {role!r} names unknown permissions: {missing}")
            permissions = [by_name[n] for n in names]
        group.permissions.set(permissions)
        groups[role] = group
    return groups
