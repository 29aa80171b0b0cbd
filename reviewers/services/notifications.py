"""Email a reviewer that a case was offered to them (no PHI: the case number and a link)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core import clock
from imr_site.links import absolute_reverse
from reviewers.models import Assignment


def notify_assigned_reviewer(*, assignment_id: int) -> bool:
    """Send the offer email once; False when already sent, withdrawn, or the reviewer has no email."""
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("case", "reviewer__user")
            .filter(pk=assignment_id)
            .first()
        )
        if assignment is None or assignment.notified_at is not None or not assignment.active:
            return False
        address = assignment.reviewer.user.email
        if not address:
            return False
        link = absolute_reverse("review:reviewer_home")
        case_number = assignment.case.case_number
        send_mail(
            subject=f"IMR case {case_number} offered to you",
            message=(
                f"Case {case_number} has been offered to you for Independent Medical Review "
                f"(reviewer {assignment.reviewer.reviewer_number}).\n\n"
                f"Sign in to review the case, then accept it (attesting no conflict of interest) "
                f"or decline it:\n{link}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
        )
        # Marked inside the lock: a second run waits for this one and then sees it sent.
        Assignment.objects.filter(pk=assignment.pk).update(notified_at=clock.now())
    return True
