"""Small display helpers for the staff case pages."""

from django import template

from cases.models import CaseEventKind

register = template.Library()


@register.filter
def event_kind(kind: str) -> str:
    """The human label of a CaseEvent kind (`document_added` -> `Document added`).

    Every kind written is a CaseEventKind; a value from before a kind was listed is made
    readable rather than shown as a code.
    """
    try:
        return str(CaseEventKind(kind).label)
    except ValueError:
        return (kind or "").replace("_", " ").capitalize()
