from django import template
from django.utils.html import format_html

from core.form_tokens import FIELD_NAME, issue_token

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context) -> str:
    """A hidden one-time token for the form it sits in: fresh on every rendering."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, issue_token(user=user))
