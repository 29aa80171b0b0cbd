"""Display helpers for the post tray."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe

from core.dates import us_date
from core.rows import text

register = template.Library()

_NO_ADDRESS = (
    '<strong class="text-danger">No postal address on file</strong><br><small>Add the party\'s postal '
    "address on the case before printing; it cannot be recorded as mailed without one.</small>"
)


@register.simple_tag
def to_post_rows(deliveries: list) -> SafeString:
    """The post tray's table rows (one per delivery), written in Python (`core.rows`)."""
    return mark_safe("".join(_to_post_row(delivery) for delivery in deliveries))  # noqa: S308 (escaped)


def _to_post_row(delivery: Any) -> str:
    address = delivery.postal_address
    return (
        f"<tr><td>{text(delivery.case.case_number)}</td>"
        f"<td>{text(delivery.document_title)}</td>"
        f'<td class="text-break">{text(delivery.recipient_name)}<br>'
        f'<small class="text-muted">{text(delivery.get_recipient_role_display())}</small></td>'
        f'<td class="text-break">{linebreaksbr(address, autoescape=True) if address else _NO_ADDRESS}</td>'
        f"<td>{us_date(delivery.document_date)}</td>"
        f"<td>{int(delivery.document_pages)}</td></tr>\n"
    )
