"""Celery doors into the reviewers services: they take ids and call one service each."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def assign_reviewer_task(case_id: int) -> int | None:
    """Pick a reviewer for a case that is ready for assignment; returns the assignment id."""
    from reviewers.services.assignment import assign_case_automatically

    assignment = assign_case_automatically(case_id=case_id)
    return assignment.pk if assignment is not None else None


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def notify_assigned_reviewer_task(assignment_id: int) -> bool:
    """Email the reviewer about the offer (at most once per assignment)."""
    from reviewers.services.notifications import notify_assigned_reviewer

    return notify_assigned_reviewer(assignment_id=assignment_id)
