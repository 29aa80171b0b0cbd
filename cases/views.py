"""Staff pages: work queues, the case page with its workflow steps, and the intake form."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.forms.utils import ErrorDict
from django.forms.widgets import RadioSelect
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cases import deadlines, selectors
from cases import forms as case_forms
from cases.eligibility import evaluate_eligibility
from cases.errors import CaseError, IntakeError
from cases.models import AccessAction, CaseStatus
from cases.services import case_actions
from cases.services.audit import log_access, log_listed_cases
from cases.services.intake import IntakeSource, import_case
from cases.services.workflow import today
from core.form_tokens import submit_once
from core.http import require_POST
from core.types import AuthenticatedHttpRequest


@dataclass(frozen=True)
class StepSpec:
    form_class: type[case_forms.ActionForm]
    service: Callable[..., object]
    done: str


STEPS: dict[str, StepSpec] = {
    "start_eligibility_review": StepSpec(
        case_forms.ConfirmActionForm, case_actions.start_eligibility_review, "Eligibility review started."
    ),
    "confirm_eligibility": StepSpec(
        case_forms.ConfirmActionForm, case_actions.confirm_eligibility, "Eligibility finding confirmed."
    ),
    "override_eligibility": StepSpec(
        case_forms.OverrideEligibilityForm,
        case_actions.override_eligibility,
        "Eligibility finding overridden.",
    ),
    "send_notice": StepSpec(
        case_forms.NoticeForm, case_actions.send_notice_of_assignment, "Notice of assignment recorded."
    ),
    "records_complete": StepSpec(
        case_forms.RecordsCompleteForm, case_actions.mark_records_complete, "Records marked complete."
    ),
    "convert_to_expedited": StepSpec(
        case_forms.ExpediteForm,
        case_actions.convert_to_expedited,
        "Case converted to expedited; parties are notified.",
    ),
    "withdraw": StepSpec(case_forms.ReasonForm, case_actions.withdraw, "Case withdrawn."),
    "terminate": StepSpec(case_forms.ReasonForm, case_actions.terminate, "Case terminated."),
    "close": StepSpec(case_forms.CloseForm, case_actions.close_case, "Case closed."),
    "remand": StepSpec(case_forms.RemandForm, case_actions.remand_case, "Case remanded for a new review."),
}


@permission_required("cases.view_all_cases", raise_exception=True)
def queues(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status and status not in CaseStatus.values:
        status = ""
    counts = selectors.queue_counts(user=request.user)
    page = Paginator(
        selectors.queue_cases(user=request.user, status=status or None), selectors.QUEUE_PAGE_SIZE
    )
    page_obj = page.get_page(request.GET.get("page"))
    on = today()
    now = timezone.now()
    rows = [
        (
            case,
            (case.next_deadline - on).days if case.next_deadline else None,
            selectors.assignment_wait(case=case, now=now),
        )
        for case in page_obj
    ]
    tabs = [(value, label, counts[value]) for value, label in CaseStatus.choices]
    return render(
        request,
        "cases/queues.html",
        {"rows": rows, "page_obj": page_obj, "tabs": tabs, "status": status, "today": on},
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
        "deadlines": selectors.deadline_rows(case=case, on=on),
        "actions": actions,
        "today": on,
        "records_days_late": days_late,
        "records_penalty": deadlines.compute_records_late_penalty_usd(days_late=days_late),
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
        except CaseError as error:
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
    return render(request, "cases/case_detail.html", context, status=400)


_ITEM_PATH = re.compile(r"^disputed_items\[(\d+)\](?:\.(\w+))?")
_LIST_INDEX = re.compile(r"^(?P<path>[\w.]+)\[(?P<index>\d+)\]$")


def _apply_intake_errors(
    *, error: IntakeError, form: case_forms.IntakeForm, item_forms: list[case_forms.DisputedItemForm]
) -> None:
    """Put the importer's errors on the fields they name.

    `item_forms` are the slots that became `disputed_items`, in order: the importer's item
    index is a position in that list, not a slot number (blank and removed slots are skipped).
    """
    for path, message in error.errors:
        field = case_forms.INTAKE_FIELD_PATHS.get(path)
        list_index = _LIST_INDEX.match(path or "")
        if field is None and list_index:  # e.g. injury.diagnoses[2]: the third line
            field = case_forms.INTAKE_FIELD_PATHS.get(list_index.group("path"))
            if field:
                message = f"Line {int(list_index.group('index')) + 1}: {message}"
        if field:
            form.add_error(field, message)
            continue
        match = _ITEM_PATH.match(path or "")
        if match and int(match.group(1)) < len(item_forms):
            item_form, name = item_forms[int(match.group(1))], match.group(2)
            item_form.add_error(name if name in item_form.fields else None, message)
            continue
        form.add_error(None, f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class ItemSlot:
    form: case_forms.DisputedItemForm
    number: int | None  # as the page numbers it; None for a slot marked removed (drawn hidden)


def _item_slots(formset: case_forms.BaseDisputedItemFormSet) -> list[ItemSlot]:
    slots, number = [], 0
    for item_form in formset.forms:
        if item_form.is_marked_deleted():
            slots.append(ItemSlot(item_form, None))
        else:
            number += 1
            slots.append(ItemSlot(item_form, number))
    return slots


def _field_anchor(bound_field) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, RadioSelect):
        return widget.id_for_label(bound_field.auto_id, "0")
    return widget.id_for_label(bound_field.auto_id) or bound_field.auto_id


def _error_summary(
    *, form: case_forms.IntakeForm, slots: list[ItemSlot], formset: case_forms.BaseDisputedItemFormSet
) -> list[tuple[str | None, str]]:
    """(anchor, text) for every error on the page, in page order; anchor None: no one field."""
    if not form.is_bound:
        return []
    entries: list[tuple[str | None, str]] = [(None, str(message)) for message in form.non_field_errors()]
    for bound_field in form:
        entries += [(_field_anchor(bound_field), f"{bound_field.label}: {m}") for m in bound_field.errors]
    visible = [slot for slot in slots if slot.number is not None]
    first_item = f"id_{visible[0].form.prefix}-description" if visible else None
    entries += [(first_item, f"Treatments in dispute: {m}") for m in formset.non_form_errors()]
    for slot in visible:
        item_form = slot.form
        where = f"Item {slot.number}"
        description = f"id_{item_form.prefix}-description"
        entries += [(description, f"{where}: {m}") for m in item_form.non_field_errors()]
        for bound_field in item_form:
            if bound_field.name == "DELETE":
                continue
            entries += [
                (_field_anchor(bound_field), f"{where}, {bound_field.label}: {m}") for m in bound_field.errors
            ]
    return entries


def _without_errors(form: case_forms.IntakeForm, formset: case_forms.BaseDisputedItemFormSet) -> None:
    """Draw a bound form again with what was typed but no errors (the person is not done yet)."""
    for each in [form, *formset.forms]:
        each._errors = ErrorDict(renderer=each.renderer)
        each.cleaned_data = {}
    formset._errors = [item_form._errors for item_form in formset.forms]
    formset._non_form_errors = formset.error_class(renderer=formset.renderer)


@permission_required(["cases.view_all_cases", "cases.add_case"], raise_exception=True)
@submit_once
def intake(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST" and ("add_item" in request.POST or "remove_item" in request.POST):
        # Add or remove an item slot without JavaScript: the page again, nothing written.
        remove = request.POST.get("remove_item", "")
        data = case_forms.rearranged_item_slots(
            request.POST,
            add="add_item" in request.POST,
            remove=int(remove) if re.fullmatch(r"[0-9]{1,4}", remove) else None,
        )
        form = case_forms.IntakeForm(data)
        formset = case_forms.DisputedItemFormSet(data, prefix=case_forms.ITEMS_PREFIX)
        _without_errors(form, formset)
        if "add_item" in request.POST:
            if len(formset.forms) > len(formset.used_forms()):
                formset.forms[-1].fields["description"].widget.attrs["autofocus"] = True
            else:
                messages.warning(request, formset.error_messages["too_many_forms"])
    elif request.method == "POST":
        form = case_forms.IntakeForm(request.POST)
        formset = case_forms.DisputedItemFormSet(request.POST, prefix=case_forms.ITEMS_PREFIX)
        if form.is_valid() and formset.is_valid():
            item_forms = formset.used_forms()
            payload = case_forms.build_intake_payload(
                form=form, items=[item_form.cleaned_data for item_form in item_forms]
            )
            try:
                case = import_case(payload=payload, by=request.user, source=IntakeSource.INTAKE_FORM)
            except IntakeError as error:
                _apply_intake_errors(error=error, form=form, item_forms=item_forms)
            else:
                messages.success(request, f"Case {case.case_number} created.")
                return redirect("cases:case", case_id=case.pk)
        status = 400
    else:
        form = case_forms.IntakeForm()
        formset = case_forms.DisputedItemFormSet(prefix=case_forms.ITEMS_PREFIX)
    slots = _item_slots(formset)
    summary = _error_summary(form=form, slots=slots, formset=formset) if status == 400 else []
    return render(
        request,
        "cases/intake.html",
        {
            "form": form,
            "formset": formset,
            "item_slots": slots,
            "error_summary": summary,
            "max_items": case_forms.MAX_DISPUTED_ITEMS,
        },
        status=status,
    )
