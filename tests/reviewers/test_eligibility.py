"""Reviewer eligibility, each rule at its boundary, and the SQL shortlist agreeing with the Python rules.

Bad inputs tried: a license expiring yesterday (and today, which passes), inactive and
restricted licenses, no license at all, only a non-California license when California is
required, exactly five years and five years less a day in practice (and a day more, which
passes), 23.5 hours a week, an attestation 366 days old (365 passes) and one dated in the
future, a suspended reviewer, a reviewer at capacity, certifications matching only one of
two items, a category with no specialty rule, a specialty spelled in another case.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from cases.models import ItemCategory
from reviewers import eligibility, picking, selectors
from reviewers.models import Assignment, ReviewerStatus, SpecialtyRule
from reviewers.services.assignment import refresh_open_cases
from tests.factories import CaseFactory, DisputedItemFactory, LicenseFactory, ReviewerFactory
from tests.reviewers.helpers import qualified_reviewer, ready_case

pytestmark = pytest.mark.django_db

ON = date(2026, 3, 10)


def reasons_for(reviewer, case, on=ON) -> list[str]:
    screening = selectors.case_screening(case=case)
    [report] = selectors.evaluate_reviewers(
        screening=screening, on=on, reviewers=type(reviewer).objects.filter(pk=reviewer.pk)
    )
    # The SQL, in both its forms (the picker's, the candidates list's), and the Python rules must
    # agree (conflicts are screened in Python only).
    for whole_list in (False, True):
        sql = picking.eligible_reviewers_sql(screening=screening, on=on, whole_list=whole_list)
        assert sql.filter(pk=reviewer.pk).exists() == (not report.reasons), (whole_list, report.reasons)
    return report.reasons


@pytest.fixture
def case():
    return ready_case()


def reviewer_for(on=ON, **fields):
    fields.setdefault("in_practice_since", date(2000, 1, 1))
    fields.setdefault("hours_attested_on", on - timedelta(days=10))
    return qualified_reviewer(**fields)


def test_qualified_reviewer_has_no_reasons(case):
    assert reasons_for(reviewer_for(), case) == []


def test_seed_reviewer_qualifies_for_seed_case(case):
    from tests.factories import make_seed_reviewer

    reviewer = make_seed_reviewer(
        in_practice_since=date(2000, 1, 1), hours_attested_on=ON - timedelta(days=5)
    )
    assert reasons_for(reviewer, case) == []


@pytest.mark.parametrize(
    ("expires_on", "eligible"),
    [(ON, True), (ON - timedelta(days=1), False), (ON + timedelta(days=1), True)],
)
def test_license_expiring_today_is_valid_through_today(case, expires_on, eligible):
    reviewer = reviewer_for()
    reviewer.licenses.update(expires_on=expires_on)
    reasons = reasons_for(reviewer, case)
    assert (reasons == []) is eligible
    if not eligible:
        assert reasons == ["No active, unrestricted, unexpired medical license."]


@pytest.mark.parametrize("field", ["active", "unrestricted"])
def test_inactive_or_restricted_license_does_not_count(case, field):
    reviewer = reviewer_for()
    reviewer.licenses.update(**{field: False})
    assert reasons_for(reviewer, case) == ["No active, unrestricted, unexpired medical license."]
    # A second, valid license is enough.
    LicenseFactory(reviewer=reviewer, state="NV", position=2)
    assert reasons_for(reviewer, case) == []


def test_no_license(case):
    reviewer = reviewer_for()
    reviewer.licenses.all().delete()
    assert reasons_for(reviewer, case) == ["No medical license on record."]


def test_california_license_required_by_setting(case, settings):
    reviewer = reviewer_for(states=("NV", "TX"))
    settings.REVIEWER_REQUIRE_CALIFORNIA_LICENSE = False
    assert reasons_for(reviewer, case) == []
    settings.REVIEWER_REQUIRE_CALIFORNIA_LICENSE = True
    assert reasons_for(reviewer, case) == ["No valid California license (required by this IMRO)."]
    # An expired California license does not satisfy it.
    LicenseFactory(reviewer=reviewer, state="CA", position=3, expires_on=ON - timedelta(days=1))
    assert reasons_for(reviewer, case) == ["No valid California license (required by this IMRO)."]
    LicenseFactory(reviewer=reviewer, state="CA", position=4, expires_on=ON)
    assert reasons_for(reviewer, case) == []


@pytest.mark.parametrize(
    ("since", "eligible"),
    [
        (date(2021, 3, 10), False),  # exactly five years
        (date(2021, 3, 11), False),  # five years less a day
        (date(2021, 3, 9), True),  # five years and a day
        (date(2025, 1, 1), False),
    ],
)
def test_more_than_five_years_in_practice(case, since, eligible):
    reasons = reasons_for(reviewer_for(in_practice_since=since), case)
    assert (reasons == []) is eligible
    if not eligible:
        assert reasons[0].startswith("Not more than 5 years in practice")


def test_leap_day_practice_start():
    since = date(2020, 2, 29)
    assert eligibility.practice_threshold(in_practice_since=since) == date(2025, 3, 1)
    assert not eligibility.practiced_long_enough(in_practice_since=since, on=date(2025, 3, 1))
    assert eligibility.practiced_long_enough(in_practice_since=since, on=date(2025, 3, 2))
    for on in (date(2025, 3, 1), date(2025, 3, 2), date(2024, 2, 29), date(2026, 12, 31)):
        latest = eligibility.latest_practice_start(on=on)
        assert eligibility.practiced_long_enough(in_practice_since=latest, on=on)
        assert not eligibility.practiced_long_enough(in_practice_since=latest + timedelta(days=1), on=on)


@pytest.mark.parametrize(("hours", "eligible"), [("23.5", False), ("24.0", True), ("0", False), ("60", True)])
def test_weekly_hours(case, hours, eligible):
    reasons = reasons_for(reviewer_for(weekly_practice_hours=Decimal(hours)), case)
    assert (reasons == []) is eligible
    if not eligible:
        assert "at least 24 are required" in reasons[0]


@pytest.mark.parametrize(
    ("age_days", "eligible"), [(365, True), (366, False), (0, True), (-1, False), (1000, False)]
)
def test_attestation_renewed_yearly(case, age_days, eligible):
    reasons = reasons_for(reviewer_for(hours_attested_on=ON - timedelta(days=age_days)), case)
    assert (reasons == []) is eligible
    if not eligible:
        assert "attestation" in reasons[0]


def test_suspended(case):
    assert reasons_for(reviewer_for(status=ReviewerStatus.SUSPENDED), case) == ["Suspended."]


def test_capacity(case):
    reviewer = reviewer_for(max_open_cases=2)
    Assignment.objects.create(case=CaseFactory(), reviewer=reviewer)
    refresh_open_cases(reviewer_ids=[reviewer.pk])
    assert reasons_for(reviewer, case) == []
    Assignment.objects.create(case=CaseFactory(), reviewer=reviewer)
    refresh_open_cases(reviewer_ids=[reviewer.pk])
    assert reasons_for(reviewer, case) == ["At capacity: 2 open cases of 2."]
    # Ended assignments do not count.
    Assignment.objects.filter(reviewer=reviewer).update(active=False, status="ended")
    refresh_open_cases(reviewer_ids=[reviewer.pk])
    assert reasons_for(reviewer, case) == []


def test_every_item_needs_an_acceptable_specialty(case):
    # Sports Medicine is acceptable for physical medicine, not for (non-knee) injections.
    reviewer = reviewer_for(specialties=("Sports Medicine",))
    reasons = reasons_for(reviewer, case)
    assert len(reasons) == 1
    assert reasons[0].startswith("No board certification acceptable for Injections (lumbar paraspinals)")
    # Two certifications may cover the two items between them.
    reviewer2 = reviewer_for(specialties=("Sports Medicine", "Pain Medicine"))
    assert reasons_for(reviewer2, case) == []


def test_specialty_compared_case_insensitively(case):
    assert reasons_for(reviewer_for(specialties=(" occupational MEDICINE ",)), case) == []


def test_body_region_rules():
    case = CaseFactory()
    DisputedItemFactory(case=case, position=1, category=ItemCategory.SURGERY, body_part="lumbar spine")
    neurosurgeon = reviewer_for(specialties=("Neurological Surgery",))
    orthopaedist = reviewer_for(specialties=("Orthopaedic Surgery",))
    assert reasons_for(neurosurgeon, case) == []
    assert reasons_for(orthopaedist, case) == []
    knee = CaseFactory()
    DisputedItemFactory(case=knee, position=1, category=ItemCategory.SURGERY, body_part="left knee")
    assert reasons_for(orthopaedist, knee) == []
    assert reasons_for(neurosurgeon, knee)[0].startswith("No board certification acceptable for Surgery")


def test_category_without_rules(case):
    SpecialtyRule.objects.filter(category=ItemCategory.INJECTIONS).delete()
    reasons = reasons_for(reviewer_for(), case)
    assert reasons == [
        "No specialty rule covers Injections (lumbar paraspinals): add one in the admin (Specialty rules)."
    ]


def test_every_category_has_seeded_rules():
    from tests.reviewers.conftest import SEED_MIGRATION

    assert set(SEED_MIGRATION.DEFAULT_RULES) == set(ItemCategory.values)
    seeded = set(SpecialtyRule.objects.values_list("category", flat=True))
    assert seeded == set(ItemCategory.values)


def test_several_reasons_at_once(case):
    reviewer = ReviewerFactory(
        status=ReviewerStatus.SUSPENDED,
        in_practice_since=date(2024, 1, 1),
        weekly_practice_hours=Decimal("10"),
        hours_attested_on=ON - timedelta(days=400),
    )
    reasons = reasons_for(reviewer, case)
    assert len(reasons) == 7, reasons  # suspended, license, two specialties, years, hours, attestation
