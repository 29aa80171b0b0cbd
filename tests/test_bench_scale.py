"""bench/scale_data.py builds rows the app itself considers valid (a few hundred cases)."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery

from bench.scale_data import HELD, STATE_MIX, build_cases
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus, Party
from cases.services.workflow import DEADLINE_FIELDS, refresh_deadlines
from core.clock import today
from determinations.letter_selectors import letter_recipients
from determinations.models import Delivery, DeliveryStatus, Determination, DeterminationStatus, Letter
from exchange.export import export_cases
from exchange.validation import check_case_payload
from reviewers.models import Assignment, AssignmentStatus, Reviewer
from tests.conftest import is_postgres, require_service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CASES = 300


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    """Built once for the module, in a transaction rolled back after its last test (each test
    runs in a savepoint inside it)."""
    require_service(is_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://...")
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_cases(count=CASES, reviewers=40, chunk=120, jobs=1)
        transaction.set_rollback(True)


def test_every_state_and_the_related_rows(built):
    assert built.cases == CASES == Case.objects.count()
    assert set(Case.objects.values_list("status", flat=True)) == {status for status, _share in STATE_MIX}
    parties = Party.objects.count() / CASES
    events = CaseEvent.objects.count() / CASES
    assert 4.0 <= parties <= 5.0, parties
    assert 4.0 <= events <= 9.0, events
    assert Delivery.objects.count() / CASES > 1.5
    assert Reviewer.objects.count() == 40


def test_status_is_where_the_transitions_lead(built):
    last_transition = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEventKind.TRANSITION)
        .order_by("-effective_on", "-id")
        .values("to_status")[:1]
    )
    for status, last in Case.objects.annotate(last=Subquery(last_transition)).values_list("status", "last"):
        assert last == (None if status == CaseStatus.RECEIVED else status)
    # Each transition starts where the one before it ended.
    for case in Case.objects.prefetch_related("events"):
        chain = [e for e in case.events.all() if e.kind == CaseEventKind.TRANSITION]
        for before, after in itertools.pairwise(chain):
            assert after.from_status == before.to_status


def test_stored_deadlines_are_the_rules(built):
    for case in Case.objects.prefetch_related("determinations"):
        current = [d for d in case.determinations.all() if d.status != DeterminationStatus.SUPERSEDED]
        mailed_on = current[0].mailed_on if current else None
        stored = [getattr(case, name) for name in DEADLINE_FIELDS]
        refresh_deadlines(case=case, mailed_on=mailed_on)
        assert [getattr(case, name) for name in DEADLINE_FIELDS] == stored, case.case_number


def test_assignments_determinations_and_letters_match_the_status(built):
    for case in Case.objects.annotate(
        active=Count("assignments", filter=Q(assignments__active=True)),
    ):
        assert case.active == (1 if case.status in HELD else 0), case.case_number
    decided = Determination.objects.filter(status=DeterminationStatus.ISSUED)
    assert set(decided.values_list("case__status", flat=True)) <= {
        CaseStatus.DETERMINATION_ISSUED,
        CaseStatus.CLOSED,
    }
    assert (
        decided.count()
        == Case.objects.filter(status__in=[CaseStatus.DETERMINATION_ISSUED, CaseStatus.CLOSED]).count()
    )
    assert set(
        Determination.objects.filter(case__status=CaseStatus.QA_REVIEW).values_list("status", flat=True)
    ) <= {DeterminationStatus.SUBMITTED, DeterminationStatus.APPROVED}
    assert Letter.objects.count() == decided.count()
    for letter in Letter.objects.select_related("determination__case").prefetch_related(
        "deliveries", "determination__case__parties"
    ):
        recipients = letter_recipients(case=letter.determination.case)
        assert sorted(d.recipient_role for d in letter.deliveries.all()) == sorted(r.role for r in recipients)
        waiting = any(d.status == DeliveryStatus.TO_POST for d in letter.deliveries.all())
        assert (letter.determination.mailed_on is None) == waiting
    # The picker's stored counter is the count of held assignments.
    for reviewer in Reviewer.objects.annotate(held=Count("assignments", filter=Q(assignments__active=True))):
        assert reviewer.open_cases == reviewer.held
    assert (
        not Assignment.objects.filter(active=True)
        .exclude(status__in=[AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED])
        .exists()
    )


def test_the_export_of_every_built_case_validates(built):
    exported = list(export_cases())
    assert len(exported) == CASES
    for payload in exported:
        cleaned, errors = check_case_payload(payload=payload, today=today())
        assert errors == [], payload["case_number"]
        assert payload["computed"]["status"] == cleaned["status"]


def test_the_timed_pages_render_over_the_built_cases(built, settings):
    from bench.scale_pages import time_pages

    results = time_pages(requests=0, warm_ups=0, discover=False, echo=False)
    assert len(results) > 40
    failed = {name: r["status"] for name, r in results.items() if r["status"] not in (200, 302)}
    assert failed == {}
    assert results["queue all open"]["rows"] > 0
    assert results["QA queue"]["rows"] > 0
    assert results["admin case"]["rows"] > 0


@pytest.mark.django_db(transaction=True)
def test_the_database_built_another_way_through_import_cases():
    """`bench/scale.py --build-via import`: the same people, the cases loaded by the production
    `manage.py import_cases` (a subprocess on this test database) in every state."""
    require_service(is_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://...")
    from django.db import connection

    from bench.scale import build_by_import

    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    url = f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    build_by_import(url=url, cases=120, reviewers=12, seed=7)
    assert Case.objects.count() == 120
    assert Reviewer.objects.count() >= 12
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.RECEIVED, CaseStatus.IN_REVIEW, CaseStatus.CLOSED} <= statuses
    assert CaseEvent.objects.filter(kind=CaseEventKind.IMPORTED).count() == 120
    assert Assignment.objects.exists() and Determination.objects.exists()
