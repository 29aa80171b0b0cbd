"""Workflow steps offered as Django admin actions on Case: thin calls to the services.

Steps that need a written reason (withdraw, terminate, convert to expedited, remand, replace
the reviewer) first
show an intermediate page asking for it, as Django's own delete action asks for confirmation.
Each case is its own transaction, and the outcome is reported per case.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from cases.errors import GuardError
from cases.models import Case
from cases.services import case_actions
from core.errors import DomainError


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


@admin.action(description="Start eligibility review", permissions=["change"])
def start_eligibility_review(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=case_actions.start_eligibility_review,
        done="eligibility review started.",
    )


@admin.action(description="Confirm the computed eligibility finding", permissions=["change"])
def confirm_eligibility(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=case_actions.confirm_eligibility,
        done="eligibility finding confirmed.",
    )


def _send_notice_by(method: str) -> Callable[..., Case]:
    def send(*, case_id: int, by) -> Case:
        return case_actions.send_notice_of_assignment(case_id=case_id, by=by, method=method)

    return send


@admin.action(description="NOARFI sent electronically", permissions=["change"])
def send_notice_electronic(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=_send_notice_by("electronic"),
        done="NOARFI recorded (electronic).",
    )


@admin.action(description="NOARFI sent by mail", permissions=["change"])
def send_notice_mail(modeladmin, request, queryset) -> None:
    _run(modeladmin, request, queryset, service=_send_notice_by("mail"), done="NOARFI recorded (mail).")


@admin.action(description="Mark records complete (today)", permissions=["change"])
def mark_records_complete(modeladmin, request, queryset) -> None:
    _run(
        modeladmin,
        request,
        queryset,
        service=case_actions.mark_records_complete,
        done="records marked complete.",
    )


@admin.action(description="Close (appeal period over)", permissions=["change"])
def close_case(modeladmin, request, queryset) -> None:
    _run(modeladmin, request, queryset, service=case_actions.close_case, done="closed.")


class ActionReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, strip=True
    )


def _with_reason(
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
            "cases": queryset.order_by("case_number"),
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.action(description="Withdraw (with a reason)", permissions=["change"])
def withdraw(modeladmin, request, queryset):
    return _with_reason(
        modeladmin,
        request,
        queryset,
        action="withdraw",
        title="Withdraw these applications",
        label="Why are they withdrawn?",
        service=case_actions.withdraw,
        done="withdrawn.",
    )


@admin.action(description="Terminate: treatment authorized (with a reason)", permissions=["change"])
def terminate(modeladmin, request, queryset):
    return _with_reason(
        modeladmin,
        request,
        queryset,
        action="terminate",
        title="Terminate these reviews",
        label="How did the claims administrator authorize the treatment?",
        service=case_actions.terminate,
        done="terminated.",
    )


@admin.action(description="Convert to expedited (physician's certification)", permissions=["change"])
def convert_to_expedited(modeladmin, request, queryset):
    return _with_reason(
        modeladmin,
        request,
        queryset,
        action="convert_to_expedited",
        title="Convert to expedited review",
        label="Treating physician's certification (who certified the imminent and serious threat, and when)",
        service=lambda *, case_id, by, reason: case_actions.convert_to_expedited(
            case_id=case_id, by=by, certification_note=reason
        ),
        done="converted to expedited; the parties are being told.",
    )


@admin.action(description="Remand by WCAB order (new review)", permissions=["change"])
def remand(modeladmin, request, queryset):
    return _with_reason(
        modeladmin,
        request,
        queryset,
        action="remand",
        title="Remand for a new review",
        label="WCAB order reference",
        service=lambda *, case_id, by, reason: case_actions.remand_case(
            case_id=case_id, by=by, order_reference=reason
        ),
        done="remanded for a new review by a different reviewer.",
    )


def _replace_reviewer(*, case_id: int, by, reason: str) -> Case:
    # Imported here: the reviewers app builds on cases, not the other way round.
    from reviewers.errors import ReviewerError
    from reviewers.services.assignment import replace_reviewer

    try:
        assignment = replace_reviewer(case_id=case_id, by=by, reason=reason)
    except ReviewerError as error:
        raise GuardError(error.message) from error
    return assignment.case


@admin.action(description="Replace the reviewer of a case in review (with a reason)", permissions=["change"])
def replace_reviewer(modeladmin, request, queryset):
    return _with_reason(
        modeladmin,
        request,
        queryset,
        action="replace_reviewer",
        title="Replace the reviewer",
        label="Why is the reviewer replaced?",
        service=_replace_reviewer,
        done="reviewer replaced; the case is offered to the next qualified reviewer.",
    )


CASE_ACTIONS: list = [
    start_eligibility_review,
    confirm_eligibility,
    send_notice_electronic,
    send_notice_mail,
    mark_records_complete,
    close_case,
    convert_to_expedited,
    withdraw,
    terminate,
    remand,
    replace_reviewer,
]
