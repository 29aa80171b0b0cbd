"""Celery doors into the workflow services: each takes ids (or nothing) and calls one service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def mark_overdue_cases() -> dict[str, int]:
    from cases.services.notices import mark_overdue_cases as mark

    update = mark()
    return {"marked": update.marked, "cleared": update.cleared}


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_deadline_digest() -> int:
    from cases.services.notices import send_deadline_digest as send

    return send()


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def notify_parties_expedited_task(case_id: int) -> int:
    from cases.services.notices import notify_parties_expedited

    return notify_parties_expedited(case_id=case_id)
