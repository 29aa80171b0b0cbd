"""One-time form tokens: a form that creates something posts one; a replay gets the first result.

The page carries `<user id>-<uuid>` signed with the site's key (`{% form_token %}`), so a POST
tells a token this site handed out, and to whom, from a missing, garbled or borrowed one,
without a write when the page is shown. A token is stored (`FormSubmission`) only when a
POST claims it, in the transaction of the work it guards: a second POST of the same token
(a double click, or Back and submit again) waits for the first, then answers with the page
the first one redirected to, and creates nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.errors import DomainError
from core.models import FormSubmission

logger = logging.getLogger(__name__)

FIELD_NAME = "form_token"
_SALT = "core.form_token"

EXPIRED = "This form has expired; reload the page and submit it again."
OTHER_USER = "This form was opened by another user; reload the page to submit it as yourself."
REPLAYED = "This form was already submitted; here is what it created."
_REDIRECTS = (301, 302, 303, 307, 308)


class FormTokenError(DomainError):
    """A POST whose form token cannot be used; `message` is for the person who sent it."""


def _owner(user) -> str:
    return str(getattr(user, "pk", None) or 0)


def issue_token(*, user) -> str:
    """A fresh token for one rendering of one form, bound to `user`."""
    return signing.Signer(salt=_SALT).sign(f"{_owner(user)}-{uuid.uuid4().hex}")


def read_token(*, request: HttpRequest) -> uuid.UUID:
    """The posted token's uuid; FormTokenError when it is missing, garbled or another user's."""
    raw = request.POST.get(FIELD_NAME, "")
    if not raw:
        raise FormTokenError(EXPIRED)
    try:
        value = signing.Signer(salt=_SALT).unsign(raw)
    except signing.BadSignature as error:
        raise FormTokenError(EXPIRED) from error
    owner, _, hex_value = value.partition("-")
    try:
        token = uuid.UUID(hex=hex_value)
    except ValueError as error:
        raise FormTokenError(EXPIRED) from error
    if owner != _owner(request.user):
        raise FormTokenError(OTHER_USER)
    return token


def refuse(request: HttpRequest, message: str) -> HttpResponse:
    """The 400 page, in the site's layout, saying what to do."""
    return render(request, "400.html", {"message": message}, status=400)


def _claim(*, token: uuid.UUID, user) -> FormSubmission | None:
    """Insert the token; None when it is already claimed (waits for a claim in progress)."""
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=token, user=user, result_url="")
    except IntegrityError:
        return None


def _replay(request: HttpRequest, *, token: uuid.UUID) -> HttpResponse:
    earlier = FormSubmission.objects.filter(token=token).first()
    if earlier is None or earlier.user_id != request.user.pk or not earlier.result_url:
        return refuse(request, EXPIRED)
    logger.info("form token %s replayed by user %s", token, request.user.pk)
    messages.info(request, REPLAYED)
    return redirect(earlier.result_url)


def submit_once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a POST of `view` at most once per form token; other methods pass through.

    The view runs inside one transaction that first claims the token. When it redirects
    (it created something), the redirect target is kept as the token's result; any other
    answer (a form with errors) gives the token back, so the corrected form can be sent.
    Put it under the permission checks, so they answer first.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            token = read_token(request=request)
        except FormTokenError as error:
            logger.warning("form token refused on %s for user %s: %s", request.path, request.user.pk, error)
            return refuse(request, error.message)
        with transaction.atomic():
            claim = _claim(token=token, user=request.user)
            if claim is None:
                return _replay(request, token=token)
            response = view(request, *args, **kwargs)
            if response.status_code in _REDIRECTS and response.has_header("Location"):
                claim.result_url = response["Location"]
                claim.save(update_fields=["result_url"])
            else:
                claim.delete()
        return response

    return wrapper
