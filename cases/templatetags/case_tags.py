"""Small display helpers for the staff case pages."""

from django import template

register = template.Library()


@register.filter
def event_kind(kind: str) -> str:
    """`eligibility_override` -> `Eligibility override`."""
    return (kind or "").replace("_", " ").capitalize()
