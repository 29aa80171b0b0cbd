"""Cases for the billing tests, imported in `imr-case/1` with their history (the real intake path):
the history's transition events are what billing reads (outcome, its date, whether a reviewer had it)."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path

from cases.models import Case
from exchange.services.intake import import_case

SEED = json.loads((Path(__file__).resolve().parent.parent / "data" / "seed-case.json").read_text())
GOLDEN = "Golden State Claims Services"
GOLDEN_EMAIL = "ur-desk@goldenstateclaims.example.com"

_numbers = iter(range(1, 10_000_000))


def history_to(outcome: str, *, on: date, reviewer_number: str | None = None) -> list[dict]:
    """A history reaching `outcome` on `on`: through a reviewer when `reviewer_number` is given."""
    steps: list[dict] = [{"status": "eligibility_review", "on": on - timedelta(days=10)}]
    if outcome == "ineligible":
        steps.append({"status": "ineligible", "on": on})
        return [{**step, "on": str(step["on"])} for step in steps]
    steps += [
        {"status": "awaiting_records", "on": on - timedelta(days=9), "notice_method": "electronic"},
        {"status": "ready_for_assignment", "on": on - timedelta(days=8)},
    ]
    if reviewer_number:
        steps += [
            {"status": "assigned", "on": on - timedelta(days=7), "reviewer_number": reviewer_number},
            {"status": "in_review", "on": on - timedelta(days=6)},
        ]
    if outcome == "determination_issued":
        steps += [{"status": "qa_review", "on": on - timedelta(days=1)}]
    if steps[-1]["status"] != outcome:
        steps.append({"status": outcome, "on": on})
    return [{**step, "on": str(step["on"])} for step in steps]


def billed_case(
    *,
    received_on: date,
    outcome: str,
    outcome_on: date,
    reviewer_number: str | None = None,
    priority: str = "standard",
    pharmacy: bool = False,
    claims_administrator: str = GOLDEN,
    email: str | None = GOLDEN_EMAIL,
    mailing_address: str = "",
) -> Case:
    payload = copy.deepcopy(SEED)
    payload["case_number"] = f"CM{received_on:%y}-{next(_numbers) + 2000000:07d}"
    payload["priority"] = priority
    payload["application"]["received_on"] = received_on.isoformat()
    decided_on = (received_on - timedelta(days=20)).isoformat()
    payload["utilization_review"].update(decision_date=decided_on, served_on=decided_on)
    payload["injury"]["date"] = (received_on - timedelta(days=400)).isoformat()
    payload["claims_administrator"] = {
        "name": claims_administrator,
        "email": email,
        "claim_number": f"CLM-{next(_numbers)}",
        **({"mailing_address": mailing_address} if mailing_address else {}),
    }
    if pharmacy:
        for item in payload["disputed_items"]:
            item["category"] = "pharmaceuticals"
    if outcome != "determination_issued":
        del payload["determination"]
    payload["history"] = history_to(outcome, on=outcome_on, reviewer_number=reviewer_number)
    return import_case(payload=payload)
