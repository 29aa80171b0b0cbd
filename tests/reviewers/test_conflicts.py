"""Conflict-of-interest screening by normalized name and by NPI.

Bad inputs tried (all must still match): different case, punctuation, corporate suffixes
(Inc., LLC, L.L.P., Corp., Co., Ltd., P.C.), "Dr." and "MD"/"DO" titles, "Last, First" order,
"&" for "and", an NPI written with spaces. Must NOT match: a different company sharing
words, an NPI of a different provider, a name that normalizes to nothing.
"""

from __future__ import annotations

import pytest

from reviewers import selectors
from reviewers.conflicts import conflict_reasons, conflict_targets, name_keys, normalize_name
from tests.factories import PartyFactory
from tests.reviewers.helpers import affiliate, qualified_reviewer, ready_case


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Golden State Claims Services, Inc.", "GOLDEN STATE CLAIMS SERVICES"),
        ("Central Valley Packing Co.", "central valley packing company"),
        ("Acme Widgets LLC", "Acme Widgets"),
        ("Smith & Jones, L.L.P.", "Smith and Jones"),
        ("Pacific Ortho Group, P.C.", "Pacific Ortho Group"),
        ("Big Insurer Corp.", "Big Insurer Corporation"),
        ("Foo Holdings Co., Inc.", "Foo Holdings"),
        ("Dr. Alan Treating", "Alan Treating, MD"),
        ("Alan Treating, M.D.", "Dr. Alan Treating"),
        ("Treating, Alan", "Dr. Alan Treating"),
        ("Uma Reviewer D.O.", "Dr. Uma Reviewer"),
        ("The Hartford", "Hartford"),
    ],
)
def test_names_that_match(a, b):
    assert name_keys(a) & name_keys(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Golden State Claims Services", "Golden State UR"),
        ("Central Valley Packing Co.", "Central Valley Farms"),
        ("Alan Treating", "Alan Treat"),
    ],
)
def test_names_that_differ(a, b):
    assert not name_keys(a) & name_keys(b)


def test_empty_names_never_match():
    assert normalize_name("Inc.") == ""
    assert name_keys("  ") == frozenset()
    targets = conflict_targets(parties=[("employer", "LLC", "", "")], ur_reviewer_name="", ur_organization="")
    assert conflict_reasons(affiliations=[("Co.", "")], targets=targets) == []


def test_npi_matches_exactly():
    targets = conflict_targets(
        parties=[("requesting provider", "Dr. Alan Treating", "", "1234567893")],
        ur_reviewer_name="",
        ur_organization="",
    )
    assert conflict_reasons(affiliations=[("Some Clinic", "1234 567 893")], targets=targets)
    assert conflict_reasons(affiliations=[("Some Clinic", "1234567894")], targets=targets) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("affiliation", "identifier", "named"),
    [
        ("GOLDEN STATE CLAIMS SERVICES", "", "claims administrator Golden State Claims Services"),
        ("Central Valley Packing Company", "", "employer Central Valley Packing Co."),
        ("Alan Treating MD", "", "requesting provider Dr. Alan Treating"),
        ("Treating Pain Associates", "1234567893", "requesting provider Dr. Alan Treating (NPI 1234567893)"),
        ("Golden State UR, LLC", "", "UR organization Golden State UR"),
        ("Uma Reviewer, M.D.", "", "UR reviewer Dr. Uma Reviewer"),
        ("Example, Maria", "", "employee Maria Example"),
    ],
)
def test_case_parties_exclude_the_reviewer(affiliation, identifier, named):
    case = ready_case()
    reviewer = qualified_reviewer()
    affiliate(reviewer, affiliation, identifier)
    screening = selectors.case_screening(case=case)
    [report] = selectors.evaluate_reviewers(
        screening=screening,
        on=case.records_complete_on,
        reviewers=type(reviewer).objects.filter(pk=reviewer.pk),
    )
    assert len(report.reasons) == 1
    assert report.reasons[0].startswith(f"Conflict of interest: affiliated with {named}")


@pytest.mark.django_db
def test_party_organization_field_is_checked():
    case = ready_case()
    PartyFactory(case=case, role="attorney", name="Jane Lawyer", organization="Lawyer & Partners, LLP")
    reviewer = qualified_reviewer()
    affiliate(reviewer, "Lawyer and Partners")
    screening = selectors.case_screening(case=case)
    reasons = selectors.screen_reviewer(
        reviewer=reviewer, open_cases=0, screening=screening, on=case.records_complete_on
    )
    assert reasons == [
        "Conflict of interest: affiliated with employee's attorney Lawyer & Partners, LLP "
        "(recorded as “Lawyer and Partners”)."
    ]


@pytest.mark.django_db
def test_unrelated_affiliation_is_no_conflict():
    case = ready_case()
    reviewer = qualified_reviewer()
    affiliate(reviewer, "Sierra Nevada Medical Group", "9876543210")
    screening = selectors.case_screening(case=case)
    assert (
        selectors.screen_reviewer(
            reviewer=reviewer, open_cases=0, screening=screening, on=case.records_complete_on
        )
        == []
    )
