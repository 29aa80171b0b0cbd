"""The precedent panel under each disputed item of the reviewer's decision form.

Registered into `determinations.panels` (imported by `LibraryConfig.ready()`). Read-only: it
shows the nearest past decided items of the same category from the library (redacted when
published, so no party of another case and no reviewer appears), and writes one access log
entry (naming the case being reviewed) per form shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from cases.models import AccessAction, Case, DisputedItem
from cases.services.audit import log_access
from determinations.panels import register_item_panel
from library.selectors import precedent_panels

# Disputed items beyond this many (a case has about 1.6) get no panel: the form stays bounded.
MAX_PANELS = 10


@register_item_panel
def precedent_panel(
    *, request: HttpRequest, case: Case, items: Sequence[DisputedItem]
) -> dict[int, SafeString]:
    shown = list(items)[:MAX_PANELS]
    if not shown:
        return {}
    panels = precedent_panels(items=shown)
    # Not tied to the case row: the case file view logs its own view of the case; this entry
    # records which (published, redacted) library data the reviewer was shown beside it.
    log_access(
        user=getattr(request, "user", None),
        case=None,
        action=AccessAction.SEARCH,
        object_repr=f"precedents shown for {len(shown)} item(s) of {case.case_number}",
        request=request,
    )
    return {
        panel.item.pk: SafeString(render_to_string("library/_precedents.html", {"panel": panel}))
        for panel in panels
    }
