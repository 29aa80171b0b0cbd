"""Staff manage organizations, their users, their links to cases, API tokens and party links here.

The case links, party links and submitted records are case data: their lists and pages write
access-log rows (`cases.admin_audit.AccessLoggedAdminMixin`).
A case link is made by choosing the case and the organization (never by matching a name); an
API token is revoked by ticking "revoked" (djangorestframework-api-key's admin); a party link by
the "Revoke" action.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from cases.admin_audit import AccessLoggedAdminMixin
from cases.services.audit import log_access
from core.admin import LabelledTabularInline
from portal.models import CaseLink, Membership, Organization, OrganizationAPIKey, PartyLink, SubmittedRecord
from portal.services import links

# The library's own key model authenticates nothing here (the API takes OrganizationAPIKey only):
# a key made on its admin page would be handed out and refused. Only the organizations' keys show.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class MembershipInline(LabelledTabularInline):
    model = Membership
    fk_name = "organization"
    extra = 0
    raw_id_fields = ["user", "invited_by"]
    readonly_fields = ["invited_at"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "email", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(CaseLink)
class CaseLinkAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    """Staff link an organization to a case on purpose: the case and the organization are chosen."""

    list_display = ["case", "organization", "role", "source", "linked_by", "linked_at"]
    list_filter = ["role", "source"]
    raw_id_fields = ["case", "organization"]
    readonly_fields = ["source", "linked_by", "linked_at"]
    search_fields = ["case__case_number", "organization__name"]
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: CaseLink, form, change: bool) -> None:
        if not change:
            obj.linked_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        log_access(
            user=request.user,  # type: ignore[arg-type]
            case=obj.case,
            action="change",
            object_repr=f"linked {obj.organization} as {obj.role}",
            request=request,
        )


@admin.register(OrganizationAPIKey)
class OrganizationAPIKeyAdmin(APIKeyModelAdmin):
    list_display = (*APIKeyModelAdmin.list_display, "organization")  # type: ignore[assignment]
    search_fields = (*APIKeyModelAdmin.search_fields, "organization__name")  # type: ignore[assignment]
    raw_id_fields = ["organization"]


@admin.register(PartyLink)
class PartyLinkAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = ["case", "role", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["role"]
    raw_id_fields = ["case"]
    readonly_fields = [
        "case",
        "role",
        "nonce",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "created_at",
        "last_used_at",
    ]
    search_fields = ["case__case_number"]
    show_full_result_count = False
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by `portal.services.links.party_link` for a notice

    @admin.action(description="Revoke the selected links")
    def revoke(self, request: HttpRequest, queryset: QuerySet[PartyLink]) -> None:
        for link in queryset:
            links.revoke(link_id=link.pk, by=request.user)  # type: ignore[arg-type]
        messages.success(request, f"{queryset.count()} link(s) revoked.")


@admin.register(SubmittedRecord)
class SubmittedRecordAdmin(AccessLoggedAdminMixin, admin.ModelAdmin):
    list_display = [
        "case",
        "kind",
        "date_from",
        "date_to",
        "uploaded_at",
        "days_late",
        "penalty_usd",
        "seen_at",
    ]
    list_filter = ["kind"]
    raw_id_fields = ["case", "document", "submission", "seen_by"]
    readonly_fields = ["uploaded_at", "days_late", "penalty_usd"]
    show_full_result_count = False

    # What a party submitted is written by the upload only (its receipt names it): never made or
    # deleted by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SubmittedRecord | None = None) -> bool:
        return False
