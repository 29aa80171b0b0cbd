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
from core.http import require_http_methods
from core.types import AuthenticatedHttpRequest
from determinations.forms import MailedOnForm, ResendForm
from determinations.letter_selectors import (
    case_deliveries_for,
    deliveries_to_post,
    delivery_visible_to,
    letter_visible_to,
    notice_visible_to,
)
from determinations.models import Notice
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

# Letters per page on the post tray (oldest issue date first).
TO_POST_PAGE_SIZE = 50


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
    return render(
        request,
        "determinations/staff/case_deliveries.html",
        {
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
    form.show_only(queryset.filter(pk__in=page_ids))
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
