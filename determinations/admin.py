"""Admin console: determinations with their item decisions, the guideline catalog,
issued letters (read-only: an issued letter never changes) and deliveries (resend action)."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.admin_audit import AccessLoggedAdminMixin
from cases.models import PartyRole
from core.admin import LabelledTabularInline, LargeListAdmin
from core.errors import DomainError
from core.types import AuthenticatedHttpRequest
from determinations.models import (
    LOCKED_STATUSES,
    Delivery,
    Determination,
    GuidelineEntry,
    ItemDecision,
    Letter,
    Notice,
)
from determinations.services.delivery import resend_delivery


class ItemDecisionInline(LabelledTabularInline):
    model = ItemDecision
    extra = 0
    fields = ["disputed_item", "decision", "reviewer_guideline", "rationale"]
    raw_id_fields = ["disputed_item"]

    def _locked(self, obj: Determination | None) -> bool:
        return obj is not None and obj.status in LOCKED_STATUSES

    def has_add_permission(self, request: HttpRequest, obj: Determination | None = None) -> bool:
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Determination | None = None) -> bool:
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Determination | None = None) -> bool:
        return not self._locked(obj) and super().has_delete_permission(request, obj)


@admin.register(Determination)
class DeterminationAdmin(AccessLoggedAdminMixin, LargeListAdmin, admin.ModelAdmin):
    list_display = ["case", "status", "issued_on", "mailed_on", "updated_at"]
    list_filter = ["status"]
    search_fields = ["case__case_number__startswith"]
    search_help_text = "The case number or its start."
    list_select_related = ["case"]
    raw_id_fields = ["case", "reviewer", "approved_by"]
    readonly_fields = ["status", "issued_on", "mailed_on", "submitted_at", "approved_at", "approved_by"]
    inlines = [ItemDecisionInline]

    def has_change_permission(self, request: HttpRequest, obj: Determination | None = None) -> bool:
        # Submitted, approved, issued or superseded: read-only here as everywhere (the models and
        # a PostgreSQL trigger refuse it too). A correction is a corrected letter with a reason.
        if obj is not None and obj.status in LOCKED_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Determination | None = None) -> bool:
        if obj is not None and obj.status in LOCKED_STATUSES:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(GuidelineEntry)
class GuidelineEntryAdmin(admin.ModelAdmin):
    list_display = ["citation", "source", "active"]
    list_filter = ["source", "active"]
    search_fields = ["citation"]


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Letter)
class LetterAdmin(AccessLoggedAdminMixin, ReadOnlyAdminMixin, LargeListAdmin, admin.ModelAdmin):
    access_log_case_path = "determination__case"
    list_display = ["determination", "version", "issued_on", "pages", "sha256"]
    search_fields = ["determination__case__case_number__startswith", "sha256"]
    search_help_text = "The case number or its start, or the letter's whole SHA-256."
    list_select_related = ["determination__case"]
    # The file field is shown as its stored name only: downloads go through the logged view.
    fields = [
        "determination",
        "version",
        "issued_on",
        "pages",
        "sha256",
        "correction_reason",
        "created_by",
        "created_at",
    ]
    readonly_fields = cast("list[str]", fields)  # every field shown is read-only


@admin.register(Notice)
class NoticeAdmin(AccessLoggedAdminMixin, ReadOnlyAdminMixin, LargeListAdmin, admin.ModelAdmin):
    """Sent notices, read-only (their deliveries are on the case page's Correspondence section)."""

    access_log_case_path = "case"
    list_display = ["case", "kind", "issued_on", "completed_on", "pages"]
    list_filter = ["kind"]
    search_fields = ["case__case_number__startswith"]
    search_help_text = "The case number or its start."
    list_select_related = ["case"]
    fields = [
        "case",
        "kind",
        "issued_on",
        "completed_on",
        "pages",
        "sha256",
        "facts",
        "created_by",
        "created_at",
    ]
    readonly_fields = cast("list[str]", fields)  # every field shown is read-only


class RecipientRoleFilter(admin.SimpleListFilter):
    """Filter by the recipient's role, named as people read it."""

    title = "recipient role"
    parameter_name = "recipient_role"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(PartyRole.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
        return queryset.filter(recipient_role=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(AccessLoggedAdminMixin, ReadOnlyAdminMixin, LargeListAdmin, admin.ModelAdmin):
    access_log_case_path = "letter__determination__case"
    list_display = [
        "letter",
        "recipient_role_label",
        "recipient_name",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "mailed_on",
    ]
    list_filter = ["status", "channel", RecipientRoleFilter]
    search_fields = [
        "letter__determination__case__case_number__startswith",
        "recipient_name__icontains",
        "address__icontains",
    ]
    search_help_text = "The case number or its start; recipient name or address (part of it)."
    list_select_related = ["letter__determination__case"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["resend_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        # The letters' deliveries (the access log path above is theirs); a notice's deliveries
        # are shown, logged and resent on the case page.
        return super().get_queryset(request).filter(letter__isnull=False)

    @admin.display(description="Recipient role", ordering="recipient_role")
    def recipient_role_label(self, delivery: Delivery) -> str:
        return delivery.get_recipient_role_display()

    @admin.action(description="Send the selected letters again (failed or returned)", permissions=["resend"])
    def resend_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = 0
        for delivery in queryset:
            try:
                resend_delivery(
                    delivery_id=delivery.pk, by=request.user, reason="Resent from the admin console"
                )
            except DomainError as error:
                self.message_user(request, f"{delivery}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} letter(s) sent again.", messages.SUCCESS)

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("determinations.change_delivery")
