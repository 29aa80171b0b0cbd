"""Emails and bulk flags the periodic and on-commit tasks of the workflow write.

Each is safe to run again: the expedited notice is marked sent on the case under a row
lock, the daily digest has one DeadlineDigest row per day (unique), and the overdue flags
are recomputed from the stored deadlines. Emails name cases only by their case number.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q

from cases import deadlines
from cases.models import OPEN_STATUSES, Case, DeadlineDigest, Party, Priority
from cases.selectors import cases_due_within
from cases.services.workflow import lock_case
from core import clock
from imr_site import roles
from imr_site.links import absolute_reverse

DIGEST_BUSINESS_DAYS = 2


@dataclass(frozen=True)
class OverdueUpdate:
    marked: int
    cleared: int


def mark_overdue_cases() -> OverdueUpdate:
    """Set `overdue` on open cases past their next deadline and clear it everywhere else."""
    now = clock.today()
    late = Q(status__in=OPEN_STATUSES, next_deadline__lt=now)
    with transaction.atomic():
        marked = Case.objects.filter(late, overdue=False).update(overdue=True, updated_at=clock.now())
        cleared = (
            Case.objects.filter(overdue=True).exclude(late).update(overdue=False, updated_at=clock.now())
        )
    return OverdueUpdate(marked=marked, cleared=cleared)


def notify_parties_expedited(*, case_id: int) -> int:
    """Tell every party with an email address that the case is now expedited; returns emails sent."""
    with transaction.atomic():
        case = lock_case(case_id=case_id)
        if case.priority != Priority.EXPEDITED or case.expedited_parties_notified_at is not None:
            return 0
        addresses = sorted(
            {
                email.strip()
                for email in Party.objects.filter(case=case).exclude(email="").values_list("email", flat=True)
            }
        )
        subject = f"IMR case {case.case_number} is now expedited"
        body = (
            f"Independent Medical Review case {case.case_number} has been converted to expedited review "
            "on the treating physician's certification of an imminent and serious threat to the "
            "employee's health.\n\n"
            "Shorter time limits now apply: medical records are due within 24 hours, and the "
            "determination within 3 calendar days.\n\n"
            f"{settings.IMRO_NAME}\n"
        )
        # One message per party, so no party sees another's address.
        messages = [
            EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses
        ]
        sent = get_connection().send_messages(messages) if messages else 0
        case.expedited_parties_notified_at = clock.now()
        case.save(update_fields=["expedited_parties_notified_at", "updated_at"])
    return sent or 0


def digest_recipients() -> list[str]:
    staff = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.INTAKE_STAFF)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(
        {address.strip().lower() for address in [*settings.INTAKE_STAFF_EMAILS, *staff] if address.strip()}
    )


def send_deadline_digest() -> int:
    """Email intake staff the open cases due within 2 business days (once a day); returns case count."""
    now = clock.today()
    until = deadlines.add_business_days(now, DIGEST_BUSINESS_DAYS)
    due = list(cases_due_within(until=until))
    recipients = digest_recipients()
    if not due or not recipients:
        return 0
    with transaction.atomic():
        try:
            # A savepoint: the unique day is the lock; a second run waits here, then stops.
            with transaction.atomic():
                DeadlineDigest.objects.create(sent_on=now, case_count=len(due), recipients=recipients)
        except IntegrityError:
            return 0
        lines = []
        for case in due:
            due_on = case.next_deadline
            assert due_on is not None  # only cases with a deadline are due
            left = (due_on - now).days
            when = (
                f"{-left} day(s) OVERDUE"
                if left < 0
                else ("due today" if left == 0 else f"{left} day(s) left")
            )
            lines.append(
                f"{case.case_number}  {case.get_status_display():<22} {case.get_priority_display():<10} "
                f"due {due_on.isoformat()}  ({when})"
            )
        body = (
            f"Open IMR cases due by {until.isoformat()} ({DIGEST_BUSINESS_DAYS} business days):\n\n"
            + "\n".join(lines)
            + f"\n\n{len(due)} case(s). Work queues: {absolute_reverse('cases:queues')}\n"
        )
        EmailMessage(
            subject=f"IMR deadlines: {len(due)} case(s) due by {until.isoformat()}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        ).send()
    return len(due)
