"""Staff pages: who could take a case and why the others could not; reviewers' load."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.forms import ModelChoiceField
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from cases.models import AccessAction, Case, CaseStatus
from cases.services.audit import log_access
from core.clock import today
from core.errors import DomainError
from core.http import require_http_methods
from core.types import AuthenticatedHttpRequest
from reviewers import selectors
from reviewers.forms import ManualAssignForm, ReassignForm, ReplaceReviewerForm
from reviewers.models import Reviewer
from reviewers.services.assignment import assign_case_manually, reassign_case, replace_reviewer

# Rows per page on the reviewer list and the candidates page. A candidate row is screened against
# every rule with its reasons shown: 25 of them (the best-placed qualified reviewers first) keep
# the page within 50 ms at 3,000 reviewers, where 50 took 57 ms at p95.
REVIEWER_LIST_PAGE_SIZE = 50
CANDIDATES_PAGE_SIZE = 25


def _form_for(case: Case, data=None) -> ManualAssignForm | ReplaceReviewerForm | None:
    if case.status == CaseStatus.READY_FOR_ASSIGNMENT:
        return ManualAssignForm(data)
    if case.status == CaseStatus.ASSIGNED:
        return ReassignForm(data)
    if case.status == CaseStatus.IN_REVIEW:
        return ReplaceReviewerForm(data)
    return None


@require_http_methods(["GET", "POST"])
@permission_required(["cases.view_all_cases", "reviewers.view_assignment"], raise_exception=True)
def case_candidates(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, pk=case_id)
    form = _form_for(case, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not request.user.has_perm("reviewers.add_assignment"):
            return HttpResponse("You do not have permission to assign reviewers.", status=403)
        if form is None:
            messages.error(
                request, f"Case {case.case_number} is {case.get_status_display().lower()}: nothing to assign."
            )
            return redirect(request.path)
        if form.is_valid():
            try:
                if isinstance(form, ReplaceReviewerForm):
                    chosen = form.cleaned_data["reviewer"]
                    assignment = replace_reviewer(
                        case_id=case.pk,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                        reviewer_id=chosen.pk if chosen is not None else None,
                        expected_from=CaseStatus.IN_REVIEW,
                    )
                elif isinstance(form, ReassignForm):
                    assignment = reassign_case(
                        case_id=case.pk,
                        reviewer_id=form.cleaned_data["reviewer"].pk,
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                else:
                    assignment = assign_case_manually(
                        case_id=case.pk, reviewer_id=form.cleaned_data["reviewer"].pk, by=request.user
                    )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                done = f"Case {case.case_number} offered to reviewer {assignment.reviewer.reviewer_number}."
                if isinstance(form, ReplaceReviewerForm):
                    done = f"Reviewer replaced. {done}"
                messages.success(request, done)
                return redirect(reverse("reviewers:case_candidates", args=[case.pk]))
    screening = selectors.case_screening(case=case)
    candidates = selectors.CandidateList(screening=screening, on=today())
    page_obj = Paginator(candidates, CANDIDATES_PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type, var-annotated]
    if form is not None:
        # The select offers the qualified reviewers of this page (a <select> of all 3,000
        # reviewers cost seconds to render); the field still accepts any reviewer, whom the
        # service checks again when the form is sent.
        field = cast(ModelChoiceField, form.fields["reviewer"])
        offered = [report.reviewer.pk for report in page_obj.object_list if report.eligible]
        labelled = Reviewer.objects.filter(pk__in=offered).select_related("user").in_bulk()
        field.widget.choices = [
            ("", field.empty_label or "---------"),
            *((pk, field.label_from_instance(labelled[pk])) for pk in offered if pk in labelled),
        ]
    history = selectors.assignment_history(case=case)
    latest = history[0].assignment if history else None
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr="reviewer candidates",
        request=request,
    )
    return render(
        request,
        "reviewers/case_candidates.html",
        {
            "case": case,
            "form": form,
            # Qualified reviewers first, in picking order; the others after, with their reasons.
            "reports": page_obj.object_list,
            "page_obj": page_obj,
            "reviewer_count": len(candidates),
            "eligible_count": candidates.eligible_count,
            "active_assignment": screening.active_assignment,
            "latest_assignment": latest,
            "assignment_history": history,
            "no_assignment_note": (
                "" if screening.active_assignment else selectors.no_current_assignment_note(case=case)
            ),
            "can_assign": request.user.has_perm("reviewers.add_assignment"),
        },
        status=400 if request.method == "POST" else 200,
    )


@permission_required("reviewers.view_reviewer", raise_exception=True)
def reviewer_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page_obj = Paginator(selectors.reviewers_with_load(), REVIEWER_LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "reviewers/reviewer_list.html", {"page_obj": page_obj})
