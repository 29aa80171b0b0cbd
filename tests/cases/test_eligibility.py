"""Eligibility findings (cases.eligibility).

Inputs tried: an unsigned application, one received on its due date and one day later
(mail and electronic service), no UR decision attached, a CNC, liability in dispute, a
duplicate filing (the same treatment already in an earlier IMR on the same claim and the same
UR decision, by description, and by procedure code and body part) while that IMR is pending,
decided, withdrawn or on another claim; the employee and the attorney filing on one UR
decision; a later UR decision on the same treatment (a new dispute, eligible); the same
decision date from another UR organization, and organizations written in other capitals and
spacing or left blank; and a staff override.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from cases.eligibility import (
    EligibilityFinding,
    EligibilityReason,
    eligibility_as_dict,
    evaluate_eligibility,
)
from cases.models import Case
from exchange.services.intake import import_case

SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())

pytestmark = pytest.mark.django_db


def payload(case_number: str = "CM15-0041877", **application) -> dict:
    data = copy.deepcopy(SEED)
    del data["determination"]
    data["case_number"] = case_number
    data["application"].update(application)
    return data


def codes(case: Case) -> list[str]:
    return [reason.code for reason in evaluate_eligibility(case=case).reasons]


def test_the_seed_is_eligible():
    finding = evaluate_eligibility(case=import_case(payload=payload()))
    assert finding == EligibilityFinding(eligible=True, reasons=[])
    assert eligibility_as_dict(finding) == {"eligible": True, "reasons": []}


@pytest.mark.parametrize(
    ("method", "received_on", "eligible"),
    [
        # served 2015-02-09 by mail: due 2015-03-16
        ("mail", "2015-03-16", True),
        ("mail", "2015-03-17", False),
        # electronic: 30 days, due 2015-03-11
        ("electronic", "2015-03-11", True),
        ("electronic", "2015-03-12", False),
    ],
)
def test_untimely_boundary(method, received_on, eligible):
    data = payload(received_on=received_on)
    data["utilization_review"]["service_method"] = method
    finding = evaluate_eligibility(case=import_case(payload=data))
    assert finding.eligible is eligible
    if not eligible:
        due = "2015-03-16" if method == "mail" else "2015-03-11"
        (reason,) = finding.reasons
        assert (reason.code, reason.due) == ("untimely", date.fromisoformat(due))
        exported = eligibility_as_dict(finding)
        assert exported["eligible"] is False
        assert exported["reasons"][0]["code"] == "untimely"
        assert exported["reasons"][0]["due"] == due
        assert received_on in exported["reasons"][0]["message"]


def test_a_due_date_on_thanksgiving_rolls_past_the_holiday_and_the_weekend():
    data = payload(received_on="2015-11-30")
    # 2015-10-22 + 35 = Thanksgiving (11-26); the day after is a CA holiday, then a weekend.
    data["utilization_review"].update(decision_date="2015-10-22", served_on="2015-10-22")
    assert evaluate_eligibility(case=import_case(payload=data)).eligible
    late = payload("CM15-0041878", received_on="2015-12-01")
    late["utilization_review"].update(decision_date="2015-10-22", served_on="2015-10-22")
    late["claims_administrator"]["claim_number"] = "OTHER-CLAIM"  # not a duplicate of the first
    (reason,) = evaluate_eligibility(case=import_case(payload=late)).reasons
    assert reason.due == date(2015, 11, 30)


def test_each_reason_is_reported():
    data = payload(signed=False, ur_decision_attached=False, liability_disputed=True)
    data["utilization_review"]["conditionally_noncertified"] = True
    finding = evaluate_eligibility(case=import_case(payload=data))
    assert not finding.eligible
    assert [r.code for r in finding.reasons] == [
        "unsigned",
        "ur_decision_missing",
        "not_medical_necessity",
        "liability_disputed",
    ]
    assert all(r.message and r.due is None for r in finding.reasons)
    assert all("due" not in r for r in eligibility_as_dict(finding)["reasons"])


def _with_history(data: dict, history: list[dict]) -> dict:
    data["history"] = history
    return data


def test_the_same_treatment_in_an_earlier_imr_is_a_duplicate():
    earlier = import_case(payload=payload("CM15-0000001", received_on="2015-02-20"))
    later = import_case(payload=payload("CM15-0000002"))
    finding = evaluate_eligibility(case=later)
    assert [r.code for r in finding.reasons] == ["duplicate_imr"]
    assert "CM15-0000001" in finding.reasons[0].message
    # The earlier application is not a duplicate of the later one.
    assert codes(earlier) == []


def test_same_procedure_code_and_body_part_is_the_same_treatment():
    import_case(payload=payload("CM15-0000001", received_on="2015-02-20"))
    data = payload("CM15-0000002")
    data["disputed_items"] = [
        {
            "description": "Trigger point injections, right lumbar paraspinal muscles",
            "category": "injections",
            "procedure_code": "20553",
            "body_part": "Lumbar Paraspinals",
            "ur_decision": "denied",
        }
    ]
    assert codes(import_case(payload=data)) == ["duplicate_imr"]
    other = payload("CM15-0000003")
    other["disputed_items"] = [
        {
            "description": "MRI lumbar spine",
            "category": "diagnostics",
            "procedure_code": "72148",
            "ur_decision": "denied",
        }
    ]
    assert codes(import_case(payload=other)) == []


def test_a_decided_imr_blocks_and_a_withdrawn_one_or_another_claim_does_not():
    decided = copy.deepcopy(SEED)
    decided["case_number"] = "CM15-0000001"
    decided["application"]["received_on"] = "2015-02-20"
    import_case(payload=decided)
    assert codes(import_case(payload=payload("CM15-0000002"))) == ["duplicate_imr"]

    withdrawn = _with_history(
        payload("CM16-0000001", received_on="2016-01-04"),
        [{"status": "withdrawn", "on": "2016-01-05"}],
    )
    withdrawn["claims_administrator"]["claim_number"] = "CLAIM-2"
    withdrawn["utilization_review"].update(decision_date="2015-12-20", served_on="2015-12-21")
    import_case(payload=withdrawn)
    after_withdrawn = payload("CM16-0000002", received_on="2016-01-10")
    after_withdrawn["claims_administrator"]["claim_number"] = "CLAIM-2"
    after_withdrawn["utilization_review"].update(decision_date="2015-12-20", served_on="2015-12-21")
    assert codes(import_case(payload=after_withdrawn)) == []

    other_claim = payload("CM15-0000003")
    other_claim["claims_administrator"]["claim_number"] = "CLAIM-3"
    assert codes(import_case(payload=other_claim)) == []


def test_a_later_ur_decision_on_the_same_treatment_is_a_new_dispute():
    decided = copy.deepcopy(SEED)
    decided["case_number"] = "CM15-0000001"
    decided["application"]["received_on"] = "2015-01-26"
    decided["utilization_review"].update(decision_date="2015-01-05", served_on="2015-01-06")
    import_case(payload=decided)
    pending = payload("CM15-0000002", received_on="2015-02-02")
    pending["utilization_review"].update(decision_date="2015-01-12", served_on="2015-01-13")
    import_case(payload=pending)
    # Same claim, same two treatments, a new UR decision (2015-02-06): eligible.
    assert codes(import_case(payload=payload("CM15-0000003"))) == []


def test_the_employee_and_the_attorney_filing_on_the_same_ur_decision():
    by_employee = import_case(payload=payload("CM15-0000001", received_on="2015-02-20"))
    data = payload("CM15-0000002", received_on="2015-02-23")
    data["attorney"] = {"name": "Lee Counsel", "firm": "Counsel LLP"}
    data["disputed_items"] = data["disputed_items"][:1]
    finding = evaluate_eligibility(case=import_case(payload=data))
    assert [r.code for r in finding.reasons] == ["duplicate_imr"]
    assert "CM15-0000001" in finding.reasons[0].message
    assert "same UR decision of 2015-02-06" in finding.reasons[0].message
    assert codes(by_employee) == []


@pytest.mark.parametrize(
    ("earlier_organization", "later_organization", "duplicate"),
    [
        ("Golden State UR", "  golden   STATE ur ", True),
        ("Golden State UR", "Sierra UR Partners", False),
        ("Golden State UR", None, True),  # the later application names none
        (None, "Sierra UR Partners", True),  # the earlier one named none
    ],
)
def test_the_ur_organization_counts_when_both_name_one(earlier_organization, later_organization, duplicate):
    earlier = payload("CM15-0000001", received_on="2015-02-20")
    later = payload("CM15-0000002")
    for data, organization in ((earlier, earlier_organization), (later, later_organization)):
        if organization is None:
            del data["utilization_review"]["organization"]
        else:
            data["utilization_review"]["organization"] = organization
    import_case(payload=earlier)
    assert codes(import_case(payload=later)) == (["duplicate_imr"] if duplicate else [])


def test_the_same_ur_decision_for_another_treatment_is_not_a_duplicate():
    import_case(payload=payload("CM15-0000001", received_on="2015-02-20"))
    data = payload("CM15-0000002")
    data["disputed_items"] = [
        {
            "description": "Lumbar MRI",
            "category": "diagnostics",
            "procedure_code": "72148",
            "ur_decision": "denied",
        }
    ]
    assert codes(import_case(payload=data)) == []


def test_staff_override_decides_the_exported_eligibility():
    case = import_case(payload=payload(signed=False))
    Case.objects.filter(pk=case.pk).update(
        eligibility_confirmed=True, eligibility_override_reason="Signature page arrived by fax on 3/2."
    )
    case.refresh_from_db(fields=["eligibility_confirmed", "eligibility_override_reason"])
    finding = evaluate_eligibility(case=case)
    # The rule-based finding is unchanged; the override is carried beside it.
    assert finding.eligible is False
    assert finding.effective_eligible is True
    assert eligibility_as_dict(finding) == {
        "eligible": True,
        "reasons": [{"code": "unsigned", "message": finding.reasons[0].message}],
        "override": {"eligible": True, "reason": "Signature page arrived by fax on 3/2."},
    }


def test_a_confirmation_without_a_reason_is_not_an_override():
    case = import_case(payload=payload())
    Case.objects.filter(pk=case.pk).update(eligibility_confirmed=True)
    case.refresh_from_db(fields=["eligibility_confirmed"])
    assert "override" not in eligibility_as_dict(evaluate_eligibility(case=case))


def test_reasons_are_frozen():
    reason = EligibilityReason("untimely", "late", due=date(2015, 3, 16))
    with pytest.raises(AttributeError):
        reason.code = "x"  # type: ignore[misc]
