"""A constructed data set for the reports, every figure of which the tests work out by hand.

Today is frozen at Tuesday 2026-03-10; the reports cover 2026-01-01 to 2026-02-28. Two California
holidays fall inside: Martin Luther King Jr. Day (Mon 2026-01-19) and Presidents' Day
(Mon 2026-02-16). Applications are confirmed or overridden through the real workflow services,
so the ineligible events carry the wording the reports read. The decided cases (E1-E5) and the
late-records cases (L1-L4) are built as an import builds history: their dates written as given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from cases import deadlines
from cases.models import Case, CaseEvent, CaseStatus, DisputedItem, NoticeMethod, Party, PartyRole, Priority
from cases.services import case_actions
from determinations.models import Decision, DeterminationStatus
from imr_site import roles
from reports.tasks import refresh_report_rollups
from reviewers.models import Assignment, AssignmentStatus
from tests.factories import (
    BoardCertificationFactory,
    DeterminationFactory,
    ItemDecisionFactory,
    ReviewerFactory,
    UserFactory,
    make_seed_like_case,
)

S = CaseStatus
TODAY = date(2026, 3, 10)
START = date(2026, 1, 1)
END = date(2026, 2, 28)
PACIFIC = ZoneInfo(settings.TIME_ZONE)

_numbers = iter(range(1, 1000))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PACIFIC)


def make_case(
    *, received_on: date, claim: str | None = None, administrator: str = "Golden State Claims", **fields
) -> Case:
    """A seed-like case (five parties, a physical-therapy and an injection item) on its own claim."""
    number = next(_numbers)
    served = fields.pop("ur_served_on", received_on)
    fields.setdefault("ur_decision_date", served)
    case = make_seed_like_case(
        case_number=f"CM26-{number:07d}",
        received_on=received_on,
        ur_served_on=served,
        application_due=deadlines.compute_application_due(served_on=served, service_method="mail"),
        **fields,
    )
    Party.objects.filter(case=case, role=PartyRole.CLAIMS_ADMINISTRATOR).update(
        claim_number=claim or f"CLAIM-{number}", name=administrator
    )
    return case


@dataclass
class DataSet:
    staff: object
    reviewers: dict[str, object] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)


def build_volumes(data: DataSet) -> None:
    """Applications of January and February 2026 (and one each side), through the real services.

    January: A1 and A2 eligible; A3 unsigned (ineligible); A4 eligible; D1 the same dispute as A4
    filed again (claim, UR decision and treatment): a duplicate, ineligible. February: B1 eligible;
    B2 found eligible but made ineligible by a staff override; B3 not yet checked (pending).
    Outside: X1 (2025-12-31) and X2 (2026-03-01)."""
    review = {"status": S.ELIGIBILITY_REVIEW}
    plan = [
        ("A1", date(2026, 1, 5), {}, "confirm"),
        ("A2", date(2026, 1, 6), {}, "confirm"),
        ("A3", date(2026, 1, 7), {"signed": False}, "confirm"),
        ("A4", date(2026, 1, 12), {"claim": "SHARED-1"}, "confirm"),
        ("D1", date(2026, 1, 20), {"claim": "SHARED-1"}, "confirm"),
        ("B1", date(2026, 2, 2), {}, "confirm"),
        ("B2", date(2026, 2, 3), {}, "override"),
        ("B3", date(2026, 2, 27), {}, None),
        ("X1", date(2025, 12, 31), {}, "confirm"),
        ("X2", date(2026, 3, 1), {}, "confirm"),
    ]
    for key, received, extra, action in plan:
        extra = dict(extra)
        claim = extra.pop("claim", None)
        if key in ("A4", "D1"):
            extra["ur_served_on"] = date(2026, 1, 2)  # one UR decision, disputed twice
        case = make_case(received_on=received, claim=claim, **(review if action else {}), **extra)
        data.cases[key] = case
        if action == "confirm":
            case_actions.confirm_eligibility(case_id=case.pk, by=data.staff)
        elif action == "override":
            case_actions.override_eligibility(
                case_id=case.pk, by=data.staff, eligible=False, reason="The employee withdrew by phone."
            )


def _decided(
    data: DataSet,
    key: str,
    *,
    reviewer: str,
    priority: str,
    notice_sent_on: date,
    notice_method: str,
    records_complete_on: date,
    accepted_at: datetime,
    submitted_at: datetime,
    issued_on: date,
    mailed_on: date,
    decisions: tuple[str, str],
) -> None:
    expedited = priority == Priority.EXPEDITED
    case = make_case(
        received_on=date(2025, 12, 15),
        status=S.CLOSED,
        priority=priority,
        eligible_on=date(2025, 12, 20),
        notice_sent_on=notice_sent_on,
        notice_method=notice_method,
        records_due=deadlines.compute_records_due(
            notice_on=notice_sent_on, notice_method=notice_method, expedited=expedited
        ),
        records_complete_on=records_complete_on,
        determination_due=deadlines.compute_determination_due(
            records_complete_on=records_complete_on, expedited=expedited, formulary_only=False
        ),
    )
    who = data.reviewers[reviewer]
    Assignment.objects.create(
        case=case, reviewer=who, status=AssignmentStatus.ACCEPTED, active=False, responded_at=accepted_at
    )
    determination = DeterminationFactory(
        case=case,
        reviewer=who,
        status=DeterminationStatus.ISSUED,
        submitted_at=submitted_at,
        approved_at=submitted_at,
        issued_on=issued_on,
        mailed_on=mailed_on,
    )
    items = DisputedItem.objects.filter(case=case).order_by("position")
    for item, decision in zip(items, decisions, strict=True):
        ItemDecisionFactory(determination=determination, disputed_item=item, decision=decision)
    data.cases[key] = case


def qa_return(case: Case, on: date) -> None:
    CaseEvent.objects.create(
        case=case,
        from_status=S.QA_REVIEW,
        to_status=S.IN_REVIEW,
        reason="Cite the guideline.",
        effective_on=on,
    )


def build_decisions(data: DataSet) -> None:
    """E1-E4 decided in the period, E5 after it. R1 is an orthopaedic surgeon, R2 a pain physician.

    Items: each case's physical therapy (physical medicine) first, then its trigger-point
    injections (injections)."""
    up, over = Decision.UPHELD, Decision.OVERTURNED
    std, exp = Priority.STANDARD, Priority.EXPEDITED
    mail, electronic = NoticeMethod.MAIL, NoticeMethod.ELECTRONIC
    d = date
    # key, reviewer, priority, NOARFI sent, by, records complete, accepted, submitted, issued, mailed, items
    plan = [
        ("E1", "R1", std, d(2026, 1, 5), mail, d(2026, 1, 12), at(d(2026, 1, 13), 10),
         at(d(2026, 1, 28), 10), d(2026, 1, 30), d(2026, 2, 2), (up, over)),
        ("E2", "R2", exp, d(2026, 1, 14), electronic, d(2026, 1, 15), at(d(2026, 1, 15), 9),
         at(d(2026, 1, 20), 9), d(2026, 1, 21), d(2026, 1, 21), (up, up)),
        ("E3", "R1", exp, d(2026, 1, 14), electronic, d(2026, 1, 15), at(d(2026, 1, 15), 8),
         at(d(2026, 1, 19), 8), d(2026, 1, 20), d(2026, 1, 22), (over, up)),
        ("E4", "R2", std, d(2026, 1, 9), electronic, d(2026, 1, 16), at(d(2026, 1, 20), 12),
         at(d(2026, 2, 18), 12), d(2026, 2, 20), d(2026, 2, 23), (up, over)),
        ("E5", "R1", std, d(2026, 1, 26), electronic, d(2026, 2, 2), at(d(2026, 2, 3), 9),
         at(d(2026, 3, 1), 9), d(2026, 3, 2), d(2026, 3, 3), (over, over)),
    ]  # fmt: skip
    for key, reviewer, priority, sent, method, complete, accepted, submitted, issued, mailed, items in plan:
        _decided(
            data,
            key,
            reviewer=reviewer,
            priority=priority,
            notice_sent_on=sent,
            notice_method=method,
            records_complete_on=complete,
            accepted_at=accepted,
            submitted_at=submitted,
            issued_on=issued,
            mailed_on=mailed,
            decisions=items,
        )
    qa_return(data.cases["E1"], date(2026, 1, 25))
    qa_return(data.cases["E4"], date(2026, 2, 10))
    qa_return(data.cases["E4"], date(2026, 2, 12))
    qa_return(data.cases["E5"], date(2026, 3, 1))


def _records(
    data: DataSet, key: str, *, administrator: str, notice_sent_on: date, method: str, complete: date | None
) -> None:
    case = make_case(
        received_on=date(2025, 12, 1),
        administrator=administrator,
        status=S.READY_FOR_ASSIGNMENT if complete else S.AWAITING_RECORDS,
        eligible_on=notice_sent_on,
        notice_sent_on=notice_sent_on,
        notice_method=method,
        records_due=deadlines.compute_records_due(
            notice_on=notice_sent_on, notice_method=method, expedited=False
        ),
        records_complete_on=complete,
    )
    data.cases[key] = case


def build_late_records(data: DataSet) -> None:
    mail, electronic = NoticeMethod.MAIL, NoticeMethod.ELECTRONIC
    plan = [
        ("L1", "Acme Insurance", date(2026, 1, 2), mail, date(2026, 1, 23)),
        ("L2", "Acme Insurance", date(2026, 2, 2), electronic, None),
        ("L3", "Beta TPA", date(2026, 1, 12), electronic, date(2026, 1, 27)),
        ("L4", "Beta TPA", date(2025, 12, 1), electronic, date(2025, 12, 30)),
    ]
    for key, administrator, sent, method, complete in plan:
        _records(
            data, key, administrator=administrator, notice_sent_on=sent, method=method, complete=complete
        )


def build_all() -> DataSet:
    data = DataSet(staff=UserFactory(username="intake1", role=roles.INTAKE_STAFF))
    specialties = [("R1", "R01001", "Orthopaedic Surgery"), ("R2", "R01002", "Pain Medicine")]
    for key, number, specialty in specialties:
        reviewer = ReviewerFactory(reviewer_number=number)
        BoardCertificationFactory(reviewer=reviewer, position=1, specialty=specialty)
        BoardCertificationFactory(reviewer=reviewer, position=2, specialty="Preventive Medicine")
        data.reviewers[key] = reviewer
    build_volumes(data)
    build_decisions(data)
    build_late_records(data)
    # The periodic task counts the decisions rollup (run in process: tests.conftest's eager Celery).
    refresh_report_rollups.delay()
    return data
