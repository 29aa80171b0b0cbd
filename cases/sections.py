"""Sections a higher app adds to the staff case page (the Correspondence section, ...).

`cases` must not import the apps above it. A higher app registers a provider here from its
`AppConfig.ready()`; the case page asks `case_sections` for the HTML of every registered
section and prints it below the documents, in registration order. A provider gets the request
and the case (visible to the user: the view checked) and returns HTML, or "" to show nothing;
it owns its queries (a fixed number per page) and its access log entries.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from cases.models import Case

CaseSectionProvider = Callable[..., SafeString | str]

_providers: list[CaseSectionProvider] = []


def register_case_section(provider: CaseSectionProvider) -> CaseSectionProvider:
    """Register `provider(request=..., case=...)`; importing twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_case_section(provider: CaseSectionProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def case_sections(*, request: HttpRequest, case: Case) -> list[SafeString | str]:
    """The HTML of every registered section for `case`, empty ones left out."""
    return [html for provider in _providers if (html := provider(request=request, case=case))]
