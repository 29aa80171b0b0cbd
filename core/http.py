"""Method checks that answer 405 with a page in the site's layout (and the Allow header).

Django's own `require_http_methods` answers with an empty 405, and Django has no handler405;
these replace it wherever a view takes only some methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.log import log_response

METHOD_LABELS = {"GET": "opened as a page", "HEAD": "opened as a page", "POST": "sent from a form"}


def method_not_allowed(request: HttpRequest, *, allowed: Iterable[str]) -> HttpResponse:
    allowed = list(allowed)
    response = TemplateResponse(
        request,
        "405.html",
        {"allowed": allowed, "how": [METHOD_LABELS.get(m, m) for m in allowed if m != "HEAD"]},
        status=405,
    )
    response["Allow"] = ", ".join(allowed)
    response.render()
    log_response(
        "Method Not Allowed (%s): %s", request.method, request.path, response=response, request=request
    )
    return response


def require_http_methods(methods: Iterable[str]) -> Callable:
    allowed = list(methods)

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in allowed:
                return method_not_allowed(request, allowed=allowed)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


require_GET = require_http_methods(["GET", "HEAD"])
require_POST = require_http_methods(["POST"])
