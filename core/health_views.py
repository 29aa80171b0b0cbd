"""/healthz: no login, JSON, 200 when every check of core.health passes and 503 otherwise.

`/healthz?check=database` (or `?check=database,broker`) runs only the named checks: a load
balancer asks whether this web process can serve (its database), a monitor asks about the
whole set (workers, beat, and whatever other apps registered).
"""

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
    names = None
    if "check" in request.GET:
        names = [name.strip() for name in request.GET["check"].split(",") if name.strip()]
        unknown = [name for name in names if name not in health.registered()]
        if unknown or not names:
            return JsonResponse(
                {
                    "error": f"unknown check: {', '.join(unknown) or '(none named)'}",
                    "checks": health.registered(),
                },
                status=400,
            )
    report = health.run_checks(names)
    return JsonResponse(report.as_json(), status=200 if report.ok else 503)
