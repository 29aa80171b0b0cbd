"""Workflow steps offered as Django admin actions on Case: thin calls to the services.

Each action names its row of the step table (`cases.steps.STEPS`, as `step_key`) and runs
that row's service, which refuses with the row's guard. The admin keeps its own wording
(descriptions, the per-case messages). Steps that need a written reason (withdraw,
terminate, convert to expedited, remand) first show an intermediate page asking for it, as
Django's own delete action asks for confirmation. Each case is its own transaction, and the
outcome is reported per case.

Higher apps add their own case actions with `add_case_action` (the reviewers app adds
"Replace the reviewer" from its admin module): `CASE_ACTIONS` is the list the Case admin
reads.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from cases.models import AccessAction, Case
from cases.services.audit import log_access
from cases.steps import STEPS
from core.errors import DomainError


def _step_service(key: str) -> Callable[..., Case]:
    return STEPS[key].service  # type: ignore[return-value]


def _for_step(key: str):
    """Mark an admin action as running step `key` of the table (checked by the tests)."""

    def mark(action):
        action.step_key = key
        return action

    return mark


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Case],
    *,
    service: Callable[..., Case],
    done: str,
) -> None:
    if not request.user.has_perm("cases.transition_case"):
        modeladmin.message_user(request, "You may not move cases through the workflow.", messages.ERROR)
        return
    for case_id, case_number in queryset.order_by("case_number").values_list("pk", "case_number"):
        try:
            service(case_id=case_id, by=request.user)
        except DomainError as error:
            modeladmin.message_user(request, f"{case_number}: {error.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{case_number}: {done}", messages.SUCCESS)


@_for_step("start_eligibility_review")
@admin.action(description="Start eligibility review", permissions=["change"])
def start_eligibility_review(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=_step_service("start_eligibility_review"),
        done="eligibility review started.",
    )


@_for_step("confirm_eligibility")
@admin.action(description="Confirm the computed eligibility finding", permissions=["change"])
def confirm_eligibility(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=_step_service("confirm_eligibility"),
        done="eligibility finding confirmed.",
    )


@_for_step("send_notice")
@admin.action(description="Send the NOARFI to the parties", permissions=["change"])
def send_notice(modeladmin, request, queryset) -> None:
    # How it went (email or post, and so the records clock) comes from the deliveries made.
    _run(
        modeladmin,
        request,
        queryset,
        service=_step_service("send_notice"),
        done="NOARFI sent (email, or the post tray where a party has no email).",
    )


@_for_step("records_complete")
@admin.action(description="Mark records complete (today)", permissions=["change"])
def mark_records_complete(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=_step_service("records_complete"),
        done="records marked complete.",
    )


@_for_step("close")
@admin.action(description="Close (appeal period over)", permissions=["change"])
def close_case(modeladmin, request, queryset) -> None:
    _run(modeladmin, request, queryset, service=_step_service("close"), done="closed.")


class ActionReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, strip=True
    )


def with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Case],
    *,
    action: str,
    title: str,
    label: str,
    service: Callable[..., Case],
    done: str,
) -> TemplateResponse | None:
    """Ask for the reason on an intermediate page, then run `service(case_id, by, reason)` per case."""
    form = ActionReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["reason"].label = label
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        _run(
            modeladmin,
            request,
            queryset,
            service=lambda *, case_id, by: service(case_id=case_id, by=by, reason=reason),
            done=done,
        )
        return None
    return TemplateResponse(
        request,
        "admin/cases/case/action_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "opts": modeladmin.model._meta,
            "cases": queryset.select_related("consolidated_into").order_by("case_number")[:MAX_SELECTED],
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@_for_step("withdraw")
@admin.action(description="Withdraw (with a reason)", permissions=["change"])
def withdraw(modeladmin, request, queryset):
    return with_reason(
        modeladmin,
        request,
        queryset,
        action="withdraw",
        title="Withdraw these applications",
        label="Why are they withdrawn?",
        service=_step_service("withdraw"),
        done="withdrawn.",
    )


@_for_step("terminate")
@admin.action(description="Terminate: treatment authorized (with a reason)", permissions=["change"])
def terminate(modeladmin, request, queryset):
    return with_reason(
        modeladmin,
        request,
        queryset,
        action="terminate",
        title="Terminate these reviews",
        label="How did the claims administrator authorize the treatment?",
        service=_step_service("terminate"),
        done="terminated.",
    )


@_for_step("convert_to_expedited")
@admin.action(description="Convert to expedited (physician's certification)", permissions=["change"])
def convert_to_expedited(modeladmin, request, queryset):
    return with_reason(
        modeladmin,
        request,
        queryset,
        action="convert_to_expedited",
        title="Convert to expedited review",
        label="Treating physician's certification (who certified the imminent and serious threat, and when)",
        service=lambda *, case_id, by, reason: _step_service("convert_to_expedited")(
            case_id=case_id, by=by, certification_note=reason
        ),
        done="converted to expedited; the parties are being told.",
    )


@_for_step("remand")
@admin.action(description="Remand by WCAB order (new review)", permissions=["change"])
def remand(modeladmin, request, queryset):
    return with_reason(
        modeladmin,
        request,
        queryset,
        action="remand",
        title="Remand for a new review",
        label="WCAB order reference",
        service=lambda *, case_id, by, reason: _step_service("remand")(
            case_id=case_id, by=by, order_reference=reason
        ),
        done="remanded for a new review by a different reviewer.",
    )


# ---- Consolidation (cases.services.consolidation, the case page's steps "consolidate"/"split") ----


MAX_SELECTED = 50  # one consolidation or split is one transaction locking every case named


class ConsolidateForm(forms.Form):
    lead = forms.TypedChoiceField(
        label="Lead case (the others' items are reviewed in it)", coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Why are they reviewed as one?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        strip=True,
    )

    def __init__(self, *args, cases: list[Case], **kwargs):
        super().__init__(*args, **kwargs)
        lead = self.fields["lead"]
        assert isinstance(lead, forms.TypedChoiceField)
        lead.choices = [(case.pk, f"{case.case_number} ({case.get_status_display()})") for case in cases]


def _log_changed(request: HttpRequest, cases: list[Case], what: str) -> None:
    """Each case the action changed goes to the access log (the events record the change itself)."""
    for case in cases:
        log_access(
            user=request.user,  # type: ignore[arg-type]
            case=case,
            action=AccessAction.CHANGE,
            object_repr=f"{what} ({case.case_number})",
            request=request,
        )


def _ask(modeladmin, request, queryset, *, action: str, title: str, form: forms.Form) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/cases/case/action_consolidation.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "opts": modeladmin.model._meta,
            "cases": queryset.select_related("consolidated_into").order_by("case_number")[:MAX_SELECTED],
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@_for_step("consolidate")
@admin.action(
    description="Consolidate the selected applications into one (with a reason)", permissions=["change"]
)
def consolidate(modeladmin, request, queryset):
    """Pick the lead among the selected cases; the others are consolidated into it (one service call)."""
    if not request.user.has_perm("cases.transition_case"):
        modeladmin.message_user(request, "You may not move cases through the workflow.", messages.ERROR)
        return None
    cases = list(queryset.order_by("case_number")[: MAX_SELECTED + 1])
    if len(cases) > MAX_SELECTED:
        modeladmin.message_user(request, f"Select at most {MAX_SELECTED} cases.", messages.ERROR)
        return None
    if len(cases) < 2:
        modeladmin.message_user(
            request, "Select the lead case and at least one case to consolidate into it.", messages.ERROR
        )
        return None
    form = ConsolidateForm(request.POST if "apply" in request.POST else None, cases=cases)
    if form.is_bound and form.is_valid():
        lead_id = form.cleaned_data["lead"]
        lead = next(case for case in cases if case.pk == lead_id)
        others = [case.case_number for case in cases if case.pk != lead_id]
        try:
            _step_service("consolidate")(
                case_id=lead_id, by=request.user, case_numbers=others, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            modeladmin.message_user(request, f"{lead.case_number}: {error.message}", messages.ERROR)
        else:
            _log_changed(request, cases, f"admin action: consolidated into {lead.case_number}")
            modeladmin.message_user(
                request,
                f"{lead.case_number}: {', '.join(others)} consolidated into it.",
                messages.SUCCESS,
            )
        return None
    return _ask(
        modeladmin, request, queryset, action="consolidate", title="Consolidate applications", form=form
    )


@_for_step("split")
@admin.action(description="Split the selected cases off their lead (with a reason)", permissions=["change"])
def split_consolidation(modeladmin, request, queryset):
    """Each selected consolidated case goes back on its own: one service call per lead case."""
    if not request.user.has_perm("cases.transition_case"):
        modeladmin.message_user(request, "You may not move cases through the workflow.", messages.ERROR)
        return None
    if queryset.count() > MAX_SELECTED:
        modeladmin.message_user(request, f"Select at most {MAX_SELECTED} cases.", messages.ERROR)
        return None
    form = ActionReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["reason"].label = "Why are they split off?"
    if not (form.is_bound and form.is_valid()):
        return _ask(
            modeladmin,
            request,
            queryset,
            action="split_consolidation",
            title="Split off the lead case",
            form=form,
        )
    by_lead: dict[tuple[int, str], list[str]] = {}
    rows = queryset.order_by("case_number").values_list(
        "case_number", "consolidated_into_id", "consolidated_into__case_number"
    )
    for case_number, lead_id, lead_number in rows:
        if lead_id is None:
            modeladmin.message_user(
                request, f"{case_number}: it is not consolidated into another case.", messages.ERROR
            )
            continue
        by_lead.setdefault((lead_id, lead_number), []).append(case_number)
    for (lead_id, lead_number), numbers in by_lead.items():
        try:
            _step_service("split")(
                case_id=lead_id, by=request.user, case_numbers=numbers, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            modeladmin.message_user(request, f"{lead_number}: {error.message}", messages.ERROR)
        else:
            touched = list(Case.objects.filter(case_number__in=[lead_number, *numbers]))
            _log_changed(request, touched, f"admin action: split off {lead_number}")
            modeladmin.message_user(
                request,
                f"{lead_number}: {', '.join(numbers)} split off; each continues on its own.",
                messages.SUCCESS,
            )
    return None


CASE_ACTIONS: list = [
    start_eligibility_review,
    confirm_eligibility,
    send_notice,
    mark_records_complete,
    close_case,
    convert_to_expedited,
    withdraw,
    terminate,
    remand,
    consolidate,
    split_consolidation,
]


def add_case_action(action) -> None:
    """Offer `action` on the Case admin too (higher apps call this from their admin module)."""
    if action not in CASE_ACTIONS:
        CASE_ACTIONS.append(action)
