"""Panels a higher app shows beside each disputed item of the reviewer's decision form.

`determinations` must not import the apps above it. The library app registers its precedent
panel here from `AppConfig.ready()`; the case file view asks `item_panels` for the panels of
the items it shows and the template prints them under each item, read-only. A provider gets
the request, the case and its disputed items and returns {disputed item id: HTML}; it owns
its queries (a fixed number for the whole form) and its access log entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from django.http import HttpRequest
from django.utils.safestring import SafeString

from cases.models import Case, DisputedItem

ItemPanelProvider = Callable[..., dict[int, SafeString]]

_providers: list[ItemPanelProvider] = []


def register_item_panel(provider: ItemPanelProvider) -> ItemPanelProvider:
    """Register `provider(request=..., case=..., items=...)`; importing twice is harmless."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_item_panel(provider: ItemPanelProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def item_panels(
    *, request: HttpRequest, case: Case, items: Sequence[DisputedItem]
) -> dict[int, list[SafeString]]:
    """{disputed item id: [panel HTML, ...]} from every registered provider, in registration order."""
    panels: dict[int, list[SafeString]] = defaultdict(list)
    if not items:
        return panels
    for provider in _providers:
        for item_id, html in provider(request=request, case=case, items=items).items():
            panels[item_id].append(html)
    return panels
