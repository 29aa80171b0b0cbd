"""The one clock: every service, selector, view, form and task asks it for the date or the time.

`today()` is the date in the project's TIME_ZONE (California: deadlines count Pacific days);
`now()` is the current instant, timezone-aware. Tests freeze both with time-machine
(`frozen_today` in tests/conftest.py), never by patching a module.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def today() -> date:
    """Today's date in the project's time zone."""
    return timezone.localdate()


def now() -> datetime:
    """The current moment, timezone-aware (UTC, as Django stores it; `timezone.localtime` shows it local)."""
    return timezone.now()
