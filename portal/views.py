"""The portal's pages: thin doors into `portal.services` and `portal.selectors`.

- An organization's users (`/portal/`): their cases, each case's status page with the records
  upload, the receipt, declaring the records complete (claims administrators) and the letter.
  A case their organization is not linked to is a 404, as one that does not exist.
- A party without an account (`/portal/p/<token>/`): the same status page and upload through
  the signed per-party link (no log-in; rate-limited per address; tampered 404, expired or
  revoked 410).
- Staff: the queue of new records, a case's records (marking them seen), inviting a user.
Every read of case data writes an access-log row.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django_ratelimit.decorators import ratelimit

from cases.models import AccessAction, Case, PartyRole
from cases.services.audit import log_access, log_listed_cases
from core import clock
from core.errors import DomainError
from core.form_tokens import submit_once
from core.http import require_GET, require_http_methods, require_POST
from core.types import AuthenticatedHttpRequest
from portal import selectors
from portal.errors import LinkError
from portal.forms import InviteForm, ReceiptEmailForm, RecordFormSet
from portal.models import CaseLink, Membership, PartyLink, RecordSubmission
from portal.services import links, organizations, records

# ---- An organization's users ------------------------------------------------------------


def member_required(view):
    """The user belongs to an organization (a 404 for anyone else: the portal is not theirs)."""

    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = selectors.membership_of(user=request.user)
        if membership is None:
            raise Http404("No such page.")
        request.membership = membership  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def _link_or_404(request: AuthenticatedHttpRequest, case_number: str) -> CaseLink:
    link = selectors.link_for(organization=request.membership.organization, case_number=case_number)  # type: ignore[attr-defined]
    if link is None:
        raise Http404("No such case.")
    return link


@require_GET
@member_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = request.membership.organization  # type: ignore[attr-defined]
    page = selectors.case_page(organization=organization, page=request.GET.get("page"))
    log_listed_cases(
        user=request.user,
        case_ids=[link.case_id for link in page],
        action=AccessAction.VIEW_CASE,
        object_repr=f"listed in {organization}'s portal",
        request=request,
    )
    return render(request, "portal/home.html", {"organization": organization, "page_obj": page})


def _status_context(*, case: Case, role: str, formset=None, email_form=None) -> dict[str, Any]:
    return {
        "case": case,
        "status": selectors.case_status(case=case, role=role),
        "formset": formset if formset is not None else RecordFormSet(prefix="records"),
        "email_form": email_form if email_form is not None else ReceiptEmailForm(prefix="receipt"),
        "role_label": PartyRole(role).label,
        "max_mb": settings.DOCUMENT_MAX_UPLOAD_MB,
    }


def _log_refused_upload(request: HttpRequest, *, case: Case, formset, email_form, user) -> None:
    """A refused upload (form error) is in the access log too, with what was wrong."""
    problems = [str(e) for e in formset.non_form_errors()]
    problems += [f"{name}: {errors[0]}" for form in formset.forms for name, errors in form.errors.items()]
    problems += [f"{name}: {errors[0]}" for name, errors in email_form.errors.items()]
    log_access(
        user=user,
        case=case,
        action=AccessAction.REFUSED,
        object_repr=f"records upload refused: {'; '.join(problems)}",
        request=request,
        status_code=400,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@member_required
@submit_once
def case_status(request: AuthenticatedHttpRequest, case_number: str) -> HttpResponse:
    link = _link_or_404(request, case_number)
    organization = link.organization
    formset = email_form = None
    status = 200
    if request.method == "POST":
        formset = RecordFormSet(request.POST, request.FILES, prefix="records")
        email_form = ReceiptEmailForm(request.POST, prefix="receipt")
        if formset.is_valid() and email_form.is_valid():
            try:
                submission = records.submit_records(
                    case_id=link.case_id,
                    uploads=formset.uploads(),  # type: ignore[attr-defined]
                    submitter=records.Submitter(
                        label=organization.name,
                        organization=organization,
                        user=request.user,
                        email=email_form.cleaned_data["email"] or request.user.email,
                    ),
                )
            except DomainError as error:
                formset._non_form_errors = formset.error_class([error.message])  # type: ignore[attr-defined]
            else:
                log_access(
                    user=request.user,
                    case=link.case,
                    action=AccessAction.CHANGE,
                    object_repr=f"{submission.records.count()} record(s) uploaded in the portal",
                    request=request,
                )
                return redirect("portal:receipt", submission_id=submission.pk)
        status = 400
        _log_refused_upload(
            request, case=link.case, formset=formset, email_form=email_form, user=request.user
        )
    context = _status_context(case=link.case, role=link.role, formset=formset, email_form=email_form)
    context["link"] = link
    context["declare_blocked"] = selectors.can_declare_complete(link=link)
    context["declare_shown"] = link.role == PartyRole.CLAIMS_ADMINISTRATOR
    context["submissions"] = selectors.submissions_for(case=link.case, organization=organization)
    log_access(
        user=request.user,
        case=link.case,
        action=AccessAction.VIEW_CASE,
        object_repr="portal status page",
        request=request,
    )
    return render(request, "portal/case.html", context, status=status)


@require_GET
@member_required
def receipt(request: AuthenticatedHttpRequest, submission_id: int) -> HttpResponse:
    organization = request.membership.organization  # type: ignore[attr-defined]
    submission = get_object_or_404(
        RecordSubmission.objects.select_related("case"), pk=submission_id, organization=organization
    )
    log_access(
        user=request.user,
        case=submission.case,
        action=AccessAction.VIEW_CASE,
        object_repr="records receipt",
        request=request,
    )
    return render(
        request,
        "portal/receipt.html",
        {
            "submission": submission,
            "records": submission.records.select_related("document").order_by("id"),
            "back_url": reverse("portal:case", args=[submission.case.case_number]),
        },
    )


@require_POST
@member_required
def declare_complete(request: AuthenticatedHttpRequest, case_number: str) -> HttpResponse:
    link = _link_or_404(request, case_number)
    try:
        case = records.declare_records_complete(link=link, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:case", case_number=case_number)
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.CHANGE,
        object_repr="records declared complete",
        request=request,
    )
    messages.success(
        request,
        f"Records declared complete. Case {case.case_number} is now {case.get_status_display().lower()}.",
    )
    return redirect("portal:case", case_number=case_number)


def _letter_response(*, case: Case, role: str, request: HttpRequest, user=None) -> FileResponse:
    view_letter = selectors.current_letter(case=case) if role in selectors.LETTER_ENTITLED_ROLES else None
    if view_letter is None:
        raise Http404("No letter has been issued for this case yet.")
    log_access(
        user=user,
        case=case,
        action=AccessAction.VIEW_LETTER,
        object_repr=f"Letter v{view_letter.version} through the portal ({PartyRole(role).label})",
        request=request,
    )
    response = FileResponse(
        view_letter.pdf.open("rb"),
        as_attachment=True,
        filename=f"{case.case_number}-final-determination-v{view_letter.version}.pdf",
        content_type="application/pdf",
    )
    response["Content-Security-Policy"] = "sandbox"
    return response


@require_GET
@member_required
def letter(request: AuthenticatedHttpRequest, case_number: str) -> FileResponse:
    link = _link_or_404(request, case_number)
    return _letter_response(case=link.case, role=link.role, request=request, user=request.user)


# ---- Parties without an account: the per-party link ----------------------------------------


def link_rate(group: str, request: HttpRequest) -> str:
    return settings.PORTAL_LINK_RATE


def _link_reader(request: HttpRequest):
    """Who reads through a party's link, for the access log: the signed-in user who opened it
    (a staff member, an organization's user), or nobody but the link's holder."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def party_link_view(view):
    """No log-in; rate-limited per address; the token resolved to a live link or refused."""

    @login_not_required
    @ratelimit(key="ip", rate=link_rate, block=False)
    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "limited", False):
            response = render(
                request,
                "portal/link_refused.html",
                {"message": "Too many requests from your address; wait a minute and try again."},
                status=429,
            )
            response["Retry-After"] = "60"
            return response
        try:
            link = links.resolve(token=token)
        except LinkError as error:
            log_access(
                user=_link_reader(request),
                case=None,
                action=AccessAction.REFUSED,
                object_repr=f"party link refused ({error.status})",
                request=request,
                status_code=error.status,
            )
            if error.status == 404:
                raise Http404(error.message) from error
            return render(
                request, "portal/link_refused.html", {"message": error.message}, status=error.status
            )
        return view(request, link, token, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "HEAD", "POST"])
@party_link_view
def party_status(request: HttpRequest, link: PartyLink, token: str) -> HttpResponse:
    case = link.case
    formset = email_form = None
    status = 200
    if request.method == "POST":
        formset = RecordFormSet(request.POST, request.FILES, prefix="records")
        email_form = ReceiptEmailForm(request.POST, prefix="receipt")
        if formset.is_valid() and email_form.is_valid():
            try:
                submission = records.submit_records(
                    case_id=case.pk,
                    uploads=formset.uploads(),  # type: ignore[attr-defined]
                    submitter=records.Submitter(
                        label=f"the {PartyRole(link.role).label.lower()} (case link)",
                        party_link=link,
                        email=email_form.cleaned_data["email"],
                    ),
                )
            except DomainError as error:
                formset._non_form_errors = formset.error_class([error.message])  # type: ignore[attr-defined]
            else:
                log_access(
                    user=_link_reader(request),
                    case=case,
                    action=AccessAction.CHANGE,
                    object_repr=f"records uploaded through the {link.get_role_display()} link",
                    request=request,
                )
                return redirect("portal:party_receipt", token=token, submission_id=submission.pk)
        status = 400
        _log_refused_upload(
            request, case=case, formset=formset, email_form=email_form, user=_link_reader(request)
        )
    PartyLink.objects.filter(pk=link.pk).update(last_used_at=clock.now())
    context = _status_context(case=case, role=link.role, formset=formset, email_form=email_form)
    context.update(
        token=token,
        submissions=selectors.submissions_for(case=case, party_link_id=link.pk),
        letter_url=reverse("portal:party_letter", args=[token]),
        upload_url=reverse("portal:party_status", args=[token]),
    )
    log_access(
        user=_link_reader(request),
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr=f"status page through the {link.get_role_display()} link",
        request=request,
    )
    return render(request, "portal/party_case.html", context, status=status)


@require_GET
@party_link_view
def party_receipt(request: HttpRequest, link: PartyLink, token: str, submission_id: int) -> HttpResponse:
    submission = get_object_or_404(
        RecordSubmission.objects.select_related("case"), pk=submission_id, party_link=link
    )
    log_access(
        user=_link_reader(request),
        case=submission.case,
        action=AccessAction.VIEW_CASE,
        object_repr="records receipt (link)",
        request=request,
    )
    return render(
        request,
        "portal/receipt.html",
        {
            "submission": submission,
            "records": submission.records.select_related("document").order_by("id"),
            "back_url": reverse("portal:party_status", args=[token]),
        },
    )


@require_GET
@party_link_view
def party_letter(request: HttpRequest, link: PartyLink, token: str) -> FileResponse:
    return _letter_response(case=link.case, role=link.role, request=request, user=_link_reader(request))


# ---- Staff ------------------------------------------------------------------------------


@require_GET
@permission_required("cases.view_all_cases", raise_exception=True)
def staff_new_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        after = int(request.GET.get("after", "")) if request.GET.get("after") else None
    except ValueError:
        after = None
    rows = selectors.new_records_page(after=after)
    has_next = len(rows) > 50
    rows = rows[:50]
    log_listed_cases(
        user=request.user,
        case_ids=sorted({r.case_id for r in rows}),
        action=AccessAction.VIEW_CASE,
        object_repr="listed in the new records queue",
        request=request,
    )
    return render(
        request,
        "portal/staff_new_records.html",
        {"rows": rows, "next_after": rows[-1].pk if has_next and rows else None},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("cases.view_all_cases", raise_exception=True)
def staff_case_records(request: AuthenticatedHttpRequest, case_number: str) -> HttpResponse:
    case = get_object_or_404(Case, case_number=case_number)
    if request.method == "POST":
        if not request.user.has_perm("cases.change_document"):
            raise Http404("No such page.")
        count = records.mark_seen(case_id=case.pk, by=request.user)
        log_access(
            user=request.user,
            case=case,
            action=AccessAction.CHANGE,
            object_repr=f"{count} new record(s) marked seen",
            request=request,
        )
        messages.success(request, f"{count} record(s) marked seen.")
        return redirect("portal:staff_case_records", case_number=case_number)
    submitted = case.portal_records.select_related(
        "document", "submission__organization", "submission__party_link"
    ).order_by("-id")[:200]
    log_access(
        user=request.user,
        case=case,
        action=AccessAction.VIEW_CASE,
        object_repr="records from the parties",
        request=request,
    )
    return render(request, "portal/staff_case_records.html", {"case": case, "rows": submitted})


@require_http_methods(["GET", "HEAD", "POST"])
@permission_required("portal.add_membership", raise_exception=True)
@submit_once
def staff_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = organizations.invite_user(
                organization_id=form.cleaned_data["organization"].pk,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"Invitation sent to {user.email}.")
            return redirect("portal:staff_invite")
    return render(request, "portal/staff_invite.html", {"form": form}, status=400 if form.errors else 200)


# ---- Accepting an invitation --------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def accept_invite(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = get_user_model().objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if (
        user is None
        or not Membership.objects.filter(user=user).exists()
        or not default_token_generator.check_token(user, token)
    ):
        return render(
            request,
            "portal/link_refused.html",
            {
                "message": "This invitation link is not valid any more (it works once). "
                "Ask the IMRO for a new one."
            },
            status=404,
        )
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your password is set. Log in, then set up your second factor.")
        return redirect("login")
    return render(
        request,
        "portal/accept_invite.html",
        {"form": form, "invited": user},
        status=400 if form.errors else 200,
    )
