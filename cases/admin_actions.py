"""Workflow steps offered as Django admin actions on Case: thin calls to the services.

Only steps that need no further input are offered here (the ones needing a reason, a
method or an order reference are on the staff case page); each case is its own
transaction, and the outcome is reported per case.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from cases.errors import CaseError
from cases.models import Case
from cases.services import case_actions


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
        except CaseError as error:
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


CASE_ACTIONS: list = [
    start_eligibility_review,
    confirm_eligibility,
    send_notice_electronic,
    send_notice_mail,
    mark_records_complete,
    close_case,
]
