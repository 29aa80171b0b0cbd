"""The staff admin console for cases, their parties, disputed items, documents and logs.

Status and deadlines are read-only here: a case changes state only through the workflow
actions (`cases.admin_actions`), and deadlines are computed from the recorded dates.
Every page here that shows case data (lists, searches, change pages) is logged in the access
log (`cases.admin_audit`), since it shows PHI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html

from cases.admin_actions import CASE_ACTIONS
from cases.admin_audit import AccessLoggedAdminMixin
from cases.admin_forms import (
    DocumentChangeForm,
    DocumentInlineUploadForm,
    DocumentUploadForm,
    DocumentUploadFormSet,
)
from cases.models import (
    AccessLogEntry,
    Case,
    CaseEvent,
    DisputedItem,
    Document,
    ItemCategory,
    Party,
    PartyRole,
)
from cases.record_lock import final_reason
from cases.selectors import matching_case_ids, with_item_category
from cases.services.disputed_items import ITEM_FIELDS
from cases.services.staff_edits import record_staff_edit
from cases.services.workflow import DEADLINE_FIELDS
from core.admin import LabelledTabularInline, LargeListAdmin
from core.errors import DomainError
from core.form_tokens import submit_once

WORKFLOW_DATE_FIELDS: tuple[str, ...] = (
    "eligibility_confirmed",
    "eligibility_override_reason",
    "eligibility_review_on",
    "eligible_on",
    "notice_sent_on",
    "notice_method",
    "records_complete_on",
    "expedited_on",
    "needs_manual_assignment",
    "manual_assignment_reason",
)


def _employee_name_subquery() -> Subquery:
    return Subquery(Party.objects.filter(case=OuterRef("pk"), role=PartyRole.EMPLOYEE).values("name")[:1])


def _disputed_item_count_subquery() -> Subquery:
    # A subquery, not Count(): a join would multiply rows with the other annotations.
    return Subquery(
        DisputedItem.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n")[:1],
        output_field=IntegerField(),
    )


def document_link(document: Document) -> str:
    if document.pk is None:
        return "—"
    url = reverse("documents:document", args=[document.pk])
    return format_html('<a href="{}" target="_blank" rel="noopener">Open PDF</a>', url)


class DisputedCategoryFilter(admin.SimpleListFilter):
    title = "disputed item category"
    parameter_name = "item_category"

    def lookups(self, request, model_admin):
        return ItemCategory.choices

    def queryset(self, request, queryset):
        if self.value() in ItemCategory.values:
            # Not a join: a case with two items of the category is listed once. On PostgreSQL
            # the case's category bits (cases/migrations/0013), elsewhere EXISTS.
            return with_item_category(queryset, str(self.value()))
        return queryset


class ReadOnlyMixin:
    """Rows shown for the record only: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


if TYPE_CHECKING:  # the mixins below are only ever mixed into a ModelAdmin
    _ModelAdminBase = admin.ModelAdmin
else:
    _ModelAdminBase = object


class FinalRecordAdminMixin(_ModelAdminBase):
    """Rows of a case whose record is final (cases.record_lock) are read-only here, but for the
    model's `correctable_when_final` fields; they cannot be deleted, and (for inlines) added.
    The models and a PostgreSQL trigger refuse the same; a forged POST answers 403 (no field
    may change) or changes only the correctable fields."""

    _inline = False

    def _case_id_of_obj(self, obj) -> int | None:
        if obj is None:
            return None
        return obj.pk if isinstance(obj, Case) else obj.case_id

    def _final(self, obj) -> bool:
        return final_reason(self._case_id_of_obj(obj)) is not None

    def _correctable(self) -> tuple[str, ...]:
        return self.model.correctable_when_final

    def has_change_permission(self, request, obj=None) -> bool:
        if not self._correctable() and self._final(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if self._final(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._final(obj):
            readonly += [
                field.name
                for field in self.model._meta.fields
                if field.editable
                and field.name not in self._correctable()
                and field.name not in readonly
                and not (self._inline and field.name == "case")
            ]
        return readonly


class FinalRecordInlineMixin(FinalRecordAdminMixin):
    _inline = True  # `obj` is the case the inline's rows belong to

    def has_add_permission(self, request, obj=None) -> bool:
        if self._final(obj):
            return False
        return super().has_add_permission(request, obj)  # type: ignore[call-arg]


class PartyInline(FinalRecordInlineMixin, admin.StackedInline):
    model = Party
    extra = 0
    fields = [
        ("role", "name"),
        ("first_name", "last_name"),
        ("organization", "claim_number"),
        ("email", "npi", "specialty"),
        "mailing_address",
        ("date_of_birth", "sex"),
    ]
    classes = ["collapse"]


class DisputedItemInline(FinalRecordInlineMixin, LabelledTabularInline):
    model = DisputedItem
    fk_name = "case"  # not origin_case (the case a consolidated item was filed under)
    extra = 0
    fields = ["position", *ITEM_FIELDS]  # the fields the case page's item form edits, too


class DocumentInline(ReadOnlyMixin, LabelledTabularInline):
    """The case's documents, read-only, each with a link to the access-checked viewer."""

    model = Document
    extra = 0
    fields = ["kind", "title", "received_on", "pages", "size", "uploaded_by", "uploaded_at", "open"]
    readonly_fields = cast("list[str]", fields)  # every field shown is read-only
    verbose_name_plural = "documents"

    @admin.display(description="file")
    def open(self, document: Document) -> str:
        return document_link(document)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class DocumentUploadInline(admin.StackedInline):
    """Upload new PDFs with the case form; each goes through the document service."""

    model = Document
    form = DocumentInlineUploadForm
    formset = DocumentUploadFormSet
    extra = 1
    can_delete = False
    verbose_name = "new document"
    verbose_name_plural = "upload documents (PDF)"
    fields = [("kind", "received_on"), "title", "upload"]

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(ReadOnlyMixin, LabelledTabularInline):
    """The case's timeline: append-only, so nothing here can be added, changed or deleted."""

    model = CaseEvent
    extra = 0
    fields = ["effective_on", "kind", "from_status", "to_status", "actor", "reason", "at"]
    readonly_fields = cast("list[str]", fields)  # every field shown is read-only
    verbose_name_plural = "timeline"
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class CaseErrorAsMessageMixin(_ModelAdminBase):
    """A CaseError raised while saving (e.g. a race on a duplicate upload) becomes a message.

    The admin saves inside one transaction, so the exception rolls the whole change back.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, f"Nothing was saved: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class SubmitOnceMixin(_ModelAdminBase):
    """The add and change forms post a one-time token (templates/admin/cases/<model>/change_form.html):
    a double click or a resubmit after Back creates the uploaded documents once.

    Listed after CaseErrorAsMessageMixin, so a refused save rolls the claim back with the rest.
    """

    @method_decorator(submit_once)
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(Case)
class CaseAdmin(
    AccessLoggedAdminMixin, CaseErrorAsMessageMixin, SubmitOnceMixin, LargeListAdmin, admin.ModelAdmin
):
    access_log_case_path = ""  # the row is the case
    list_display = [
        "case_number",
        "employee_name",
        "status",
        "priority",
        "disputed_item_count",
        "received_on",
        "next_deadline",
        "overdue",
    ]
    # A date filter, not date_hierarchy: the hierarchy reads the distinct dates of every case.
    list_filter = [
        "status",
        "priority",
        DisputedCategoryFilter,
        "overdue",
        ("received_on", admin.DateFieldListFilter),
    ]
    # The columns an index sorts by (case_number, received_on, next_deadline).
    sortable_by = ["case_number", "received_on", "next_deadline"]
    # Searched by get_search_results (cases.selectors.matching_case_ids).
    search_fields = ["case_number"]
    search_help_text = (
        "Case number or its start, claim number, employee or requesting provider name (part of it)."
    )
    actions = CASE_ACTIONS  # a list higher apps add to (admin_actions.add_case_action)
    inlines = [PartyInline, DisputedItemInline, DocumentInline, DocumentUploadInline, CaseEventInline]

    def get_inlines(self, request, obj):
        # A case not saved yet has no documents and no events: their read-only tables would be
        # empty boxes (scrolled sideways on a phone, with nothing in them a keyboard can reach).
        if obj is None:
            return [inline for inline in self.inlines if inline not in (DocumentInline, CaseEventInline)]
        return self.inlines

    fieldsets = [
        (None, {"fields": [("case_number", "status", "priority")]}),
        (
            "Application",
            {"fields": [("received_on", "signed", "ur_decision_attached", "liability_disputed")]},
        ),
        ("Injury", {"fields": ["injury_date", "body_parts", "diagnoses", "mechanism"]}),
        (
            "Utilization review",
            {
                "fields": [
                    ("ur_decision_date", "ur_served_on", "ur_service_method"),
                    ("ur_reviewer_name", "ur_organization"),
                    "ur_guidelines_cited",
                    "ur_conditionally_noncertified",
                ]
            },
        ),
        ("Eligibility and workflow dates", {"fields": WORKFLOW_DATE_FIELDS}),
        ("Deadlines (computed)", {"fields": DEADLINE_FIELDS}),
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["status", *WORKFLOW_DATE_FIELDS, *DEADLINE_FIELDS]
        if obj is not None:
            # A case keeps its number; priority changes through the "convert to expedited" step.
            readonly += ["case_number", "priority"]
            if final_reason(obj.pk):
                # What the letter's header states is fixed with the determination (cases.record_lock);
                # documents can still be uploaded on this page.
                readonly += [name for name in flatten_fieldsets(self.fieldsets or []) if name not in readonly]
        return readonly

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                employee_name=_employee_name_subquery(), disputed_item_count=_disputed_item_count_subquery()
            )
        )

    @admin.display(description="items", ordering="disputed_item_count")
    def disputed_item_count(self, case: Case) -> int:
        return case.disputed_item_count  # type: ignore[attr-defined]  # annotated by get_queryset

    # Not sortable: ordering 200,000 cases by a name read from another table computes it for
    # every case (3 s); search by the name instead.
    @admin.display(description="employee")
    def employee_name(self, case: Case) -> str:
        return getattr(case, "employee_name", None) or "—"

    def search_matches(self, word):
        """Each word must match the staff search's fields (one index lookup each)."""
        return matching_case_ids(query=word)

    def save_model(self, request, obj: Case, form, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Lock, then save only the fields the form changed, so a workflow step that
        # happened since the page was loaded is never overwritten.
        Case.objects.select_for_update().filter(pk=obj.pk).exists()
        if form.changed_data:
            obj.save(update_fields=[*form.changed_data, "updated_at"])

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is Document and isinstance(formset, DocumentUploadFormSet):
            created = []
            for document_form in formset.forms:
                if document_form.has_changed():
                    created.append(document_form.create_document(by=request.user, case=form.instance))
            formset.new_objects, formset.changed_objects, formset.deleted_objects = created, [], []
            return
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changed = list(form.changed_data)
        for formset in formsets:
            if formset.model in (Party, DisputedItem) and formset.has_changed():
                changed.append(formset.model._meta.verbose_name_plural)
        record_staff_edit(case_id=form.instance.pk, by=request.user, created=not change, changed=changed)


@admin.register(Party)
class PartyAdmin(AccessLoggedAdminMixin, FinalRecordAdminMixin, LargeListAdmin, admin.ModelAdmin):
    list_display = ["name", "role", "case", "organization", "claim_number", "email"]
    list_filter = ["role"]
    search_fields = ["name__icontains", "claim_number__icontains", "case__case_number__startswith"]
    search_help_text = "Name or claim number (part of it), or the start of the case number."
    list_select_related = ["case"]
    autocomplete_fields = ["case"]


@admin.register(DisputedItem)
class DisputedItemAdmin(AccessLoggedAdminMixin, FinalRecordAdminMixin, LargeListAdmin, admin.ModelAdmin):
    list_display = ["description", "case", "position", "category", "formulary_drug", "ur_decision"]
    list_filter = ["category", "ur_decision", "formulary_drug"]
    search_fields = ["description__icontains", "procedure_code__icontains", "case__case_number__startswith"]
    search_help_text = "Description or procedure code (part of it), or the start of the case number."
    list_select_related = ["case"]
    autocomplete_fields = ["case"]


@admin.register(Document)
class DocumentAdmin(
    AccessLoggedAdminMixin,
    FinalRecordAdminMixin,
    CaseErrorAsMessageMixin,
    SubmitOnceMixin,
    LargeListAdmin,
    admin.ModelAdmin,
):
    list_display = ["title", "case", "kind", "received_on", "pages", "size", "uploaded_by", "open"]
    list_filter = ["kind"]
    search_fields = ["title__icontains", "case__case_number__startswith"]
    search_help_text = "Title (part of it) or the start of the case number."
    list_select_related = ["case", "uploaded_by"]
    autocomplete_fields = ["case"]
    readonly_fields = ["case", "sha256", "size", "pages", "uploaded_by", "uploaded_at", "open"]

    @admin.display(description="file")
    def open(self, document: Document) -> str:
        return document_link(document)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = DocumentChangeForm if obj is not None else DocumentUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["case", "kind", "title", "received_on", "upload"]
        return ["case", "kind", "title", "received_on", "open", "pages", "size", "sha256", "uploaded_by"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_form(self, request, form, change: bool):
        if change:
            return super().save_form(request, form, change)
        return form.create_document(by=request.user)

    def save_model(self, request, obj: Document, form, change: bool) -> None:
        if change:  # a new document was saved by the service in save_form
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        if change:  # a new document has no related objects to save
            super().save_related(request, form, formsets, change)


class ReadOnlyAdmin(ReadOnlyMixin, LargeListAdmin, admin.ModelAdmin):
    """An append-only log: readable in the admin, never edited there."""


@admin.register(CaseEvent)
class CaseEventAdmin(AccessLoggedAdminMixin, ReadOnlyAdmin):
    list_display = ["case", "effective_on", "kind", "from_status", "to_status", "actor", "at"]
    list_filter = ["kind", "to_status"]
    search_fields = ["case__case_number__startswith"]
    search_help_text = "The case number or its start."
    list_select_related = ["case", "actor"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(AccessLoggedAdminMixin, ReadOnlyAdmin):
    """Visible only with `cases.view_accesslogentry`, which only administrators hold. Reading
    the log is itself logged (who looked at whose reads), as `export_access_log` is."""

    list_display = ["at", "user", "os_user", "action", "case", "object_repr", "path", "ip_address"]
    # No filter by user: its panel would list every user (3,000 reviewers) on every page.
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    sortable_by = ["at"]
    search_fields = ["case__case_number__startswith"]
    search_help_text = "The case number or its start."
    list_select_related = ["case", "user"]
