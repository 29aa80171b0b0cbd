"""The case page as the workplace: upload documents, correct parties and their addresses, add
and remove treatments in dispute, each a small page under /cases/<id>/ (the Documents section
of the case page carries the upload form itself).

Thin doors into the services (`cases.services.documents`, `.parties`, `.disputed_items`), which
lock the case and write the admin's timeline events. Each page needs the intake role's model
permission, logs what it shows (VIEW_CASE) and what it changed (CHANGE) in the access log, and
answers a refused input with the form and its errors (400), never a half-written change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cases import edit_forms
from cases.models import AccessAction, Case, DisputedItem, Party
from cases.record_lock import final_reason
from cases.selectors import cases_visible_to
from cases.services import disputed_items as item_service
from cases.services import documents as document_service
from cases.services import parties as party_service
from cases.services.audit import log_access
from core.errors import DomainError
from core.form_tokens import submit_once
from core.types import AuthenticatedHttpRequest

UPLOAD_PERMISSIONS = ["cases.view_all_cases", "cases.add_document"]
PARTY_PERMISSIONS = ["cases.view_all_cases", "cases.change_party"]
# Removing an item is a change of the case's dispute, allowed only before assignment (the
# service's rule); the model's delete permission stays the administrators' (the admin's bulk fixes).
ITEM_PERMISSIONS = ["cases.view_all_cases", "cases.add_disputeditem", "cases.change_disputeditem"]


@dataclass(frozen=True)
class CaseEditing:
    """What the case page offers this user to change on this case."""

    can_upload: bool
    can_edit_parties: bool
    can_edit_items: bool
    items_locked: str  # why items cannot be added or removed ("" when they can, or not offered)
    record_final: str  # why the record is final ("": it is not): parties keep only email and address
    upload_form: edit_forms.DocumentsUploadForm | None
    max_upload_mb: int
    max_request_bytes: int


def case_editing(*, user: User, case: Case) -> CaseEditing:
    """The case page's edit controls (one query: the record lock, when the user may edit)."""
    can_upload = user.has_perms(UPLOAD_PERMISSIONS)
    can_edit_parties = user.has_perms(PARTY_PERMISSIONS)
    items_allowed = user.has_perms(ITEM_PERMISSIONS)
    final = final_reason(case.pk) if (can_edit_parties or items_allowed) else None
    items_locked = item_service.items_locked_reason(case=case, final=final) if items_allowed else None
    return CaseEditing(
        can_upload=can_upload,
        can_edit_parties=can_edit_parties,
        can_edit_items=items_allowed and items_locked is None,
        items_locked=(items_locked or "") if items_allowed else "",
        record_final=final or "",
        upload_form=edit_forms.DocumentsUploadForm(auto_id="id_upload_%s") if can_upload else None,
        max_upload_mb=settings.DOCUMENT_MAX_UPLOAD_MB,
        max_request_bytes=settings.REQUEST_MAX_BODY_BYTES,
    )


def _case_or_404(request: AuthenticatedHttpRequest, case_id: int) -> Case:
    case = cases_visible_to(user=request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case.")
    return case


def _log(request: AuthenticatedHttpRequest, case: Case, action: str, what: str) -> None:
    log_access(user=request.user, case=case, action=action, object_repr=what, request=request)


def _case_page(case: Case, anchor: str) -> str:
    return reverse("cases:case", args=[case.pk]) + f"#{anchor}"


def _apply_error(form, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# ---- Documents ---------------------------------------------------------------------------


@permission_required(UPLOAD_PERMISSIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def upload_documents(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """Several PDFs at once (the case page's drop zone posts here; without JavaScript, a plain
    multiple-file input). All of them are added, or none (each file refused is named)."""
    case = _case_or_404(request, case_id)
    form = edit_forms.DocumentsUploadForm(request.POST or None, request.FILES or None, auto_id="id_upload_%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        files = data["pdf_files"]
        title = data["title"].strip()
        batch = [
            document_service.NewDocument(
                uploaded_file=file,
                title=(
                    f"{title} ({document_service.title_from_file_name(file.name)})"[:200]
                    if title and len(files) > 1
                    else title or document_service.title_from_file_name(file.name) or "Document"
                ),
            )
            for file in files
        ]
        try:
            added = document_service.add_documents(
                case_id=case.pk,
                files=batch,
                kind=data["kind"],
                received_on=data["received_on"],
                by=request.user,
            )
        except document_service.DocumentBatchError as error:
            form.add_error("pdf_files", "Nothing was uploaded: fix or leave out the files named below.")
            for name, message in error.problems:
                form.add_error("pdf_files", f"{name}: {message}")
        except DomainError as error:
            if error.field == "files":  # the service's name for the files of the upload
                error.field = "pdf_files"
            _apply_error(form, error)
        else:
            _log(
                request,
                case,
                AccessAction.CHANGE,
                f"uploaded documents {', '.join(str(d.pk) for d in added)}",
            )
            messages.success(
                request,
                f"{len(added)} document{'s' if len(added) != 1 else ''} added to case {case.case_number}.",
            )
            return redirect(_case_page(case, "documents-h"))
    _log(request, case, AccessAction.VIEW_CASE, f"upload page of {case.case_number}")
    return render(
        request,
        "cases/document_upload.html",
        {
            "case": case,
            "form": form,
            "max_upload_mb": settings.DOCUMENT_MAX_UPLOAD_MB,
            "max_request_bytes": settings.REQUEST_MAX_BODY_BYTES,
        },
        status=400 if request.method == "POST" else 200,
    )


# ---- Parties -----------------------------------------------------------------------------


@permission_required(PARTY_PERMISSIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def edit_party(request: AuthenticatedHttpRequest, case_id: int, party_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    party = Party.objects.filter(pk=party_id, case_id=case.pk).first()
    if party is None:
        raise Http404("No such party on this case.")
    final = final_reason(case.pk)
    form = edit_forms.PartyForm(request.POST or None, party=party, final=final is not None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = party_service.edit_party(
                case_id=case.pk,
                party_id=party.pk,
                changes=form.changes(),
                version=form.cleaned_data["version"],
                by=request.user,
            )
        except DomainError as error:
            _apply_error(form, error)
        else:
            _log(request, case, AccessAction.CHANGE, f"edited party {saved.pk} ({saved.get_role_display()})")
            messages.success(request, f"{saved.get_role_display()} {saved.name}: saved.")
            return redirect(_case_page(case, "parties-h"))
    _log(request, case, AccessAction.VIEW_CASE, f"edit page of party {party.pk} of {case.case_number}")
    return render(
        request,
        "cases/party_edit.html",
        {"case": case, "party": party, "form": form, "record_final": final or ""},
        status=400 if request.method == "POST" else 200,
    )


# ---- Treatments in dispute ---------------------------------------------------------------


@permission_required(ITEM_PERMISSIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def add_item(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    locked = item_service.items_locked_reason(case=case, final=final_reason(case.pk))
    form = edit_forms.DisputedItemForm(request.POST or None, initial={"expected_from": case.status})
    if request.method == "POST" and form.is_valid():
        try:
            item = item_service.add_disputed_item(
                case_id=case.pk,
                fields=form.item_fields(),
                by=request.user,
                expected_from=form.cleaned_data["expected_from"],
            )
        except DomainError as error:
            _apply_error(form, error)
        else:
            _log(request, case, AccessAction.CHANGE, f"added disputed item {item.pk}")
            messages.success(request, f"Treatment {item.position} added: {item.description}.")
            return redirect(_case_page(case, "items-h"))
    _log(request, case, AccessAction.VIEW_CASE, f"add-treatment page of {case.case_number}")
    return render(
        request,
        "cases/item_add.html",
        {"case": case, "form": form, "locked": locked or ""},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(ITEM_PERMISSIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def remove_item(request: AuthenticatedHttpRequest, case_id: int, item_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    item = DisputedItem.objects.filter(pk=item_id, case_id=case.pk).select_related("origin_case").first()
    if item is None:
        if request.method == "POST":
            messages.error(request, f"This treatment is no longer in dispute on case {case.case_number}.")
            return redirect(_case_page(case, "items-h"))
        raise Http404("No such treatment on this case.")
    locked = item_service.items_locked_reason(case=case, final=final_reason(case.pk))
    form = edit_forms.RemoveItemForm(request.POST or None, initial={"expected_from": case.status})
    if request.method == "POST" and form.is_valid():
        try:
            removed = item_service.remove_disputed_item(
                case_id=case.pk,
                item_id=item.pk,
                by=request.user,
                expected_from=form.cleaned_data["expected_from"],
            )
        except DomainError as error:
            _apply_error(form, error)
        else:
            _log(request, case, AccessAction.CHANGE, f"removed disputed item {item_id}")
            messages.success(request, f"Treatment removed: {removed.description}.")
            return redirect(_case_page(case, "items-h"))
    _log(request, case, AccessAction.VIEW_CASE, f"remove-treatment page of {case.case_number}")
    return render(
        request,
        "cases/item_remove.html",
        {
            "case": case,
            "item": item,
            "form": form,
            "locked": locked or "",
            "last_item": not DisputedItem.objects.filter(case_id=case.pk).exclude(pk=item.pk).exists(),
        },
        status=400 if request.method == "POST" else 200,
    )
