"""Staff pages: work queues and the case page with its workflow steps (the intake form is in exchange)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cases import deadlines, hooks, sections, selectors, steps
from cases import forms as case_forms
from cases.eligibility import evaluate_eligibility
from cases.models import AccessAction, CaseStatus
from cases.services.audit import log_access, log_listed_cases
from core import clock
from core.clock import today
from core.errors import DomainError
from core.http import require_POST
from core.keyset import InvalidCursor
from core.types import AuthenticatedHttpRequest

# The case page's steps: one row each in the step table (form, service, done message).
STEPS = steps.STEPS


@permission_required("cases.view_all_cases", raise_exception=True)
def queues(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A queue in pages of QUEUE_PAGE_SIZE by keyset: `?after=` / `?before=` a cursor, `?last=1`.

    A cursor that does not parse (an old or edited link) shows the first page with a note.
    """
    status = request.GET.get("status") or ""
    if status and status not in CaseStatus.values:
        status = ""
    counts = selectors.queue_counts(user=request.user)
    after = request.GET.get("after") or None
    before = request.GET.get("before") or None
    last = request.GET.get("last") == "1"
    try:
        page = selectors.queue_page(
            user=request.user, status=status or None, after=after, before=before, last=last
        )
    except InvalidCursor as error:
        messages.warning(request, error.message)
        page = selectors.queue_page(user=request.user, status=status or None)
    on = today()
    now = clock.now()
    rows = [
        (
            case,
            (case.next_deadline - on).days if case.next_deadline else None,
            selectors.assignment_wait(case=case, now=now),
        )
        for case in page
    ]
    tabs = [(value, label, counts[value]) for value, label in CaseStatus.choices]
    # The queue shows each case's employee and deadlines: one access-log row per case shown.
    log_listed_cases(
        user=request.user,
        case_ids=[case.pk for case, _days, _wait in rows],
        action=AccessAction.VIEW_CASE,
        object_repr="listed in the staff queues",
        request=request,
    )
    return render(
        request,
        "cases/queues.html",
        {"rows": rows, "page": page, "tabs": tabs, "status": status, "today": on},
    )


def _case_context(
    request: AuthenticatedHttpRequest, case_id: int, *, bound: tuple[str, case_forms.ActionForm] | None = None
):
    case = selectors.case_for_page(user=request.user, case_id=case_id)
    if case is None:
        raise Http404("No such case.")
    on = today()
    days_late = 0
    if case.records_complete_on or case.status == CaseStatus.AWAITING_RECORDS:
        days_late = deadlines.compute_records_days_late(
            records_due=case.records_due, records_complete_on=case.records_complete_on, today=on
        )
    actions = []
    for action in selectors.available_actions(case=case, user=request.user, on=on):
        if bound is not None and bound[0] == action.key:
            form = bound[1]
        else:
            form = STEPS[action.key].form_class(prefix=action.key, initial={"expected_from": case.status})
        actions.append(
            {"action": action, "form": form, "url": reverse("cases:action", args=[case.pk, action.key])}
        )
    return case, {
        "case": case,
        "finding": evaluate_eligibility(case=case),
        "earlier_imrs": selectors.earlier_imrs_on_same_treatment(case=case),
        "consolidation_candidates": selectors.consolidation_candidates(case=case),
        "deadlines": selectors.deadline_rows(case=case, on=on),
        "actions": actions,
        "today": on,
        "records_days_late": days_late,
        "records_penalty": deadlines.compute_records_late_penalty_usd(days_late=days_late),
        # Lines higher apps add (cases.hooks.case_page_note), e.g. new records from the parties.
        "case_notes": hooks.case_page_notes(case=case),
    }


@permission_required("cases.view_all_cases", raise_exception=True)
def case_detail(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case, context = _case_context(request, case_id)
    log_access(
        user=request.user, case=case, action=AccessAction.VIEW_CASE, object_repr=str(case), request=request
    )
    # The earlier IMRs' treatments and outcomes are their cases' data: their reads are logged too.
    log_listed_cases(
        user=request.user,
        case_ids=[imr.case_id for imr in context["earlier_imrs"]],
        action=AccessAction.VIEW_CASE,
        object_repr=f"listed as an earlier IMR on {case.case_number}",
        request=request,
    )
    context["sections"] = sections.case_sections(request=request, case=case)
    return render(request, "cases/case_detail.html", context)


@require_POST
@permission_required("cases.transition_case", raise_exception=True)
def case_action(request: AuthenticatedHttpRequest, case_id: int, action: str) -> HttpResponse:
    spec = STEPS.get(action)
    if spec is None or not selectors.cases_visible_to(user=request.user).filter(pk=case_id).exists():
        raise Http404("No such case or step.")
    form = spec.form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            spec.service(
                case_id=case_id,
                by=request.user,
                expected_from=form.cleaned_data["expected_from"],
                **form.service_kwargs(),
            )
        except DomainError as error:
            if error.field and error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                form.add_error(None, error.message)
        else:
            messages.success(request, spec.done)
            return redirect("cases:case", case_id=case_id)
    case, context = _case_context(request, case_id, bound=(action, form))
    offered = any(item["action"].key == action for item in context["actions"])
    if not offered:
        # The case moved on (or the step was never open): say so on the fresh page.
        for message in form.non_field_errors() or [
            f"This step is not available for a case in {case.get_status_display()}."
        ]:
            messages.error(request, str(message))
        return redirect("cases:case", case_id=case_id)
    context["failed_action"] = action
    context["sections"] = sections.case_sections(request=request, case=case)
    return render(request, "cases/case_detail.html", context, status=400)


@permission_required("cases.view_all_cases", raise_exception=True)
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff search. Every search is logged with its text: the access log is itself protected
    data, and who looked for which name is exactly what an audit asks."""
    form = case_forms.CaseSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "cases/search.html", {"form": form, "query": ""}, status=400)
    query = form.cleaned_data["q"]
    if not query:
        return render(request, "cases/search.html", {"form": form, "query": ""})
    hit = selectors.exact_case_number_hit(user=request.user, query=query)
    log_access(
        user=request.user,
        case=hit,
        action=AccessAction.SEARCH,
        object_repr=f"search: {query}",
        request=request,
    )
    if hit is not None:
        return redirect("cases:case", case_id=hit.pk)
    page_obj = Paginator(
        selectors.search_cases(user=request.user, query=query), selectors.SEARCH_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # The rows show each case's employee and claim number: one log entry per case shown.
    log_listed_cases(
        user=request.user,
        case_ids=[case.pk for case in page_obj],
        action=AccessAction.VIEW_CASE,
        object_repr=f"listed in a search for {query}",
        request=request,
    )
    return render(request, "cases/search.html", {"form": form, "query": query, "page_obj": page_obj})
