"""An organization's users reach the portal and nothing else: every other page is a 404 for them.

Membership is read once, at log-in (`portal.signals`), and kept in the session, so the pages of
staff and reviewers cost no extra query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

SESSION_KEY = "portal_organization_id"
# What an organization's user may open besides the portal: logging in and out, the second
# factor, static files, the home page (which sends them to the portal) and the public pages.
STAFF_PREFIX = "/portal/staff/"
OPEN_PREFIXES = ("/portal/", "/accounts/", "/static/", "/api/", "/decisions/", "/healthz")


class OrganizationUsersInPortalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        session = getattr(request, "session", None)
        if session is None or not session.get(SESSION_KEY):
            return None
        path = request.path_info
        if (path == "/" or path.startswith(OPEN_PREFIXES)) and not path.startswith(STAFF_PREFIX):
            return None
        raise Http404("No such page.")
