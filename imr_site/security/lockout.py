"""The page django-axes answers with while a username or an address is locked out."""

from __future__ import annotations

import logging
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core import clock
from imr_site.security.middleware import client_of

logger = logging.getLogger("imr_site.security")


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    # Every attempt during a lockout starts the cool-off again (axes'
    # AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the lock lasts the cool-off from now.
    cool_off = get_cool_off(request)
    unlock_at = timezone.localtime(clock.now() + cool_off) if cool_off else None
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning("log-in refused: locked out username=%r %s", username, client_of(request))
    return render(
        request,
        "registration/locked_out.html",
        {"unlock_at": unlock_at, "cool_off": cool_off, "username": username},
        status=429,
    )
