"""Security middleware (issue 13), in settings.MIDDLEWARE's order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_otp import user_has_device

from imr_site.client_ip import client_ip
from imr_site.security import sessions

logger = logging.getLogger("imr_site.security")

GetResponse = Callable[[HttpRequest], HttpResponse]


def second_factor_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view a password-only session may see (log-in steps, enrollment, log-out)."""
    view.second_factor_exempt = True  # type: ignore[attr-defined]
    return view


def client_of(request: HttpRequest) -> str:
    return f"ip={client_ip(request) or '?'} ua={request.META.get('HTTP_USER_AGENT', '?')[:200]!r}"


class SessionTimeoutMiddleware:
    """Log a session off after SESSION_IDLE_TIMEOUT seconds without a request, and at the latest
    SESSION_ABSOLUTE_LIFETIME after log-in. The session is flushed on the server."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        reason = sessions.expired(session)
        if reason is not None:
            user_id = session.get(auth.SESSION_KEY)
            auth.logout(request)
            logger.info("session ended (%s) user_id=%s %s", reason, user_id, client_of(request))
            minutes = settings.SESSION_IDLE_TIMEOUT // 60
            messages.info(
                request,
                f"You were logged out after {minutes} minutes without activity. Log in again."
                if reason == "idle"
                else "Your session reached its time limit. Log in again.",
            )
        elif auth.SESSION_KEY in session:
            sessions.note_activity(session)
        return self.get_response(request)


class SecondFactorRequiredMiddleware:
    """Every page but the log-in steps refuses a session that has not passed the second factor.

    With OTP_REQUIRED on (DEBUG off) that is every user; with it off (the demo) only users who
    enrolled a device are asked for it.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if getattr(view_func, "second_factor_exempt", False) or not getattr(
            view_func, "login_required", True
        ):
            return None
        if getattr(user, "is_verified", lambda: False)():
            return None
        enrolled = user_has_device(user)
        if not enrolled and not settings.OTP_REQUIRED:
            return None
        step = "second_factor" if enrolled else "second_factor_setup"
        logger.info(
            "password-only session refused at %s user=%s %s", request.path, user.pk, client_of(request)
        )
        return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")


class NoStoreMiddleware:
    """Pages carry health information: no browser or proxy keeps a copy (Cache-Control: no-store)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


class RequestBodyLimitMiddleware:
    """Refuse a request whose body is larger than REQUEST_MAX_BODY_BYTES with a 413 page,
    before anything reads it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body then
        limit = settings.REQUEST_MAX_BODY_BYTES
        if length > limit:
            logger.warning(
                "request body of %s bytes refused at %s %s", length, request.path, client_of(request)
            )
            if request.path.startswith("/api/"):
                # The API's clients read JSON errors (DRF's {"detail": ...}), not a page.
                response: HttpResponse = JsonResponse(
                    {
                        "detail": f"The request body is {length:,} bytes; the limit is "
                        f"{limit // (1024 * 1024)} MB. Send large records one file per request."
                    },
                    status=413,
                )
            else:
                response = render(
                    request, "413.html", {"limit_mb": limit // (1024 * 1024), "length": length}, status=413
                )
            response["Connection"] = "close"
            return response
        return self.get_response(request)
