"""django-axes' log-in records in the admin, bounded like the case lists (core.admin).

Every log-in, log-out and failure is a row: a year of staff and parties is hundreds of
thousands. Axes' own admins show 100 rows, count them all, read the distinct dates of every row
for `date_hierarchy` and the distinct paths of every row for the `path_info` filter. Here: 25
rows a page, a count capped at 1,000, a date filter instead of the hierarchy, no path filter
(the path stays searchable), and axes' search, rows and detail pages otherwise as they are."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from core.admin import CappedCountPaginator, QuickRowsAdmin


def _bounded(base: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    class Bounded(QuickRowsAdmin, base):  # type: ignore[valid-type, misc]
        list_per_page = 25
        show_full_result_count = False
        paginator = CappedCountPaginator
        date_hierarchy = None
        list_filter = [name for name in base.list_filter if name != "path_info"]

    Bounded.__name__ = Bounded.__qualname__ = base.__name__
    return Bounded


for _model, _base in (
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
    (AccessAttempt, AccessAttemptAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _bounded(_base))
