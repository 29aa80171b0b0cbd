"""The one write a report makes: the access-log rows of the cases it showed."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

from cases.models import AccessAction
from cases.services.audit import log_command_access, log_listed_cases
from reports.selectors import ReportResult


def log_report_read(
    *, result: ReportResult, user: User | None, request: HttpRequest | None, export: bool
) -> int:
    """One access-log row per case the report showed (none for a report of counts only).

    A page or a download records the user and the request; the command (no request) its OS
    user and command line."""
    if not result.case_ids:
        return 0
    action = AccessAction.EXPORT if export else AccessAction.VIEW_CASE
    what = f"report {result.kind} {result.period.start.isoformat()}..{result.period.end.isoformat()}"
    if request is None:
        return log_command_access(case_ids=result.case_ids, action=action, object_repr=what)
    log_listed_cases(user=user, case_ids=result.case_ids, action=action, object_repr=what, request=request)
    return len(result.case_ids)
