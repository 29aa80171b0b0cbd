"""The daily digest of background jobs failing for more than an hour.

Emailed to every active Administrator with an email address (the role that may manage jobs,
`core.manage_outboxjob`), and always written to the log as a warning, so a site with no
administrator's address still has the record.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q

from core import clock
from core.models import OutboxJob, OutboxState
from imr_site import roles
from imr_site.links import absolute_reverse

log = logging.getLogger(__name__)

FAILING_FOR = timedelta(hours=1)


def failing_jobs(*, now=None) -> list[OutboxJob]:
    """Rows still open or given up whose first failure is more than an hour old, oldest first."""
    now = now or clock.now()
    return list(
        OutboxJob.objects.filter(
            state__in=[OutboxState.PENDING, OutboxState.RUNNING, OutboxState.FAILED],
            failing_since__lt=now - FAILING_FOR,
        ).order_by("failing_since", "pk")
    )


def digest_recipients() -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    admins = users.filter(Q(is_superuser=True) | Q(groups__name=roles.ADMINISTRATOR)).distinct()
    return sorted(admins.values_list("email", flat=True))


def _first_line(text: str) -> str:
    return text.splitlines()[0][:200] if text else ""


def send_failing_jobs_digest() -> int:
    """Email (and log) the jobs failing for more than an hour; returns how many."""
    now = clock.now()
    jobs = failing_jobs(now=now)
    if not jobs:
        return 0
    lines = [
        f"#{job.pk} {job.kind} [{job.get_state_display()}] {job.attempts} attempt(s), failing since "
        f"{job.failing_since:%Y-%m-%d %H:%M} UTC: {_first_line(job.last_error)}"
        for job in jobs
    ]
    summary = f"{len(jobs)} background job(s) failing for more than an hour"
    log.warning("%s:\n%s", summary, "\n".join(lines))
    recipients = digest_recipients()
    if recipients:
        EmailMessage(
            subject=f"IMR jobs: {summary}",
            body=f"{summary}:\n\n" + "\n".join(lines) + f"\n\nJobs page: {absolute_reverse('jobs')}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        ).send()
    return len(jobs)
