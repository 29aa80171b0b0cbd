"""The session's two clocks: the last request (idle logoff) and the log-in (absolute lifetime).

Both are kept in the session as POSIX seconds from `core.clock`, so tests move them with
time-machine like every other clock in the project.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from core import clock

LAST_ACTIVITY_KEY = "_security_last_activity"
AUTH_TIME_KEY = "_security_auth_time"
# The last-activity stamp is rewritten at most this often, so most requests do not write the
# session row. The stamp may lag the real last request by up to this much, so an idle session
# ends up to that much early, never late (pages count down from the same stamp). Query-count
# tests rely on it too: a request within a minute of the last stamp writes no session row.
ACTIVITY_RESOLUTION = 60


def start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On every log-in (the password step): both clocks start now."""
    session = getattr(request, "session", None)
    if session is None:
        return
    stamp = clock.now().timestamp()
    session[AUTH_TIME_KEY] = stamp
    session[LAST_ACTIVITY_KEY] = stamp


def touch(session: SessionBase) -> None:
    session[LAST_ACTIVITY_KEY] = clock.now().timestamp()


def expired(session: SessionBase) -> str | None:
    """Why this logged-in session is over ("idle" or "lifetime"), or None while it may go on."""
    if auth.SESSION_KEY not in session:
        return None
    now = clock.now().timestamp()
    last = session.get(LAST_ACTIVITY_KEY)
    started = session.get(AUTH_TIME_KEY)
    if last is None or started is None:
        return "lifetime"  # a session from before the clocks were kept: log in again
    if now - started > settings.SESSION_ABSOLUTE_LIFETIME:
        return "lifetime"
    if now - last > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return None


def note_activity(session: SessionBase) -> None:
    """Move the idle clock to now when it is more than ACTIVITY_RESOLUTION seconds behind
    (or ahead: a clock moved back)."""
    now = clock.now().timestamp()
    last = session.get(LAST_ACTIVITY_KEY)
    if last is None or now - last >= ACTIVITY_RESOLUTION or now < last:
        session[LAST_ACTIVITY_KEY] = now


def seconds_left(session: SessionBase) -> int:
    """Seconds until idle logoff (never past the absolute lifetime)."""
    now = clock.now().timestamp()
    last = session.get(LAST_ACTIVITY_KEY, now)
    started = session.get(AUTH_TIME_KEY, now)
    idle_left = settings.SESSION_IDLE_TIMEOUT - (now - last)
    lifetime_left = settings.SESSION_ABSOLUTE_LIFETIME - (now - started)
    return max(0, int(min(idle_left, lifetime_left)))
