"""Admin pages that show case data write access-log rows like the staff pages do.

`AccessLoggedAdminMixin` goes first in a ModelAdmin's bases and names how a row reaches its
case (`access_log_case_path`: "" for the case itself, "case", "determination__case", ...):
- a change list writes one row per case shown (one INSERT), and a search one more row with
  its text;
- a change page, a history page (the admin's record of changes, which names the object) and a
  delete confirmation page one row each; a saved change one "changed" row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse

from cases.models import AccessAction, Case
from cases.services.audit import log_access, log_listed_cases

if TYPE_CHECKING:  # only ever mixed into a ModelAdmin
    from django.contrib.admin import ModelAdmin

    _Base = ModelAdmin
else:
    _Base = object


class AccessLoggedAdminMixin(_Base):
    access_log_case_path: str = "case"

    def _case_field(self) -> str:
        return self.access_log_case_path or "pk"

    def _case_of(self, obj) -> Case | None:
        if not self.access_log_case_path:
            return obj
        for part in self.access_log_case_path.split("__"):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj

    def _case_id_of(self, obj) -> int | None:
        if not self.access_log_case_path:
            return obj.pk
        *through, last = self.access_log_case_path.split("__")
        for part in through:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id", None)

    def _label(self) -> str:
        return str(self.model._meta.verbose_name)

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if response.status_code != 200 or changelist is None:
            return response
        # Read from the rows already loaded (list_select_related covers longer paths): no query.
        case_ids = sorted({case_id for obj in changelist.result_list if (case_id := self._case_id_of(obj))})
        plural = str(self.model._meta.verbose_name_plural)
        query = changelist.query
        if query:
            log_access(
                user=request.user,  # type: ignore[arg-type]
                case=None,
                action=AccessAction.SEARCH,
                object_repr=f"admin search of {plural}: {query}",
                request=request,
            )
        log_listed_cases(
            user=request.user,  # type: ignore[arg-type]
            case_ids=case_ids,
            action=AccessAction.VIEW_CASE,
            object_repr=f"listed in the admin's {plural}" + (f" for {query}" if query else ""),
            request=request,
        )
        return response

    def _log_object_page(self, request: HttpRequest, response: HttpResponse, what: str) -> None:
        context = getattr(response, "context_data", None) or {}
        obj = context.get("original") or context.get("object")
        if response.status_code != 200 or obj is None:
            return
        case = self._case_of(obj)
        log_access(
            user=request.user,  # type: ignore[arg-type]
            case=case,
            action=AccessAction.VIEW_CASE,
            object_repr=f"admin {what}: {self._label()} {obj.pk}"
            + (f" of {case.case_number}" if case is not None else ""),
            request=request,
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" or response.status_code == 200:
            # Shown (a GET, or a POST answered with the form and its errors): a read.
            self._log_object_page(request, response, "page")
        return response

    def history_view(self, request: HttpRequest, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._log_object_page(request, response, "history")
        return response

    def delete_view(self, request: HttpRequest, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        if request.method == "GET":
            self._log_object_page(request, response, "delete confirmation")
        return response

    def log_change(self, request, obj, message):
        """A saved change (the admin's own LogEntry) also goes to the access log."""
        entry = super().log_change(request, obj, message)
        case = self._case_of(obj)
        log_access(
            user=request.user,
            case=case,
            action=AccessAction.CHANGE,
            object_repr=f"admin change: {self._label()} {obj.pk}"
            + (f" of {case.case_number}" if case is not None else ""),
            request=request,
        )
        return entry
