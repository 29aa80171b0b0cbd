"""Display helpers for the clinical review pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.dates import us_date, us_datetime
from core.rows import text, url_maker
from determinations.models import DeterminationStatus

register = template.Library()

_EXPEDITED = '<span class="badge text-bg-danger">Expedited</span>'


@register.simple_tag
def qa_queue_rows(rows: list) -> SafeString:
    """The QA queue's table rows (`selectors.qa_queue`'s rows), written in Python (`core.rows`)."""
    qa_url = url_maker("review:qa_determination", "determination_id")
    return mark_safe("".join(_qa_row(row, qa_url(row.determination.pk)) for row in rows))  # noqa: S308 (escaped)


def _qa_row(row: Any, url: str) -> str:
    case, determination = row.case, row.determination
    number = text(case.case_number)
    if row.overdue:
        days_class, days = "overdue", f"{int(row.days_left)} (overdue)"
    elif row.days_left is None:
        days_class, days = "", "—"
    else:
        days_class, days = ("due-soon" if row.days_left <= 3 else ""), str(int(row.days_left))
    reviewer = determination.reviewer
    reviewer_number = (reviewer.reviewer_number if reviewer is not None else "") or "—"
    submitted = determination.submitted_at
    approved = determination.status == DeterminationStatus.APPROVED
    return (
        f'<tr data-case="{number}"><th scope="row"><a href="{text(url)}">{number}</a></th>'
        f"<td>{_EXPEDITED if case.is_expedited else 'Standard'}</td>"
        f"<td>{us_date(case.determination_due) or '—'}</td>"
        f'<td class="{days_class}">{days}</td>'
        f"<td>{text(reviewer_number)}</td>"
        f"<td>{us_datetime(timezone.localtime(submitted)) if submitted else '—'}</td>"
        f"<td>{'Approved, letter pending' if approved else 'To review'}</td></tr>\n"
    )
