"""Each staff user's last sort and filters of the work queues (cases.models.QueueView)."""

from __future__ import annotations

from django.contrib.auth.models import User

from cases.models import QueueView

QUEUE_VIEW_FIELDS = ("sort", "priority", "category", "overdue", "reviewer_number")


def saved_queue_view(*, user: User) -> QueueView | None:
    return QueueView.objects.filter(user=user).first()


def save_queue_view(*, user: User, saved: QueueView | None, values: dict) -> None:
    """Keep `values` (checked values of QUEUE_VIEW_FIELDS) as the user's queue view; no write
    when they are what is saved already."""
    if saved is not None and all(getattr(saved, name) == values[name] for name in QUEUE_VIEW_FIELDS):
        return
    QueueView.objects.update_or_create(user=user, defaults={name: values[name] for name in QUEUE_VIEW_FIELDS})


def reset_queue_view(*, user: User) -> None:
    QueueView.objects.filter(user=user).delete()


def as_params(view: QueueView) -> dict[str, str]:
    """The saved view as the queue's query parameters."""
    return {
        "sort": view.sort,
        "priority": view.priority,
        "category": view.category,
        "overdue": "1" if view.overdue else "",
        "reviewer": view.reviewer_number,
    }
