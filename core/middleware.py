"""Middleware of the floor layer."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

# Control characters (NUL included) and lone surrogates (what undecodable bytes become) have no
# place in any of the site's addresses; the database refuses a NUL outright (a 500 if unchecked).
_INVALID_PATH_CHARACTER = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class InvalidPathMiddleware:
    """Answer 404 (the site's page) for a path holding a character no URL of the site has."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _INVALID_PATH_CHARACTER.search(request.path_info):
            raise Http404("No such page.")
        return self.get_response(request)
