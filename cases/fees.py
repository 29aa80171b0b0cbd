"""Which fee of the schedule (domain.md) a case owes, decided from its recorded events.

The amounts live in `cases.deadlines.compute_fee_usd`; this module says, once, what of a case
feeds it:

- **outcome**: the first state the case entered that ends a review for billing: the letter
  issued (`determination_issued`), or the case withdrawn, terminated or found ineligible
  (dismissed). A remand after the letter does not bill the case again.
- **reached a reviewer**: the case ever entered `assigned` (a reviewer was offered it and saw
  the file). Read from the transition events, which imported history records as well.
- **ended before a reviewer**: the outcome is withdrawn, terminated or ineligible and the case
  never reached a reviewer: the reduced fee (2014-04-01 on).
- **pharmacy-only**: every disputed item is a pharmaceutical.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Exists, Min, OuterRef, Subquery

from cases.deadlines import compute_fee_usd
from cases.models import CaseEvent, CaseEventKind, CaseStatus, ItemCategory, Priority

S = CaseStatus
ENDED_WITHOUT_DECISION = (S.WITHDRAWN, S.TERMINATED, S.INELIGIBLE)
# The states whose first entry bills a case.
BILLING_OUTCOMES = (S.DETERMINATION_ISSUED, *ENDED_WITHOUT_DECISION)
# Entering one of these means a reviewer had the case.
REVIEWER_STATES = (S.ASSIGNED,)


def _transitions_into(states: Iterable[str]):
    return CaseEvent.objects.filter(
        case=OuterRef("pk"), kind=CaseEventKind.TRANSITION, to_status__in=list(states)
    )


def reached_reviewer_expression() -> Exists:
    """SQL: the case ever entered a reviewer's hands (annotate a Case queryset with it)."""
    return Exists(_transitions_into(REVIEWER_STATES))


def outcome_on_expression() -> Subquery:
    """SQL: the date of the first billing outcome (None while the case has none)."""
    first = (
        _transitions_into(BILLING_OUTCOMES)
        .order_by()
        .values("case")
        .annotate(first=Min("effective_on"))
        .values("first")
    )
    return Subquery(first)


def outcome_expression() -> Subquery:
    """SQL: the state of the first billing outcome (None while the case has none)."""
    return Subquery(
        _transitions_into(BILLING_OUTCOMES).order_by("effective_on", "id").values("to_status")[:1]
    )


def outcome_from_events(events: Iterable[CaseEvent]) -> str:
    """The billing outcome among a case's transition events in date order ("" while none): the
    same rule as `outcome_expression`, for a case whose events are already loaded."""
    return next((e.to_status for e in events if e.to_status in BILLING_OUTCOMES), "")


def reached_reviewer_from_events(events: Iterable[CaseEvent]) -> bool:
    """The same rule as `reached_reviewer_expression`, over loaded transition events."""
    return any(e.to_status in REVIEWER_STATES for e in events)


def is_pharmacy_only(categories: Iterable[str]) -> bool:
    """Every disputed item is a pharmaceutical (and there is at least one)."""
    listed = list(categories)
    return bool(listed) and all(category == ItemCategory.PHARMACEUTICALS for category in listed)


def ended_before_reviewer(*, outcome: str, reached_reviewer: bool) -> bool:
    return outcome in ENDED_WITHOUT_DECISION and not reached_reviewer


def case_fee_usd(
    *, received_on: date, priority: str, categories: Iterable[str], outcome: str, reached_reviewer: bool
) -> int | None:
    """The fee of a case whose billing outcome is `outcome` (None before IMR began in 2013)."""
    return compute_fee_usd(
        received_on=received_on,
        expedited=priority == Priority.EXPEDITED,
        pharmacy_only=is_pharmacy_only(categories),
        ended_before_reviewer=ended_before_reviewer(outcome=outcome, reached_reviewer=reached_reviewer),
    )
