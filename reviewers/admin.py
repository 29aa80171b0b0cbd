"""Admin for reviewers (credentials, affiliations, load), specialty rules and assignments."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from cases.admin_audit import AccessLoggedAdminMixin
from core.admin import LabelledTabularInline, LargeListAdmin, QuickRowsAdmin
from core.clock import today
from reviewers import admin_actions as _case_admin_actions  # noqa: F401  (adds "Replace the reviewer" to Case)
from reviewers import eligibility, selectors
from reviewers.models import Affiliation, Assignment, BoardCertification, License, Reviewer, SpecialtyRule


class LicenseInline(LabelledTabularInline):
    model = License
    extra = 0
    fields = ["position", "state", "number", "expires_on", "active", "unrestricted"]


class BoardCertificationInline(LabelledTabularInline):
    model = BoardCertification
    extra = 0
    fields = ["position", "specialty", "board"]


class AffiliationInline(LabelledTabularInline):
    model = Affiliation
    extra = 0
    fields = ["name", "kind", "identifier"]


def _warning_window() -> tuple:
    on = today()
    return on, on + timedelta(days=eligibility.WARNING_DAYS)


class CredentialWarningFilter(admin.SimpleListFilter):
    title = "credential warnings"
    parameter_name = "warning"

    def lookups(self, request, model_admin):
        return [
            ("license", f"License expiring within {eligibility.WARNING_DAYS} days or expired"),
            ("attestation", "Hours attestation due or lapsed"),
            ("any", "Any warning"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "license":
            return queryset.filter(license_warning=True)
        if self.value() == "attestation":
            return queryset.filter(selectors.attestation_due_q(on=today()))
        if self.value() == "any":
            return queryset.filter(selectors.attestation_due_q(on=today())) | queryset.filter(
                license_warning=True
            )
        return queryset


@admin.register(Reviewer)
class ReviewerAdmin(QuickRowsAdmin, admin.ModelAdmin):
    # 25 rows a page, as the large lists (core.admin.LargeListAdmin): 100 rows took 65 ms.
    list_per_page = 25
    list_display = [
        "reviewer_number",
        "name",
        "status",
        "load",
        "last_assigned_at",
        "warnings",
    ]
    list_filter = ["status", CredentialWarningFilter]
    search_fields = ["reviewer_number", "user__first_name", "user__last_name", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["open_cases", "last_assigned_at"]
    fields = [
        "user",
        "reviewer_number",
        "status",
        "max_open_cases",
        "in_practice_since",
        "weekly_practice_hours",
        "hours_attested_on",
        "open_cases",
        "last_assigned_at",
    ]
    inlines = [LicenseInline, BoardCertificationInline, AffiliationInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reviewer]:
        _, soon = _warning_window()
        expiring = License.objects.filter(reviewer_id=OuterRef("pk"), active=True, expires_on__lte=soon)
        return selectors.with_open_count(super().get_queryset(request)).annotate(
            license_warning=Exists(expiring)
        )

    @admin.display(description="Name", ordering="user__last_name")
    def name(self, obj: Reviewer) -> str:
        return obj.user.get_full_name() or obj.user.get_username()

    @admin.display(description="Open / max", ordering="open_count")
    def load(self, obj: Reviewer) -> str:
        open_count: int = obj.open_count  # type: ignore[attr-defined]  # annotated by get_queryset
        return format_html(
            '<span class="{}">{} / {}</span>',
            "errornote" if open_count >= obj.max_open_cases else "",
            open_count,
            obj.max_open_cases,
        )

    @admin.display(description="Warnings")
    def warnings(self, obj: Reviewer) -> str:
        on, _ = _warning_window()
        notes = []
        if getattr(obj, "license_warning", False):
            notes.append("license expiring")
        if obj.hours_attested_on <= on - timedelta(
            days=eligibility.ATTESTATION_VALID_DAYS - eligibility.WARNING_DAYS
        ):
            notes.append("attestation due")
        return ", ".join(notes) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            reviewer = (
                selectors.with_credentials(Reviewer.objects.filter(pk=object_id)).first()
                if str(object_id).isdigit()
                else None
            )
            if reviewer is not None:
                for warning in eligibility.credential_warnings(reviewer=reviewer, on=today()):
                    messages.warning(request, warning)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SpecialtyRule)
class SpecialtyRuleAdmin(QuickRowsAdmin, admin.ModelAdmin):
    list_per_page = 25
    list_display = ["category", "body_region", "specialty"]
    list_filter = ["category"]
    search_fields = ["specialty", "body_region"]
    ordering = ["category", "body_region", "specialty"]


@admin.register(Assignment)
class AssignmentAdmin(AccessLoggedAdminMixin, LargeListAdmin, admin.ModelAdmin):
    list_display = ["case", "reviewer", "status", "active", "assigned_at", "assigned_by", "notified_at"]
    list_filter = ["status", "active", ("assigned_at", admin.DateFieldListFilter)]
    search_fields = ["case__case_number__startswith", "reviewer__reviewer_number__iexact"]
    search_help_text = "The case number or its start, or a reviewer number."
    sortable_by = ["assigned_at"]
    list_select_related = ["case", "reviewer", "assigned_by"]
    fields = [
        "case",
        "reviewer",
        "status",
        "active",
        "assigned_at",
        "assigned_by",
        "responded_at",
        "decline_reason",
        "notified_at",
        "candidates_table",
    ]
    readonly_fields = cast("list[str]", fields)  # every field shown is read-only

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Assignments are made by the picker or on the case's candidates page, which check eligibility.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Candidates considered")
    def candidates_table(self, obj: Assignment) -> str:
        rows = [
            (
                entry.get("reviewer_number", ""),
                "chosen" if entry.get("chosen") else ("excluded" if entry.get("excluded") else "eligible"),
                f"{entry.get('open_cases', '')} / {entry.get('max_open_cases', '')}",
                "; ".join(entry.get("reasons", [])) or entry.get("note", ""),
            )
            for entry in (obj.candidates or [])
            if isinstance(entry, dict)
        ]
        if not rows:
            return "—"
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html(
            "<table><thead><tr><th>Reviewer</th><th>Result</th><th>Open / max</th><th>Reasons</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            body,
        )
