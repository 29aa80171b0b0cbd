"""Staff pages for issued letters: deliveries per case, resend, the post tray, downloads.

Thin: each view checks a permission, reads through `letter_selectors`, writes through a
service, and turns domain errors into a message or a 4xx.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from cases.models import AccessAction, NoticeKind
from cases.selectors import cases_visible_to
from cases.services.audit import log_access, log_listed_cases
from core import clock
from core.errors import DomainError
from core.form_tokens import submit_once
from core.http import require_GET, require_http_methods, require_POST
from core.types import AuthenticatedHttpRequest
from determinations.forms import MailedOnForm, ResendForm
from determinations.letter_selectors import (
    LetterIssueStatus,
    case_deliveries_for,
    case_letter_issue_status,
    deliveries_to_post,
    delivery_visible_to,
    letter_issue_status,
    letter_visible_to,
    notice_visible_to,
)
from determinations.models import Notice, PostBatch, PostBatchState
from determinations.notices import preview_notice_html
from determinations.services.delivery import (
    AUTOMATIC_STATUSES,
    RESENDABLE_STATUSES,
    build_post_batch_pdf,
    letter_filename,
    mark_posted,
    notice_filename,
    resend_delivery,
)
from determinations.services.post_batches import batch_deliveries, batch_state, request_post_batch

# Letters per page on the post tray (oldest issue date first).
TO_POST_PAGE_SIZE = 50
# Status rows ask again every second while the work goes on, at most this many times: then they
# offer a Refresh link (a page left open must not keep the session alive for ever).
STATUS_POLL_SECONDS = 1
STATUS_MAX_POLLS = 120


def _poll_number(request: AuthenticatedHttpRequest) -> int:
    """Which poll this is (`?n=`); anything but a small number counts as the first."""
    raw = request.GET.get("n", "")
    return int(raw) if raw.isdigit() and len(raw) <= 4 else 0


def letter_status_context(
    request: AuthenticatedHttpRequest, *, status: LetterIssueStatus, poll: int = 0
) -> dict:
    """What `_letter_status.html` needs: the status, whether to ask again, and what to show.

    Delivery counts only for who may see deliveries (intake staff, administrators), never
    recipients' names or addresses: clinical QA sees the letter issued, not who got it."""
    show_deliveries = request.user.has_perm("determinations.view_delivery")
    # Who sees no deliveries has nothing more to wait for once the letter is issued.
    working = status.state == "issuing" or (status.state == "sending" and show_deliveries)
    return {
        "status": status,
        "show_deliveries": show_deliveries,
        "can_download": request.user.has_perm("determinations.view_letter"),
        "status_url": reverse("letters:letter_status", args=[status.determination.pk]),
        "working": working,
        # What the row shows: for who sees no deliveries, an issued letter is done.
        "row_state": "done" if status.state == "sending" and not working else status.state,
        "keep_polling": working and poll < STATUS_MAX_POLLS,
        "next_poll": poll + 1,
        "poll_seconds": STATUS_POLL_SECONDS,
    }


def log_letter_status(request: AuthenticatedHttpRequest, *, status: LetterIssueStatus) -> None:
    log_access(
        user=request.user,
        case=status.determination.case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"letter status of {status.determination.case.case_number}",
        request=request,
    )


@require_GET
@permission_required("determinations.view_letter", raise_exception=True)
def letter_status(request: AuthenticatedHttpRequest, determination_id: int) -> HttpResponse:
    """The issue status of a determination's letter: a fragment for htmx's poll, else a page.

    It names the case and whether its letter went out: an access-log row per answer."""
    status = letter_issue_status(user=request.user, determination_id=determination_id)
    if status is None:
        raise Http404("No such determination.")
    log_letter_status(request, status=status)
    context = letter_status_context(request, status=status, poll=_poll_number(request))
    if request.htmx:
        return render(request, "determinations/staff/_letter_status.html", context)
    return render(
        request, "determinations/staff/letter_status.html", {**context, "case": status.determination.case}
    )


@permission_required("determinations.view_delivery", raise_exception=True)
def case_deliveries(request: AuthenticatedHttpRequest, case_number: str) -> HttpResponse:
    case, letters = case_deliveries_for(user=request.user, case_number=case_number)
    if case is None:
        raise Http404("No such case.")
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"deliveries of {case.case_number}",
        request=request,
    )
    status = case_letter_issue_status(case=case)
    status_context = letter_status_context(request, status=status) if status is not None else {}
    return render(
        request,
        "determinations/staff/case_deliveries.html",
        {
            **status_context,
            "case": case,
            "letters": letters,
            "resendable": RESENDABLE_STATUSES,
            "automatic": AUTOMATIC_STATUSES,
            # A delivery whose automatic try fell due before this is overdue: it may be sent by hand.
            "overdue_before": clock.now() - timedelta(seconds=settings.OUTBOX_OVERDUE_SECONDS),
            "can_resend": request.user.has_perm("determinations.change_delivery"),
            "can_download": request.user.has_perm("determinations.view_letter"),
        },
    )


@permission_required("determinations.change_delivery", raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def resend(request: AuthenticatedHttpRequest, delivery_id: int) -> HttpResponse:
    delivery = delivery_visible_to(user=request.user, delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    case = delivery.case
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"resend page of delivery {delivery.pk}",
        request=request,
    )
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = resend_delivery(
                delivery_id=delivery.pk, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            log_access(
                user=request.user,
                case=case,
                action=AccessAction.CHANGE,
                object_repr=f"resent delivery {delivery.pk} as {new.pk}",
                request=request,
            )
            how = "queued for email" if new.channel == "email" else "added to the post tray"
            if new.pk == delivery.pk:
                how = "being sent now"
            what = "letter" if new.letter_id else "notice"
            messages.success(request, f"The {what} to {new.recipient_name} is {how}.")
            return redirect("letters:case_deliveries", case_number=case.case_number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "determinations/staff/resend.html",
        {"form": form, "delivery": delivery, "case": case},
        status=status,
    )


@permission_required("determinations.view_letter", raise_exception=True)
def download_letter(request: AuthenticatedHttpRequest, letter_id: int) -> FileResponse:
    letter = letter_visible_to(user=request.user, letter_id=letter_id)
    if letter is None:
        raise Http404("No such letter.")
    log_access(
        user=request.user,
        case=letter.determination.case,
        action=AccessAction.VIEW_LETTER,
        object_repr=f"Letter v{letter.version} {letter.sha256[:12]}",
        request=request,
    )
    response = FileResponse(
        letter.pdf.open("rb"),
        as_attachment=True,
        filename=letter_filename(letter=letter),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@permission_required("determinations.view_delivery", raise_exception=True)
@require_http_methods(["GET", "POST"])
def to_post(request: AuthenticatedHttpRequest) -> HttpResponse:
    queryset = deliveries_to_post(user=request.user)
    form = MailedOnForm(request.POST or None, queryset=queryset)
    if request.method == "POST":
        if not request.user.has_perm("determinations.change_delivery"):
            return HttpResponse("You may not record mailings.", status=403)
        if form.is_valid():
            try:
                done = mark_posted(
                    delivery_ids=[d.pk for d in form.cleaned_data["deliveries"]],
                    mailed_on=form.cleaned_data["mailed_on"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"{len(done)} letter(s) recorded as mailed.")
                target = reverse("letters:to_post")
                page_number = request.GET.get("page")
                return redirect(f"{target}?{urlencode({'page': page_number})}" if page_number else target)
    # The page's ids are sorted over deliveries and letters alone, then only those rows are read
    # with their case and party (the sort over the whole join read every letter: issue 11).
    page_obj = Paginator(queryset.values_list("pk", flat=True), TO_POST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page_ids = list(page_obj.object_list)
    by_id = queryset.in_bulk(page_ids)
    deliveries = [by_id[pk] for pk in page_ids if pk in by_id]
    # The checkboxes offer this page's letters; a post is validated against every letter waiting.
    form.show_only(deliveries)
    # The tray shows each letter's recipient and address: one access-log row per case shown.
    log_listed_cases(
        user=request.user,
        case_ids=sorted({delivery.case.pk for delivery in deliveries}),
        action=AccessAction.VIEW_CASE,
        object_repr="listed on the post tray",
        request=request,
    )
    return render(
        request,
        "determinations/staff/to_post.html",
        {"form": form, "page_obj": page_obj, "deliveries": deliveries},
        status=400 if request.method == "POST" else 200,
    )


@permission_required(["determinations.view_delivery", "determinations.view_letter"], raise_exception=True)
def to_post_batch(request: AuthenticatedHttpRequest) -> HttpResponse:
    """All letters waiting for the post (or the ?id= ones) as one printable PDF."""
    queryset = deliveries_to_post(user=request.user)
    wanted = request.GET.getlist("id")
    if wanted:
        if not all(value.isdigit() for value in wanted):
            return HttpResponse("Letter ids are numbers.", status=400)
        queryset = queryset.filter(pk__in=[int(value) for value in wanted])
    deliveries = list(queryset)
    if not deliveries:
        messages.info(request, "There are no letters waiting for the post.")
        return redirect("letters:to_post")
    pdf = build_post_batch_pdf(deliveries=deliveries)
    for delivery in deliveries:
        log_access(
            user=request.user,
            case=delivery.case,
            action=AccessAction.VIEW_LETTER,
            object_repr=(
                f"Post batch: {delivery.document_title} to {delivery.get_recipient_role_display().lower()}"
            )[:200],
            request=request,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="letters-to-post.pdf"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


BATCH_PERMISSIONS = ["determinations.view_delivery", "determinations.view_letter"]


@require_POST
@permission_required(BATCH_PERMISSIONS, raise_exception=True)
@submit_once
def post_batch_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for the letters waiting for the post (all, or the posted ?id= ones) as one PDF, built
    in the background (`services.post_batches`): the answer is the batch's status page."""
    wanted = request.POST.getlist("id")
    if not all(value.isdigit() and len(value) <= 12 for value in wanted):
        return HttpResponse("Letter ids are numbers.", status=400, content_type="text/plain")
    try:
        batch = request_post_batch(user=request.user, delivery_ids=[int(value) for value in wanted] or None)
    except DomainError as error:
        messages.info(request, error.message)
        return redirect("letters:to_post")
    return redirect("letters:post_batch", batch_id=batch.pk)


def _own_batch(request: AuthenticatedHttpRequest, batch_id: int) -> PostBatch:
    """A batch is its requester's print job: anyone else (an administrator too) gets a 404."""
    batch = PostBatch.objects.filter(pk=batch_id, requested_by=request.user).first()
    if batch is None:
        raise Http404("No such batch.")
    return batch


@require_GET
@permission_required(BATCH_PERMISSIONS, raise_exception=True)
def post_batch(request: AuthenticatedHttpRequest, batch_id: int) -> HttpResponse:
    """Where a batch stands: a fragment for htmx's poll, else the page (Refresh link, no script).

    Deliberately minimal: the number of letters and the state, no case, party or address, so
    it writes no access-log row (the download does, one per case)."""
    batch = _own_batch(request, batch_id)
    state = batch_state(batch=batch)
    poll = _poll_number(request)
    context = {
        "batch": batch,
        "state": state,
        "keep_polling": state == PostBatchState.PENDING and poll < STATUS_MAX_POLLS,
        "next_poll": poll + 1,
        "poll_seconds": STATUS_POLL_SECONDS,
    }
    if request.htmx:
        return render(request, "determinations/staff/_post_batch_status.html", context)
    return render(request, "determinations/staff/post_batch.html", context)


@require_GET
@permission_required(BATCH_PERMISSIONS, raise_exception=True)
def post_batch_download(request: AuthenticatedHttpRequest, batch_id: int) -> HttpResponse | FileResponse:
    batch = _own_batch(request, batch_id)
    if batch.state != PostBatchState.READY:
        return HttpResponse(
            "This batch is not ready yet; its page says when it is.", status=409, content_type="text/plain"
        )
    deliveries = batch_deliveries(batch=batch)
    # The PDF shows every letter and its recipient's address: one access-log row per case.
    log_listed_cases(
        user=request.user,
        case_ids=sorted({delivery.case.pk for delivery in deliveries}),
        action=AccessAction.VIEW_LETTER,
        object_repr=f"post batch {batch.pk}: {batch.letter_count} letter(s) printed",
        request=request,
    )
    response = FileResponse(
        batch.pdf.open("rb"),
        as_attachment=True,
        filename=f"letters-to-post-{batch.pk}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@permission_required("determinations.view_delivery", raise_exception=True)
def notice_preview(request: AuthenticatedHttpRequest, case_number: str, kind: str) -> HttpResponse:
    """A notice as it would go today, before it goes (marked DRAFT; nothing is stored or sent)."""
    if kind not in NoticeKind.values:
        raise Http404("No such notice.")
    case = cases_visible_to(user=request.user).filter(case_number=case_number).first()
    if case is None:
        raise Http404("No such case.")
    issued = Notice.objects.filter(case=case, kind=kind).first()
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_LETTER,
        object_repr=f"preview of the {NoticeKind(kind).label.lower()}"[:200],
        request=request,
    )
    return render(
        request,
        "determinations/staff/notice_preview.html",
        {
            "case": case,
            "kind_label": NoticeKind(kind).label,
            "issued": issued,
            "notice_html": "" if issued else preview_notice_html(case=case, kind=kind),
        },
    )


@permission_required("determinations.view_letter", raise_exception=True)
def download_notice(request: AuthenticatedHttpRequest, notice_id: int) -> FileResponse:
    notice = notice_visible_to(user=request.user, notice_id=notice_id)
    if notice is None:
        raise Http404("No such notice.")
    log_access(
        user=request.user,
        case=notice.case,
        action=AccessAction.VIEW_LETTER,
        object_repr=f"{notice.get_kind_display()} {notice.sha256[:12]}"[:200],
        request=request,
    )
    response = FileResponse(
        notice.pdf.open("rb"),
        as_attachment=True,
        filename=notice_filename(notice=notice),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
