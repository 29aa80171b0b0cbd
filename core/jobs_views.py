"""The jobs page for administrators: the outbox by state and kind, retry and cancel with a reason.

Thin: permission check, reads through `core.outbox_selectors`, writes through `core.outbox`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from core import outbox
from core.errors import DomainError
from core.http import require_http_methods
from core.models import OutboxJob, OutboxState
from core.outbox_selectors import VIEWS, jobs_in_view, summary
from core.types import AuthenticatedHttpRequest

JOBS_PAGE_SIZE = 50


class JobActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("retry", "Retry"), ("cancel", "Cancel")])
    reason = forms.CharField(max_length=500, strip=True, error_messages={"required": "Say why."})


@permission_required("core.manage_outboxjob", raise_exception=True)
@require_http_methods(["GET"])
def jobs(request: AuthenticatedHttpRequest) -> HttpResponse:
    view = request.GET.get("view", "stuck")
    if view not in VIEWS:
        return HttpResponse(f"Unknown view {view!r}; one of: {', '.join(VIEWS)}.", status=400)
    page_obj = Paginator(jobs_in_view(view), JOBS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/jobs.html",
        {
            "view": view,
            "views": VIEWS,
            "summary": summary(),
            "states": OutboxState,
            "page_obj": page_obj,
            "jobs": page_obj.object_list,
        },
    )


@permission_required("core.manage_outboxjob", raise_exception=True)
@require_http_methods(["POST"])
def job_action(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(OutboxJob, pk=job_id)
    form = JobActionForm(request.POST)
    back = reverse("jobs") + "?" + urlencode({"view": request.POST.get("view") or "stuck"})
    if not form.is_valid():
        messages.error(
            request, f"Job #{job.pk}: {' '.join(str(e) for errs in form.errors.values() for e in errs)}"
        )
        return redirect(back)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    try:
        if action == "retry":
            outbox.retry_job(job_id=job.pk, by=request.user, reason=reason)
        else:
            outbox.cancel_job(job_id=job.pk, by=request.user, reason=reason)
    except DomainError as error:
        messages.error(request, f"Job #{job.pk}: {error.message}")
        return redirect(back)
    messages.success(request, f"Job #{job.pk} {'retried' if action == 'retry' else 'cancelled'}.")
    return redirect(back)
