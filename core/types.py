"""Types shared by the apps' views."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind `login_required` (or a role check): `user` is a signed-in User.

    For type checking only (django-stubs' recommended idiom); Django passes a plain HttpRequest.
    """

    user: User
    htmx: HtmxDetails  # django_htmx.middleware.HtmxMiddleware
