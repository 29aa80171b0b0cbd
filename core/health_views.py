"""/healthz: no login, JSON, 200 when every check of core.health passes and 503 otherwise."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from core import health
from core.http import require_GET


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report = health.run_checks()
    return JsonResponse(report.as_json(), status=200 if report.ok else 503)
