"""The physician reviewer's workspace and clinical QA: thin doors into the review services.

Every reviewer URL answers 404 unless the user holds the active assignment of the case
(the same answer as for a case that does not exist, so it reveals nothing). QA URLs need
the `determinations.qa_determination` permission. Views of case files are logged.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from cases.models import AccessAction, Case, CaseStatus
from cases.services.audit import log_access, log_listed_cases
from core.errors import DomainError
from core.form_tokens import submit_once
from core.http import require_GET, require_http_methods, require_POST
from core.types import AuthenticatedHttpRequest
from determinations import panels, selectors
from determinations.letter_selectors import letter_issue_status
from determinations.letters import render_letter_html
from determinations.models import Determination, DeterminationStatus
from determinations.record_viewer import viewer_assets
from determinations.review_forms import (
    GUIDELINE_DATALIST_ID,
    AcceptAssignmentForm,
    DeclineAssignmentForm,
    DeterminationForms,
    QAReturnForm,
)
from determinations.services import review as review_services
from determinations.views import letter_status_context, log_letter_status
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from reviewers.services.responses import accept_assignment, decline_assignment

# Rows per page on the reviewer's home and the QA queue.
REVIEWER_HOME_PAGE_SIZE = 50
QA_QUEUE_PAGE_SIZE = 50

# ---- helpers ----


def _reviewer_or_404(request: AuthenticatedHttpRequest) -> Reviewer:
    reviewer = selectors.reviewer_of(user=request.user)
    if reviewer is None:
        raise Http404("No reviewer profile.")
    return reviewer


def _assignment_or_404(request: AuthenticatedHttpRequest, case_id: int) -> Assignment:
    assignment = selectors.assignment_for_reviewer(user=request.user, case_id=case_id)
    if assignment is None:
        raise Http404("No such case.")
    return assignment


def _row_forms(case_id: int) -> tuple[AcceptAssignmentForm, DeclineAssignmentForm]:
    # Unique ids per row, so every label points at its own case's field.
    auto_id = f"id_case{case_id}_%s"
    return AcceptAssignmentForm(auto_id=auto_id), DeclineAssignmentForm(auto_id=auto_id)


def _own_determination(*, case_id: int, assignment: Assignment) -> Determination | None:
    """The case's current determination if it is this reviewer's; a predecessor's is never shown."""
    determination = selectors.current_determination(case_id=case_id)
    if determination is not None and determination.reviewer_id != assignment.reviewer_id:
        return None
    return determination


def _is_editable(*, assignment: Assignment, determination: Determination | None) -> bool:
    return (
        assignment.case.status == CaseStatus.IN_REVIEW
        and assignment.status == AssignmentStatus.ACCEPTED
        and (determination is None or determination.status in review_services.EDITABLE_STATUSES)
    )


def _determination_forms(
    *, case: Case, determination: Determination | None, data=None, read_only: bool = False
) -> DeterminationForms:
    saved = {row.disputed_item_id: row for row in determination.items.all()} if determination else {}
    return DeterminationForms(
        disputed_items=list(case.disputed_items.all()),
        saved=saved,
        summary=determination.clinical_case_summary if determination else "",
        version=determination.version if determination else 0,
        data=data,
        read_only=read_only,
    )


def _render_case_file(
    request: AuthenticatedHttpRequest,
    *,
    assignment: Assignment,
    forms: DeterminationForms | None = None,
    status: int = 200,
) -> HttpResponse:
    case = selectors.case_file(case_id=assignment.case_id)
    assignment.case = case
    determination = _own_determination(case_id=case.pk, assignment=assignment)
    editable = _is_editable(assignment=assignment, determination=determination)
    show_form = assignment.status == AssignmentStatus.ACCEPTED
    if forms is None and show_form:
        forms = _determination_forms(case=case, determination=determination, read_only=not editable)
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"case file {case.case_number} (reviewer)",
        request=request,
    )
    accept_form, decline_form = _row_forms(case.pk)
    documents = list(case.documents.all())  # prefetched by the selector
    if forms is not None and show_form:
        # Read-only panels of higher apps under each item (the library's precedents).
        shown = panels.item_panels(
            request=request, case=case, items=[item_form.disputed_item for item_form in forms.items]
        )
        for item_form in forms.items:
            item_form.panels = shown.get(item_form.disputed_item.pk, [])
    return render(
        request,
        "determinations/review/case_file.html",
        {
            "case": case,
            "assignment": assignment,
            "determination": determination,
            "forms": forms,
            "editable": editable,
            "show_form": show_form,
            "accept_form": accept_form,
            "decline_form": decline_form,
            "days_left": selectors.days_left(due=case.determination_due),
            "guidelines": selectors.guideline_suggestions() if editable else [],
            "guideline_datalist_id": GUIDELINE_DATALIST_ID,
            # The Records pane: each document with its page count, shown in the viewer beside the form.
            "documents": documents,
            "total_pages": sum(document.pages for document in documents),
            "viewer": viewer_assets(),
        },
        status=status,
    )


def _refuse_change(
    request: AuthenticatedHttpRequest, assignment: Assignment, determination: Determination | None
) -> HttpResponse:
    if determination is not None and determination.status not in review_services.EDITABLE_STATUSES:
        why = (
            f"The determination is {determination.get_status_display().lower()}; it can no longer be changed."
        )
    elif assignment.status != AssignmentStatus.ACCEPTED:
        why = "Accept the case before you write its determination."
    else:
        why = (
            f"Case status: {assignment.case.get_status_display()}. "
            "The determination can be changed only while the case is in review."
        )
    messages.error(request, why)
    return _render_case_file(request, assignment=assignment, status=409)


def _posted_forms(
    request: AuthenticatedHttpRequest, assignment: Assignment
) -> DeterminationForms | HttpResponse:
    """The forms bound to the POST, or the refusal response."""
    determination = _own_determination(case_id=assignment.case_id, assignment=assignment)
    if not _is_editable(assignment=assignment, determination=determination):
        return _refuse_change(request, assignment, determination)
    return _determination_forms(case=assignment.case, determination=determination, data=request.POST)


def _invalid_form(
    request: AuthenticatedHttpRequest, assignment: Assignment, forms: DeterminationForms, message: str
) -> HttpResponse:
    hidden = forms.hidden_errors()
    for error in hidden or [message]:
        messages.error(request, error)
    return _render_case_file(request, assignment=assignment, forms=forms, status=400)


def _service_error(
    request: AuthenticatedHttpRequest, assignment: Assignment, forms: DeterminationForms, error
) -> HttpResponse:
    if isinstance(error, review_services.StaleDraftError):
        # Another tab saved since this form was loaded: nothing is overwritten, and the
        # posted text is shown again so the reviewer can copy it.
        messages.error(request, error.message)
        return _render_case_file(request, assignment=assignment, forms=forms, status=409)
    for message in forms.add_service_errors(getattr(error, "errors", [])):
        messages.error(request, message)
    messages.error(request, error.message)
    return _render_case_file(request, assignment=assignment, forms=forms, status=400)


def _case_file_url(case_id: int, anchor: str = "") -> str:
    return reverse("review:case_file", kwargs={"case_id": case_id}) + anchor


# ---- the reviewer ----


@require_GET
def reviewer_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    reviewer = _reviewer_or_404(request)
    page = selectors.reviewer_queue(
        reviewer=reviewer, page=request.GET.get("page"), per_page=REVIEWER_HOME_PAGE_SIZE
    )
    queue, with_qa = [], []
    for row in page.rows:
        if row.case.status == CaseStatus.QA_REVIEW:
            with_qa.append(row)
        else:
            accept_form, decline_form = _row_forms(row.case.pk)
            queue.append({"row": row, "accept_form": accept_form, "decline_form": decline_form})
    # Each row shows its case's number, treatments and deadline: one access-log row per case shown.
    log_listed_cases(
        user=request.user,
        case_ids=sorted({row.case.pk for row in page.rows}),
        action=AccessAction.VIEW_CASE,
        object_repr="listed on the reviewer's home",
        request=request,
    )
    return render(
        request,
        "determinations/review/reviewer_home.html",
        {"reviewer": reviewer, "queue": queue, "with_qa": with_qa, "page_obj": page.page_obj},
    )


@require_POST
def accept(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, case_id)
    form = AcceptAssignmentForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("attest_no_conflict", []):
            messages.error(request, f"Case {assignment.case.case_number}: {error}")
        return redirect("review:reviewer_home")
    try:
        accept_assignment(assignment_id=assignment.pk, by=request.user, attest_no_conflict=True)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("review:reviewer_home")
    messages.success(request, f"You accepted case {assignment.case.case_number}.")
    return redirect(_case_file_url(case_id))


@require_POST
def decline(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, case_id)
    form = DeclineAssignmentForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, f"Case {assignment.case.case_number}: {error}")
        return redirect("review:reviewer_home")
    try:
        decline_assignment(assignment_id=assignment.pk, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("review:reviewer_home")
    messages.success(request, f"You declined case {assignment.case.case_number}; it will be reassigned.")
    return redirect("review:reviewer_home")


@require_GET
def case_file(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, case_id)
    return _render_case_file(request, assignment=assignment)


def _save_posted_draft(request: AuthenticatedHttpRequest, assignment: Assignment) -> HttpResponse | None:
    """Save the posted determination form as a draft; a response when it was refused, else None."""
    forms = _posted_forms(request, assignment)
    if isinstance(forms, HttpResponse):
        return forms  # refused
    if not forms.is_valid():
        return _invalid_form(
            request, assignment, forms, "The draft was not saved: correct the fields marked below."
        )
    try:
        review_services.save_draft(
            case_id=assignment.case_id,
            by=request.user,
            summary=forms.summary_text(),
            items=forms.item_inputs(),
            expected_version=forms.loaded_version(),
        )
    except DomainError as error:
        return _service_error(request, assignment, forms, error)
    return None


@require_POST
def save_draft(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, case_id)
    refused = _save_posted_draft(request, assignment)
    if refused is not None:
        return refused
    messages.success(request, "Draft saved.")
    return redirect(_case_file_url(case_id, "#determination"))


@require_http_methods(["GET", "POST"])
def preview(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """POST saves the draft first (the letter is rendered from what is stored); GET shows the stored one."""
    assignment = _assignment_or_404(request, case_id)
    if request.method == "POST":
        refused = _save_posted_draft(request, assignment)
        if refused is not None:
            return refused
    determination = _own_determination(case_id=case_id, assignment=assignment)
    if determination is None:
        messages.info(request, "Nothing is saved yet: write and save a draft to preview its letter.")
        return redirect(_case_file_url(case_id, "#determination"))
    log_access(
        user=request.user,
        case=assignment.case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"letter preview {assignment.case.case_number} (reviewer)",
        request=request,
    )
    return render(
        request,
        "determinations/review/preview.html",
        {
            "case": assignment.case,
            "determination": determination,
            "letter_html": render_letter_html(determination=determination, draft=True),
            "editable": _is_editable(assignment=assignment, determination=determination),
        },
    )


def _assigned_only(view):
    """Answer 404 to anyone but the case's reviewer before the form token is read (submit_once
    answers a missing token with 400, which would tell others the URL apart from a refusal)."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
        _assignment_or_404(request, case_id)
        return view(request, case_id)

    return wrapper


@require_POST
@_assigned_only
@submit_once
def submit(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    assignment = _assignment_or_404(request, case_id)
    forms = _posted_forms(request, assignment)
    if isinstance(forms, HttpResponse):
        return forms  # refused
    if not forms.is_valid():
        return _invalid_form(
            request,
            assignment,
            forms,
            "The determination was not submitted: correct the fields marked below.",
        )
    try:
        review_services.submit_determination(
            case_id=case_id,
            by=request.user,
            summary=forms.summary_text(),
            items=forms.item_inputs(),
            expected_version=forms.loaded_version(),
        )
    except DomainError as error:
        return _service_error(request, assignment, forms, error)
    messages.success(
        request, "Determination submitted to clinical QA. You will see it again if QA returns it."
    )
    return redirect(_case_file_url(case_id))


# ---- clinical QA ----


@require_GET
@permission_required("determinations.qa_determination", raise_exception=True)
def qa_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = selectors.qa_queue(page=request.GET.get("page"), per_page=QA_QUEUE_PAGE_SIZE)
    # Just approved (`?issuing=<determination id>`, qa_approve's redirect): its letter's status row.
    status_context: dict = {}
    issuing = request.GET.get("issuing", "")
    if issuing.isdigit() and len(issuing) <= 12:
        status = letter_issue_status(user=request.user, determination_id=int(issuing))
        if status is not None and status.state != "waiting":
            log_letter_status(request, status=status)
            status_context = letter_status_context(request, status=status)
    log_listed_cases(
        user=request.user,
        case_ids=sorted({row.case.pk for row in page.rows}),
        action=AccessAction.VIEW_CASE,
        object_repr="listed in the QA queue",
        request=request,
    )
    return render(
        request,
        "determinations/review/qa_queue.html",
        {**status_context, "rows": page.rows, "page_obj": page.page_obj},
    )


def _render_qa_page(
    request: AuthenticatedHttpRequest,
    *,
    determination_id: int,
    return_form: QAReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    determination = selectors.determination_for_qa(determination_id=determination_id)
    if determination is None:
        raise Http404("No such determination.")
    case = determination.case
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"QA of determination {determination.pk} for {case.case_number}",
        request=request,
    )
    decisions = {row.disputed_item_id: row for row in determination.items.all()}
    comparison = [{"item": item, "decision": decisions.get(item.pk)} for item in case.disputed_items.all()]
    actionable = determination.status == DeterminationStatus.SUBMITTED and case.status == CaseStatus.QA_REVIEW
    # Approved or issued: where its letter stands (the access-log row above covers the case).
    status_context: dict = {}
    if determination.status in (DeterminationStatus.APPROVED, DeterminationStatus.ISSUED):
        letter_status = letter_issue_status(user=request.user, determination_id=determination.pk)
        if letter_status is not None:
            status_context = letter_status_context(request, status=letter_status)
    return render(
        request,
        "determinations/review/qa_determination.html",
        {
            **status_context,
            "determination": determination,
            "case": case,
            "comparison": comparison,
            "actionable": actionable,
            "return_form": return_form or QAReturnForm(),
            "letter_html": render_letter_html(determination=determination, draft=True),
            "days_left": selectors.days_left(due=case.determination_due),
        },
        status=status,
    )


@require_GET
@permission_required("determinations.qa_determination", raise_exception=True)
def qa_determination(request: AuthenticatedHttpRequest, determination_id: int) -> HttpResponse:
    return _render_qa_page(request, determination_id=determination_id)


@require_POST
@permission_required("determinations.qa_determination", raise_exception=True)
@submit_once
def qa_approve(request: AuthenticatedHttpRequest, determination_id: int) -> HttpResponse:
    try:
        determination = review_services.qa_approve(determination_id=determination_id, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return _render_qa_page(request, determination_id=determination_id, status=409)
    messages.success(
        request,
        f"Determination for case {determination.case.case_number} approved; its letter is being issued.",
    )
    # The queue shows the approved determination's status row until its letter is issued.
    return redirect(f"{reverse('review:qa_queue')}?{urlencode({'issuing': determination.pk})}")


@require_POST
@permission_required("determinations.qa_determination", raise_exception=True)
@submit_once
def qa_return(request: AuthenticatedHttpRequest, determination_id: int) -> HttpResponse:
    form = QAReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The determination was not returned: write a comment for the reviewer.")
        return _render_qa_page(request, determination_id=determination_id, return_form=form, status=400)
    try:
        determination = review_services.qa_return(
            determination_id=determination_id, by=request.user, comment=form.cleaned_data["comment"]
        )
    except DomainError as error:
        for path, message in getattr(error, "errors", []):
            if path == "comment":
                form.add_error("comment", message)
        messages.error(request, error.message)
        return _render_qa_page(request, determination_id=determination_id, return_form=form, status=409)
    messages.success(
        request, f"Determination for case {determination.case.case_number} returned to its reviewer."
    )
    return redirect("review:qa_queue")
