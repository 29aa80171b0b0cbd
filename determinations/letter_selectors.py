"""Reads for the letters and deliveries pages and commands (who may see what, in few queries)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import CharField, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat

from cases.models import Case, Party, PartyRole
from cases.selectors import cases_visible_to
from cases.services.consolidation import review_parties
from core.models import OutboxJob, OutboxState
from core.outbox import OPEN_STATES
from determinations.jobs import ISSUE_LETTER, SEND_DELIVERY
from determinations.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Determination,
    DeterminationStatus,
    Letter,
    Notice,
)

# Who receives a case's letter, in the order the letter names them. The employee always
# receives it; the attorney too when the employee is represented.
LETTER_RECIPIENT_ROLES = (
    PartyRole.EMPLOYEE,
    PartyRole.ATTORNEY,
    PartyRole.REQUESTING_PROVIDER,
    PartyRole.CLAIMS_ADMINISTRATOR,
    PartyRole.EMPLOYER,
)


@dataclass(frozen=True)
class LetterRecipient:
    """One party the letter goes to: named in its copies list and given one Delivery."""

    party: Party
    role: str
    role_label: str
    name: str  # "Name, Organization" as both the letter and the delivery show it
    email: str
    postal_address: str
    method: str  # a DeliveryChannel: email when the party has an email address, else post

    @property
    def address(self) -> str:
        """Where the letter goes by its method."""
        return self.email if self.method == DeliveryChannel.EMAIL else self.postal_address


def recipient_name(*, party: Party) -> str:
    if party.organization and party.organization != party.name:
        return f"{party.name}, {party.organization}"
    return party.name


def letter_recipient(*, party: Party) -> LetterRecipient:
    email = party.email.strip()
    return LetterRecipient(
        party=party,
        role=party.role,
        role_label=PartyRole(party.role).label,
        name=recipient_name(party=party)[:200],
        email=email,
        postal_address=party.mailing_address.strip(),
        method=DeliveryChannel.EMAIL if email else DeliveryChannel.POST,
    )


def letter_recipients(*, case: Case) -> list[LetterRecipient]:
    """The ONE list of a case's letter recipients: the letter's copies list and its deliveries.

    Reads `case.parties.all()` (one query, none when prefetched), and when the case lacks a role,
    the parties of the cases consolidated into it (`review_parties`: one more query).
    """
    parties = review_parties(case=case)
    return [letter_recipient(party=parties[role]) for role in LETTER_RECIPIENT_ROLES if role in parties]


def latest_letter(*, determination: Determination) -> Letter | None:
    return determination.letters.order_by("-version").first()


def letter_source_for_case(*, case_number: str) -> tuple[Determination | None, Letter | None, str]:
    """(determination, issued letter or None, problem): what `render_letter` writes for a case."""
    case = Case.objects.filter(case_number__iexact=case_number).first()
    if case is None:
        return None, None, f"No case numbered {case_number!r}."
    determination = Determination.objects.current().filter(case=case).first()
    if determination is None:
        return None, None, f"Case {case.case_number} has no determination yet."
    letter = latest_letter(determination=determination)
    if letter is not None:
        return determination, letter, ""
    decisions = list(determination.items.values_list("decision", flat=True))
    undecided_items = case.disputed_items.exclude(decisions__determination=determination).count()
    if not decisions or not all(decisions) or undecided_items:
        return (
            None,
            None,
            f"Case {case.case_number} is not decided yet: every disputed item needs a decision.",
        )
    return determination, None, ""


def _next_automatic_try() -> Subquery:
    """When the open outbox job sending a delivery is next due (None when no job is open)."""
    return Subquery(
        OutboxJob.objects.filter(
            kind=SEND_DELIVERY,
            key=Concat(Value("delivery:"), Cast(OuterRef("pk"), CharField())),
            state__in=OPEN_STATES,
        )
        .order_by("next_attempt_at")
        .values("next_attempt_at")[:1]
    )


def case_deliveries_for(*, user: User, case_number: str) -> tuple[Case | None, list[Letter]]:
    """The case (None when unknown or not visible to `user`) and its letters with their deliveries."""
    case = cases_visible_to(user=user).filter(case_number=case_number).first()
    if case is None:
        return None, []
    letters = list(
        Letter.objects.filter(determination__case=case)
        .select_related("determination")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.select_related("resend_of", "party")
                .annotate(next_try_at=_next_automatic_try())
                .order_by("id"),
            )
        )
        .order_by("-version", "-id")
    )
    return case, letters


def deliveries_to_post(*, user: User) -> QuerySet[Delivery]:
    """Letters waiting to be printed and mailed, oldest first.

    For staff who see every case no case filter is written: `case IN (every case)` joined the
    letters to count the few deliveries waiting (the partial index `delivery_to_post` counts
    them alone)."""
    deliveries = Delivery.objects.filter(status=DeliveryStatus.TO_POST)
    if not user.has_perm("cases.view_all_cases"):
        visible = cases_visible_to(user=user)
        deliveries = deliveries.filter(
            Q(letter__determination__case__in=visible) | Q(notice__case__in=visible)
        )
    # Letters and notices alike (the notices app's deliveries share the tray).
    return deliveries.select_related("letter__determination__case", "notice__case", "party").order_by(
        Coalesce("letter__issued_on", "notice__issued_on"), "letter_id", "notice_id", "id"
    )


def letter_visible_to(*, user: User, letter_id: int) -> Letter | None:
    return (
        Letter.objects.select_related("determination__case")
        .filter(pk=letter_id, determination__case__in=cases_visible_to(user=user))
        .first()
    )


def delivery_visible_to(*, user: User, delivery_id: int) -> Delivery | None:
    visible = cases_visible_to(user=user)
    return (
        Delivery.objects.select_related("letter__determination__case", "notice__case")
        .filter(Q(letter__determination__case__in=visible) | Q(notice__case__in=visible), pk=delivery_id)
        .first()
    )


def notice_visible_to(*, user: User, notice_id: int) -> Notice | None:
    return (
        Notice.objects.select_related("case")
        .filter(pk=notice_id, case__in=cases_visible_to(user=user))
        .first()
    )


def case_correspondence(*, case: Case) -> tuple[list[Notice], list[Letter]]:
    """Every notice and letter of `case` with its deliveries (4 queries, whatever their number)."""
    deliveries = Prefetch("deliveries", queryset=Delivery.objects.select_related("resend_of").order_by("id"))
    notices = list(Notice.objects.filter(case=case).prefetch_related(deliveries).order_by("id"))
    letters = list(
        Letter.objects.filter(determination__case=case)
        .prefetch_related(deliveries)
        .order_by("-version", "-id")
    )
    return notices, letters


@dataclass(frozen=True)
class LetterIssueStatus:
    """Where the letter of one determination stands, for the status row (issue 16, item 4).

    `state`: "waiting" (not approved yet), "issuing" (approved, its job open), "failed" (the
    issue job gave up: the operations team sees it on the jobs page), "sending" (issued, an
    email still on its way) or "done" (issued; every delivery sent, posted, failed or waiting
    for the post tray, which is a person's work, not the machine's).
    """

    determination: Determination
    state: str
    letter: Letter | None = None
    total: int = 0  # first deliveries (one per recipient; resends are not counted)
    out: int = 0  # sent by email or mailed by post
    to_post: int = 0
    failed: int = 0

    @property
    def working(self) -> bool:
        """Something is still happening without a person: the page keeps asking."""
        return self.state in ("issuing", "sending")


def letter_issue_status(*, user: User, determination_id: int) -> LetterIssueStatus | None:
    """The issue status of a determination whose case `user` may see; None otherwise.

    Three queries: the determination, then the issue job (not issued yet) or the latest letter
    and its deliveries' counts (issued)."""
    determination = (
        Determination.objects.select_related("case")
        .filter(pk=determination_id, case__in=cases_visible_to(user=user))
        .exclude(status=DeterminationStatus.SUPERSEDED)
        .first()
    )
    if determination is None:
        return None
    return _issue_status(determination=determination)


def case_letter_issue_status(*, case: Case) -> LetterIssueStatus | None:
    """The issue status of the current determination of `case` (already checked visible), when it
    is approved or issued; None before that. Two queries."""
    determination = (
        Determination.objects.current()
        .filter(case=case, status__in=[DeterminationStatus.APPROVED, DeterminationStatus.ISSUED])
        .order_by("-id")
        .first()
    )
    if determination is None:
        return None
    determination.case = case
    return _issue_status(determination=determination)


def _issue_status(*, determination: Determination) -> LetterIssueStatus:
    if determination.status != DeterminationStatus.ISSUED:
        if determination.status != DeterminationStatus.APPROVED:
            return LetterIssueStatus(determination=determination, state="waiting")
        job_state = (
            OutboxJob.objects.filter(kind=ISSUE_LETTER, key=f"determination:{determination.pk}")
            .order_by("-id")
            .values_list("state", flat=True)
            .first()
        )
        gave_up = job_state in (OutboxState.FAILED, OutboxState.CANCELLED)
        return LetterIssueStatus(determination=determination, state="failed" if gave_up else "issuing")
    letter = (
        Letter.objects.filter(determination=determination)
        .annotate(
            total=Count("deliveries", filter=Q(deliveries__resend_of__isnull=True)),
            out=Count(
                "deliveries",
                filter=Q(
                    deliveries__resend_of__isnull=True,
                    deliveries__status__in=[DeliveryStatus.SENT, DeliveryStatus.POSTED],
                ),
            ),
            to_post=Count(
                "deliveries",
                filter=Q(deliveries__resend_of__isnull=True, deliveries__status=DeliveryStatus.TO_POST),
            ),
            failed=Count(
                "deliveries",
                filter=Q(deliveries__resend_of__isnull=True, deliveries__status=DeliveryStatus.FAILED),
            ),
        )
        .order_by("-version")
        .first()
    )
    if letter is None:  # issued without a letter: cannot happen (issue_letter writes both at once)
        return LetterIssueStatus(determination=determination, state="issuing")
    total, out, to_post, failed = letter.total, letter.out, letter.to_post, letter.failed
    on_its_way = total - out - to_post - failed
    return LetterIssueStatus(
        determination=determination,
        state="sending" if on_its_way > 0 else "done",
        letter=letter,
        total=total,
        out=out,
        to_post=to_post,
        failed=failed,
    )
