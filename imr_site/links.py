"""Absolute links for emails and anything else read outside a browser request.

Every absolute link is built here from the `SITE_URL` setting (the address people reach the
site at), never from a request's host or a hard-coded address: a task has no request, and
an email must point at the real site whatever host served the page that triggered it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse


def absolute_url(path: str) -> str:
    """`SITE_URL` joined with a site path ("/review/"): "https://imr.example.org/review/"."""
    if not path.startswith("/"):
        raise ValueError(f"absolute_url needs a path starting with '/', not {path!r}")
    return settings.SITE_URL.rstrip("/") + path


def absolute_reverse(
    viewname: str, *, args: list[Any] | None = None, kwargs: dict[str, Any] | None = None
) -> str:
    """The absolute link to a named URL, e.g. absolute_reverse("cases:case", args=[case.pk])."""
    return absolute_url(reverse(viewname, args=args, kwargs=kwargs))
