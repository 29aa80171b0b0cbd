from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from django.urls import reverse

from imr_site.security import sessions


def session_timeout(request: HttpRequest) -> dict:
    """What the idle warning (static/js/idle-logoff.js) needs: seconds left, when to warn."""
    session = getattr(request, "session", None)
    if session is None or auth.SESSION_KEY not in session:
        return {}
    return {
        "session_idle": {
            "seconds_left": sessions.seconds_left(session),
            "warning": settings.SESSION_IDLE_WARNING,
            "keepalive_url": reverse("session_keepalive"),
        }
    }
