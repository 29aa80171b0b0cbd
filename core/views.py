"""Error pages in the site's layout (registered in imr_site/urls.py).

404 and 403 render with the request, so the navigation shows the user's workspaces. 400
and 500 render without it: the request may have failed before the user was known, or the
database may be down, so those pages need nothing but settings.
"""

from __future__ import annotations

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def _safe_context(**extra) -> dict:
    """What base.html needs without a request: no user, no messages, no database."""
    return {"IMRO_NAME": settings.IMRO_NAME, "IMRO_SHORT_NAME": settings.IMRO_SHORT_NAME, **extra}


def _message(exception: Exception | None) -> str:
    """The exception's own words when the code raised it with a sentence for people.

    URL resolution raises Http404 with a dict of internals, which is never shown.
    """
    if exception is None or not exception.args or not isinstance(exception.args[0], str):
        return ""
    return exception.args[0]


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = loader.get_template("400.html")
    return HttpResponseBadRequest(template.render(_safe_context()))


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = loader.get_template("403.html")
    return HttpResponseForbidden(template.render({"message": _message(exception)}, request))


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _message(exception) if isinstance(exception, Http404) else ""
    template = loader.get_template("404.html")
    return HttpResponseNotFound(template.render({"message": message, "request_path": request.path}, request))


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render(_safe_context()))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without a valid CSRF cookie (often: the session ended while it was open)."""
    template = loader.get_template("403_csrf.html")
    return HttpResponseForbidden(template.render(_safe_context()))
