"""Whether an application is eligible for IMR (domain.md, "Eligibility"), with its reasons.

`evaluate_eligibility` is the rule-based finding; staff confirm or override it (with a
written reason) through the workflow services, and `eligibility_as_dict` reports both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from cases import deadlines
from cases.models import Case, CaseStatus, DisputedItem, Party, PartyRole, ServiceMethod

S = CaseStatus
# Another IMR of the same dispute blocks this one unless it ended without a decision.
NOT_BLOCKING_STATUSES = (S.INELIGIBLE, S.WITHDRAWN, S.TERMINATED)


class ReasonCode:
    UNSIGNED = "unsigned"
    UNTIMELY = "untimely"
    UR_DECISION_MISSING = "ur_decision_missing"
    NOT_MEDICAL_NECESSITY = "not_medical_necessity"
    DUPLICATE_IMR = "duplicate_imr"
    LIABILITY_DISPUTED = "liability_disputed"


@dataclass(frozen=True)
class EligibilityReason:
    code: str
    message: str
    due: date | None = None  # only for `untimely`: the day the application was due


@dataclass(frozen=True)
class EligibilityOverride:
    """Staff's decision where it replaced the finding, with their written reason."""

    eligible: bool
    reason: str


@dataclass(frozen=True)
class EligibilityFinding:
    eligible: bool
    reasons: list[EligibilityReason] = field(default_factory=list)
    override: EligibilityOverride | None = None

    @property
    def effective_eligible(self) -> bool:
        """What the case is treated as: staff's override when there is one, else the finding."""
        return self.override.eligible if self.override is not None else self.eligible


@dataclass(frozen=True)
class TreatmentKey:
    """A disputed item's treatment, normalized for comparing two IMRs."""

    description: str
    procedure_code: str
    body_part: str


def _normalized(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def treatment_key(*, description: str, procedure_code: str, body_part: str) -> TreatmentKey:
    return TreatmentKey(_normalized(description), _normalized(procedure_code), _normalized(body_part))


def same_treatment(a: TreatmentKey, b: TreatmentKey) -> bool:
    """The same description, or the same procedure code on the same body part."""
    if a.description and a.description == b.description:
        return True
    return bool(a.procedure_code and a.body_part) and (a.procedure_code, a.body_part) == (
        b.procedure_code,
        b.body_part,
    )


@dataclass(frozen=True)
class URDecisionKey:
    """Which UR decision an IMR disputes: its date, and the UR organization when named."""

    decision_date: date
    organization: str  # normalized; "" when the application does not name one


def ur_decision_key(*, decision_date: date, organization: str) -> URDecisionKey:
    return URDecisionKey(decision_date, _normalized(organization))


def same_ur_decision(a: URDecisionKey, b: URDecisionKey) -> bool:
    """Same decision date; and the same organization when both applications name one."""
    if a.decision_date != b.decision_date:
        return False
    return not (a.organization and b.organization) or a.organization == b.organization


@dataclass(frozen=True)
class PriorItem:
    """A disputed item of a pending or decided IMR, for the duplicate check."""

    order: tuple[date, int]  # (received_on, case id): which IMR came first
    case_id: int
    case_number: str
    key: TreatmentKey
    ur_decision: URDecisionKey


PriorItems = dict[str, list[PriorItem]]


def claim_number_of(case: Case) -> str:
    """The claims administrator's claim number (read from the prefetched parties when loaded)."""
    for party in case.parties.all():
        if party.role == PartyRole.CLAIMS_ADMINISTRATOR:
            return party.claim_number.strip()
    return ""


def earlier_than(other: tuple[date, int], case: Case) -> bool:
    """Whether the IMR ordered `other` (received_on, case id) came before `case`."""
    # Only an IMR that came first blocks: two applications for one treatment must not
    # both be found duplicates of each other.
    return other < (case.received_on, case.pk)


def prior_imr_items(*, cases: Iterable[Case]) -> PriorItems:
    """For each claim number of `cases`: the disputed items (with their case's order, number
    and UR decision) of every case on that claim that is pending or decided. Two queries."""
    claims = {number for case in cases if (number := claim_number_of(case))}
    if not claims:
        return {}
    case_claims = dict(
        Party.objects.filter(role=PartyRole.CLAIMS_ADMINISTRATOR, claim_number__in=claims)
        .exclude(case__status__in=NOT_BLOCKING_STATUSES)
        .values_list("case_id", "claim_number")
    )
    found: PriorItems = {}
    rows = DisputedItem.objects.filter(case_id__in=case_claims).values_list(
        "case_id",
        "case__received_on",
        "case__case_number",
        "case__ur_decision_date",
        "case__ur_organization",
        "description",
        "procedure_code",
        "body_part",
    )
    for (
        case_id,
        received_on,
        case_number,
        ur_decision_date,
        ur_organization,
        description,
        procedure_code,
        body_part,
    ) in rows:
        found.setdefault(case_claims[case_id], []).append(
            PriorItem(
                order=(received_on, case_id),
                case_id=case_id,
                case_number=case_number,
                key=treatment_key(
                    description=description, procedure_code=procedure_code, body_part=body_part
                ),
                ur_decision=ur_decision_key(decision_date=ur_decision_date, organization=ur_organization),
            )
        )
    return found


def evaluate_eligibility(*, case: Case) -> EligibilityFinding:
    """The finding for `case` from its application, UR decision and the other IMRs of its claim."""
    return evaluate_eligibility_with(case=case, prior_items=prior_imr_items(cases=[case]))


def evaluate_eligibility_with(*, case: Case, prior_items: PriorItems) -> EligibilityFinding:
    """As evaluate_eligibility, with the other IMRs loaded in bulk (exports of many cases)."""
    reasons: list[EligibilityReason] = []
    if not case.signed:
        reasons.append(
            EligibilityReason(
                ReasonCode.UNSIGNED, "The application is not signed by the employee or their representative."
            )
        )
    due = deadlines.compute_application_due(
        served_on=case.ur_served_on, service_method=case.ur_service_method
    )
    if case.received_on > due:
        days = deadlines.APPLICATION_DAYS + (
            deadlines.MAIL_EXTENSION_DAYS if case.ur_service_method == ServiceMethod.MAIL else 0
        )
        reasons.append(
            EligibilityReason(
                ReasonCode.UNTIMELY,
                f"The application was received on {case.received_on.isoformat()}, after it was due on "
                f"{due.isoformat()} ({days} days after the UR decision was served on "
                f"{case.ur_served_on.isoformat()} by {case.get_ur_service_method_display().lower()}).",
                due=due,
            )
        )
    if not case.ur_decision_attached:
        reasons.append(
            EligibilityReason(
                ReasonCode.UR_DECISION_MISSING, "The UR decision is not attached to the application."
            )
        )
    if case.ur_conditionally_noncertified:
        reasons.append(
            EligibilityReason(
                ReasonCode.NOT_MEDICAL_NECESSITY,
                "The UR decision is a conditional non-certification (information was missing), "
                "not a decision on medical necessity.",
            )
        )
    duplicates = _duplicate_case_numbers(case=case, prior_items=prior_items)
    if duplicates:
        numbers = ", ".join(sorted(duplicates))
        reasons.append(
            EligibilityReason(
                ReasonCode.DUPLICATE_IMR,
                "A duplicate filing: the same disputed treatment already has a pending or decided IMR "
                f"on this claim for the same UR decision of {case.ur_decision_date.isoformat()} "
                f"({numbers}).",
            )
        )
    if case.liability_disputed:
        reasons.append(
            EligibilityReason(
                ReasonCode.LIABILITY_DISPUTED,
                "Liability for the injury is disputed; IMR is deferred until it is resolved.",
            )
        )
    override = None
    if case.eligibility_confirmed is not None and case.eligibility_override_reason.strip():
        override = EligibilityOverride(
            eligible=case.eligibility_confirmed, reason=case.eligibility_override_reason.strip()
        )
    return EligibilityFinding(eligible=not reasons, reasons=reasons, override=override)


def _duplicate_case_numbers(*, case: Case, prior_items: PriorItems) -> set[str]:
    """Earlier pending or decided IMRs on the same claim, the same UR decision and the same
    treatment: the same dispute filed twice (e.g. by the employee and by the attorney).

    An earlier IMR of the same treatment on another UR decision is a different dispute; the
    case page lists it for information (`cases.selectors.earlier_imrs_on_same_treatment`).
    """
    claim = claim_number_of(case)
    if not claim:
        return set()
    mine_decision = ur_decision_key(decision_date=case.ur_decision_date, organization=case.ur_organization)
    others = [
        prior
        for prior in prior_items.get(claim, [])
        if prior.case_id != case.pk
        and earlier_than(prior.order, case)
        and same_ur_decision(prior.ur_decision, mine_decision)
    ]
    if not others:
        return set()
    mine = [
        treatment_key(description=i.description, procedure_code=i.procedure_code, body_part=i.body_part)
        for i in case.disputed_items.all()
    ]
    return {prior.case_number for prior in others if any(same_treatment(prior.key, m) for m in mine)}


def eligibility_as_dict(finding: EligibilityFinding) -> dict:
    """The JSON form used in exports: staff's override, when there is one, decides `eligible`."""
    result: dict = {
        "eligible": finding.effective_eligible,
        "reasons": [
            {"code": r.code, "message": r.message, **({"due": r.due.isoformat()} if r.due else {})}
            for r in finding.reasons
        ],
    }
    if finding.override is not None:
        result["override"] = {"eligible": finding.override.eligible, "reason": finding.override.reason}
    return result
