"""Every API error answers the same JSON: {"errors": [{"path": ..., "message": ...}]}.

`path` is the field at fault in the `import_cases` notation (`disputed_items[1].ur_decision`;
"" for the request as a whole), so a rejected application reads as the command's errors.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cases.errors import IntakeError
from core.errors import DomainError


def error_body(errors: list[tuple[str, str]]) -> dict[str, Any]:
    return {"errors": [{"path": path, "message": message} for path, message in errors]}


def _flatten(detail: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(detail, dict):
        out: list[tuple[str, str]] = []
        for key, value in detail.items():
            path = "" if key == "non_field_errors" else (f"{prefix}.{key}" if prefix else str(key))
            out += _flatten(value, path)
        return out
    if isinstance(detail, list):
        return [pair for item in detail for pair in _flatten(item, prefix)]
    return [(prefix, str(detail))]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, IntakeError):
        return Response(error_body(exc.errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        code = getattr(exc, "status", status.HTTP_400_BAD_REQUEST)
        return Response(error_body([(exc.field or "", exc.message)]), status=code)
    if isinstance(exc, Http404):
        return Response(error_body([("", str(exc) or "Not found.")]), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        response.data = error_body([("", f"The request body is not valid: {exc.detail}")])
    else:
        response.data = error_body(_flatten(response.data.get("detail", response.data)))
    return response
