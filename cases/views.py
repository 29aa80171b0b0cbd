"""Staff pages: work queues and the case page with its workflow steps (the intake form is in exchange)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from cases import deadlines, edit_views, hooks, sections, selectors, steps
from cases import forms as case_forms
from cases.eligibility import evaluate_eligibility
from cases.errors import TransitionNotAllowedError
from cases.models import AccessAction, Case, CaseStatus, QueueView
from cases.services import queue_views
from cases.services.audit import log_access, log_listed_cases
from core import clock
from core.clock import today
from core.errors import DomainError
from core.http import require_http_methods
from core.keyset import InvalidCursor
from core.types import AuthenticatedHttpRequest

# The case page's steps: one row each in the step table (form, service, done message).
STEPS = steps.STEPS


QUEUE_OPTION_PARAMS = ("sort", "priority", "category", "overdue", "reviewer")


def _queue_url(*, status: str, options: dict[str, str]) -> str:
    params = {"status": status, **options} if status else options
    query = urlencode({name: value for name, value in params.items() if value})
    return reverse("cases:queues") + (f"?{query}" if query else "")


def _queue_options(
    request: AuthenticatedHttpRequest, saved: QueueView | None
) -> tuple[dict, selectors.QueueFilters]:
    """The sort and filters asked for, saved as the user's queue view (none asked: the defaults).
    A value the queue does not offer, or a reviewer number nobody has, is left out with a
    message: the queue shows without it."""
    asked = any(name in request.GET for name in QUEUE_OPTION_PARAMS)
    data = {name: request.GET.get(name, "") for name in QUEUE_OPTION_PARAMS} if asked else {}
    form = case_forms.QueueOptionsForm(data)
    form.is_valid()
    for name, errors in form.errors.items():
        label = form.fields[name].label
        messages.warning(
            request, f"{label}: {' '.join(str(e) for e in errors)} The queue is shown without it."
        )
    cleaned = form.cleaned_data
    sort: str = cleaned.get("sort") or selectors.DEFAULT_QUEUE_SORT
    priority: str = cleaned.get("priority") or ""
    category: str = cleaned.get("category") or ""
    overdue: bool = cleaned.get("overdue") == "1"
    reviewer_number: str = (cleaned.get("reviewer") or "").upper()
    reviewer_id = None
    if reviewer_number:
        reviewer_id = selectors.queue_reviewer_id(reviewer_number=reviewer_number)
        if reviewer_id is None:
            messages.warning(
                request,
                f"No reviewer has the number {reviewer_number}: the queue is shown for every reviewer.",
            )
            reviewer_number = ""
    values = {
        "sort": sort,
        "priority": priority,
        "category": category,
        "overdue": overdue,
        "reviewer_number": reviewer_number,
    }
    if asked:
        queue_views.save_queue_view(user=request.user, saved=saved, values=values)
    filters = selectors.QueueFilters(
        priority=priority, category=category, overdue=overdue, reviewer_id=reviewer_id
    )
    return values, filters


@permission_required("cases.view_all_cases", raise_exception=True)
def queues(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A queue in pages of QUEUE_PAGE_SIZE by keyset: `?after=` / `?before=` a cursor, `?last=1`;
    sorted and filtered by `?sort=`, `?priority=`, `?category=`, `?overdue=1`, `?reviewer=`
    (kept per user and restored when they come back; `?reset=1` forgets them).

    A cursor that does not parse (an old or edited link) shows the first page with a note.
    """
    status = request.GET.get("status") or ""
    if status and status not in CaseStatus.values:
        messages.warning(request, "There is no such queue: here are all open cases.")
        status = ""
    if request.GET.get("reset") == "1":
        queue_views.reset_queue_view(user=request.user)
        messages.info(request, "Sort and filters reset: nearest deadline first, every case.")
        return redirect(_queue_url(status=status, options={}))
    saved = queue_views.saved_queue_view(user=request.user)
    if saved is not None and not any(name in request.GET for name in QUEUE_OPTION_PARAMS):
        # Coming back to the queue: the sort and filters they left it with, in the address
        # (so every link of the page keeps them).
        kept = {name: request.GET[name] for name in ("after", "before", "last") if request.GET.get(name)}
        return redirect(_queue_url(status=status, options={**queue_views.as_params(saved), **kept}))
    values, filters = _queue_options(request, saved)
    counts = selectors.queue_counts(user=request.user, filters=filters)
    after = request.GET.get("after") or None
    before = request.GET.get("before") or None
    last = request.GET.get("last") == "1"
    options = {"status": status or None, "sort": values["sort"], "filters": filters}
    try:
        page = selectors.queue_page(user=request.user, after=after, before=before, last=last, **options)
    except InvalidCursor as error:
        messages.warning(request, error.message)
        page = selectors.queue_page(user=request.user, **options)
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
    for case in page:
        case.days_in_state = (on - case.in_state_since).days
    tabs = [(value, label, counts[value]) for value, label in CaseStatus.choices]
    # The queue shows each case's employee and deadlines: one access-log row per case shown.
    log_listed_cases(
        user=request.user,
        case_ids=[case.pk for case, _days, _wait in rows],
        action=AccessAction.VIEW_CASE,
        object_repr="listed in the staff queues",
        request=request,
    )
    form = case_forms.QueueOptionsForm(
        initial={
            "sort": values["sort"],
            "priority": values["priority"],
            "category": values["category"],
            "overdue": "1" if values["overdue"] else "",
            "reviewer": values["reviewer_number"],
        }
    )
    filtered = bool(
        values["priority"] or values["category"] or values["overdue"] or values["reviewer_number"]
    )
    return render(
        request,
        "cases/queues.html",
        {
            "rows": rows,
            "page": page,
            "tabs": tabs,
            "status": status,
            "today": on,
            "form": form,
            "sort": values["sort"],
            "sort_label": selectors.QUEUE_SORTS[values["sort"]].label,
            # A column heading sorts by it; clicked again, the other way round.
            "next_sort": {
                key: f"-{key}" if values["sort"] == key else key
                for key in ("received", "in_state", "deadline")
            },
            "filtered": filtered,
            "customised": filtered or values["sort"] != selectors.DEFAULT_QUEUE_SORT,
        },
    )


def _case_context(request: AuthenticatedHttpRequest, case_id: int):
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
        step = STEPS[action.key]
        actions.append(
            {
                "action": action,
                "step": step,
                # A rare step is a link to its own page: no form on the case page.
                "form": None if action.rare else step.form(case=case, initial={"expected_from": case.status}),
                "url": reverse("cases:action", args=[case.pk, action.key]),
            }
        )
    return case, {
        "case": case,
        "finding": evaluate_eligibility(case=case),
        "earlier_imrs": selectors.earlier_imrs_on_same_treatment(case=case),
        "consolidation_candidates": selectors.consolidation_candidates(case=case),
        "deadlines": selectors.deadline_rows(case=case, on=on),
        "actions": actions,
        "primary_actions": [item for item in actions if not item["action"].rare],
        "more_actions": [item for item in actions if item["action"].rare],
        "today": on,
        "records_days_late": days_late,
        "records_penalty": deadlines.compute_records_late_penalty_usd(days_late=days_late),
        # Lines higher apps add (cases.hooks.case_page_note), e.g. new records from the parties.
        "case_notes": hooks.case_page_notes(case=case),
        # The left column's edit controls: upload, parties, treatments (cases.edit_views).
        "editing": edit_views.case_editing(user=request.user, case=case),
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


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("cases.transition_case", raise_exception=True)
def case_action(request: AuthenticatedHttpRequest, case_id: int, action: str) -> HttpResponse:
    """A workflow step of the case: GET its own page (heading, what it does, its form and, for a
    step that cannot be undone, the box to tick); POST runs it (`STEPS[action].service`).

    Done: back to the case page with what happened and what happens next. Refused: the step's
    page again, with the form's errors (400) or, when the case is no longer in the state the
    user saw or its state does not offer the step (409), the reason and, while the step is still
    open, a fresh form from the current state (the box to tick again).
    """
    spec = STEPS.get(action)
    case = selectors.case_for_step_page(user=request.user, case_id=case_id) if spec is not None else None
    if spec is None or case is None:
        raise Http404("No such case or step.")
    if request.method != "POST":
        return _step_page(request, case=case, step=spec)
    form = spec.form(request.POST, case=case)
    conflict = ""
    if form.is_valid():
        try:
            spec.service(
                case_id=case_id,
                by=request.user,
                expected_from=form.cleaned_data["expected_from"],
                **form.service_kwargs(),
            )
        except TransitionNotAllowedError as error:
            conflict = error.message
        except DomainError as error:
            if error.field and error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                form.add_error(None, error.message)
        else:
            # Read after the commit: what the step did, and what its on-commit work did already.
            messages.success(request, spec.message_after(case=Case.objects.get(pk=case_id)))
            return redirect("cases:case", case_id=case_id)
    if conflict:
        # Read again: the page shows the state the case is in now.
        case = selectors.case_for_step_page(user=request.user, case_id=case_id) or case
    return _step_page(request, case=case, step=spec, form=form, conflict=conflict)


def _step_page(
    request: AuthenticatedHttpRequest,
    *,
    case: Case,
    step: steps.Step,
    form: case_forms.ActionForm | None = None,
    conflict: str = "",
) -> HttpResponse:
    offered = next(
        (
            a
            for a in selectors.available_actions(case=case, user=request.user, on=today())
            if a.key == step.key
        ),
        None,
    )
    status = 200
    if offered is None:
        # The case moved on (or the step was never open in its state): say so, offer no form.
        errors = [str(error) for error in form.non_field_errors()] if form is not None else []
        guard = step.blocked(case=case, on=today()) if case.status in step.sources else None
        conflict = (
            conflict
            or " ".join(errors)
            or guard
            or f"Case {case.case_number} is {case.get_status_display()}: it cannot {step.cannot} now."
        )
        status = 409
        form = None
    elif conflict:
        # Someone else moved the case, and the step is still open: what they typed, from the
        # state the case is in now, to send again knowingly (the box unticked).
        typed = {name: request.POST.get(f"{step.key}-{name}") for name in step.form_class.base_fields}
        typed = {name: value for name, value in typed.items() if value is not None}
        form = step.form(case=case, initial={**typed, "expected_from": case.status})
        status = 409
    elif form is not None:
        status = 400
    else:
        form = step.form(case=case, initial={"expected_from": case.status})
    if conflict:
        # Where every page says what went wrong: the messages at the top.
        messages.error(request, conflict)
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"{case}: step {step.key}",
        request=request,
    )
    return render(
        request,
        "cases/case_step.html",
        {
            "case": case,
            "step": step,
            "action": offered,
            "form": form,
            "url": reverse("cases:action", args=[case.pk, step.key]),
        },
        status=status,
    )


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
    # The matching ids once (newest first, capped), then the page's rows: two queries.
    ids = selectors.search_case_ids(user=request.user, query=query)
    capped = len(ids) > selectors.SEARCH_MATCH_CAP
    page_obj = Paginator(ids[: selectors.SEARCH_MATCH_CAP], selectors.SEARCH_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.search_rows(user=request.user, ids=list(page_obj.object_list))
    # The page shows the cases of its ids (the pager still counts the ids).
    page_obj.object_list = rows  # type: ignore[assignment]
    # The rows show each case's employee and claim number: one log entry per case shown.
    log_listed_cases(
        user=request.user,
        case_ids=[case.pk for case in rows],
        action=AccessAction.VIEW_CASE,
        object_repr=f"listed in a search for {query}",
        request=request,
    )
    return render(
        request,
        "cases/search.html",
        {
            "form": form,
            "query": query,
            "page_obj": page_obj,
            "capped": capped,
            "cap": selectors.SEARCH_MATCH_CAP,
        },
    )
