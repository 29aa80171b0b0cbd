"""The public decision library: the only pages besides login that need no login.

They read only the library's redacted tables (`library.selectors`), never the session or the
user (so a cached page is the same for everyone), and are rate-limited per IP address
(django-ratelimit, on the default cache) and cached (`LIBRARY_CACHE_SECONDS`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import cache_page
from django_ratelimit.decorators import ratelimit

from core.http import require_GET
from library import selectors
from library.forms import DecisionSearchForm
from library.services.publication import ensure_redacted_letter


def public_rate(group: str, request: HttpRequest) -> str:
    """Requests per IP address, e.g. '60/m' (read per request, so a setting change applies)."""
    return settings.LIBRARY_PUBLIC_RATE


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "library/too_many.html",
        {"rate": settings.LIBRARY_PUBLIC_RATE},
        status=429,
    )
    response["Retry-After"] = "60"
    return response


def _search_page(request: HttpRequest) -> HttpResponse:
    form = DecisionSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "library/search.html", {"form": form, "page_obj": None}, status=400)
    page_obj = selectors.public_search(filters=form.filters()).get_page(form.cleaned_data.get("page") or 1)
    # `excerpt` is the selector's annotation (a highlight on PostgreSQL).
    rows = [(item, selectors.excerpt_html(str(getattr(item, "excerpt", "")))) for item in page_obj]
    return render(
        request,
        "library/search.html",
        {
            "form": form,
            "page_obj": page_obj,
            "rows": rows,
            "max_page": selectors.PUBLIC_MAX_PAGE,
            "max_rows": selectors.PUBLIC_MAX_PAGE * selectors.PUBLIC_PAGE_SIZE,
        },
    )


def _cached(view):
    def wrapper(request: HttpRequest) -> HttpResponse:
        return cache_page(settings.LIBRARY_CACHE_SECONDS)(view)(request)

    return wrapper


_cached_search_page = _cached(_search_page)


@login_not_required
@require_GET
@ratelimit(key="ip", rate=public_rate, block=False)
def decisions(request: HttpRequest) -> HttpResponse:
    """Search the issued determinations (redacted); no login."""
    if getattr(request, "limited", False):
        return _too_many(request)
    return _cached_search_page(request)


@login_not_required
@require_GET
@ratelimit(key="ip", rate=public_rate, block=False)
def redacted_letter(request: HttpRequest, case_number: str) -> HttpResponseBase:
    """The published (redacted) letter of an issued case: stored once, made on first request
    when the publication task has not made it yet."""
    if getattr(request, "limited", False):
        return _too_many(request)
    determination_id = selectors.published_letter_for(case_number=case_number)
    if determination_id is None:
        raise Http404("No published decision with this case number.")
    # The copy of the latest issued version (a correction gets its own copy), made if missing.
    letter = ensure_redacted_letter(determination_id=determination_id)
    if letter is None:
        raise Http404("No published decision with this case number.")
    return FileResponse(
        letter.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{case_number.upper()}-published.pdf",
    )
