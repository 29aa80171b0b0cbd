"""Automatic reviewer assignment: cases per second and queries per assignment.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/assignment.py \
        [--reviewers 2000] [--cases 10000] [--database imr_bench_assignment] [--workers 1]

Needs PostgreSQL (the locks and the shortlist query are what is measured). It (re)creates its
own database (`--database`, on the server DATABASE_URL points at), migrates it, bulk-creates
reviewers with licenses, board certifications and affiliations, and cases ready for
assignment with their five parties and one or two disputed items, then assigns every case
through `assign_case_automatically`, exactly as the Celery task does.

Queries per assignment are counted with CaptureQueriesContext on samples taken with 10% and
with 100% of the reviewers on file, to show the count does not grow with the reviewers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPECIALTIES = [
    "Physical Medicine and Rehabilitation",
    "Occupational Medicine",
    "Preventive Medicine",
    "Orthopaedic Surgery",
    "Pain Medicine",
    "Anesthesiology",
    "Internal Medicine",
    "Family Medicine",
    "Psychiatry",
    "Neurological Surgery",
    "Sports Medicine",
    "Neurology",
]
STATES = ["CA", "CA", "CA", "NV", "TX", "GA", "AZ", "OR", "WA", "NY"]
ITEMS = [
    ("Physical Therapy 2x8 for the Lumbar Spine", "physical_medicine", "lumbar spine"),
    ("TPI 20553 X6 in the Right Lumbar Paraspinals", "injections", "lumbar paraspinals"),
    ("Norco 10/325 mg #120", "pharmaceuticals", ""),
    ("MRI of the Lumbar Spine without contrast", "diagnostics", "lumbar spine"),
    ("Right knee arthroscopy", "surgery", "right knee"),
    ("Lumbar fusion L4-5", "surgery", "lumbar spine"),
    ("Cognitive behavioral therapy x6", "behavioral_health", ""),
    ("Chiropractic 2x4", "chiropractic", "lumbar spine"),
    ("Functional restoration program", "programs", ""),
    ("Lumbar brace", "dme", "lumbar spine"),
]
EMPLOYERS = [f"Employer {i} Packing Co." for i in range(400)]
INSURERS = [f"Claims Services {i}, Inc." for i in range(40)]
PROVIDERS = [f"Dr. Provider {i}" for i in range(800)]
UR_ORGS = [f"UR Organization {i} LLC" for i in range(20)]


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _recreate_database(base_url: str, name: str) -> None:
    import psycopg

    parts = urlsplit(base_url)
    admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(*, database: str) -> None:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/assignment.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")
    _recreate_database(base, database)
    os.environ["DATABASE_URL"] = _database_url(base, database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    # As in production: with DEBUG on, Django logs every query (the counts below switch
    # logging on for their samples only).
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-assignment-not-a-secret")
    os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")  # required with DEBUG off
    # The offer email is a separate task a worker sends; here it is only enqueued (in memory).
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from imr_site.celery import app

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)


def make_reviewers(*, count: int, start: int, rng: random.Random) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from reviewers.models import Affiliation, BoardCertification, License, Reviewer

    User = get_user_model()
    today = date.today()
    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"bench-r{start + i}", email=f"r{start + i}@imro.example.org", password=password)
            for i in range(count)
        ]
    )
    reviewers = Reviewer.objects.bulk_create(
        [
            Reviewer(
                user=user,
                reviewer_number=f"R{start + i + 10000:06d}",
                status="suspended" if rng.random() < 0.03 else "active",
                max_open_cases=rng.choice([8, 10, 12]),
                in_practice_since=today - timedelta(days=rng.randint(365 * 4, 365 * 30)),
                weekly_practice_hours=rng.choice([20, 24, 32, 40]),
                hours_attested_on=today - timedelta(days=rng.randint(0, 400)),
            )
            for i, user in enumerate(users)
        ]
    )
    licenses, certifications, affiliations = [], [], []
    for reviewer in reviewers:
        for position, state in enumerate(rng.sample(STATES, rng.randint(1, 3)), start=1):
            licenses.append(
                License(
                    reviewer=reviewer,
                    position=position,
                    state=state,
                    number=f"{state}{reviewer.reviewer_number}{position}",
                    expires_on=today + timedelta(days=rng.randint(-60, 900)),
                    active=rng.random() > 0.02,
                )
            )
        for position, specialty in enumerate(rng.sample(SPECIALTIES, rng.randint(1, 3)), start=1):
            certifications.append(
                BoardCertification(reviewer=reviewer, position=position, specialty=specialty)
            )
        for _ in range(rng.randint(0, 3)):
            pool = rng.choice([EMPLOYERS, INSURERS, PROVIDERS, UR_ORGS])
            affiliations.append(Affiliation(reviewer=reviewer, name=rng.choice(pool).upper()))
    License.objects.bulk_create(licenses, batch_size=2000)
    BoardCertification.objects.bulk_create(certifications, batch_size=2000)
    Affiliation.objects.bulk_create(affiliations, batch_size=2000)


def make_cases(*, count: int, start: int, rng: random.Random) -> list[int]:
    from cases import deadlines
    from cases.models import Case, CaseStatus, DisputedItem, Party, PartyRole

    today = date.today()
    cases = Case.objects.bulk_create(
        [
            Case(
                case_number=f"CM26-{start + i + 1:07d}",
                status=CaseStatus.READY_FOR_ASSIGNMENT,
                received_on=today - timedelta(days=20),
                signed=True,
                ur_decision_attached=True,
                injury_date=today - timedelta(days=900),
                ur_decision_date=today - timedelta(days=30),
                ur_served_on=today - timedelta(days=28),
                ur_reviewer_name=f"Dr. UR Reviewer {rng.randint(1, 300)}",
                ur_organization=rng.choice(UR_ORGS),
                records_complete_on=today - timedelta(days=2),
                determination_due=deadlines.compute_determination_due(
                    records_complete_on=today - timedelta(days=2), expedited=False, formulary_only=False
                ),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    parties, items = [], []
    for case in cases:
        parties += [
            Party(
                case=case, role=PartyRole.EMPLOYEE, name=f"Worker {case.pk}", first_name="W", last_name="X"
            ),
            Party(case=case, role=PartyRole.EMPLOYER, name=rng.choice(EMPLOYERS)),
            Party(case=case, role=PartyRole.CLAIMS_ADMINISTRATOR, name=rng.choice(INSURERS)),
            Party(
                case=case,
                role=PartyRole.REQUESTING_PROVIDER,
                name=rng.choice(PROVIDERS),
                npi=f"{rng.randint(10**9, 10**10 - 1)}",
            ),
        ]
        if rng.random() < 0.4:
            parties.append(
                Party(
                    case=case, role=PartyRole.ATTORNEY, name="A. Lawyer", organization="Lawyer & Partners LLP"
                )
            )
        # About 1.6 items per case, mostly the common categories.
        chosen = rng.sample(ITEMS[:4], 1) if rng.random() < 0.45 else rng.sample(ITEMS, 2)
        for position, (description, category, body_part) in enumerate(chosen, start=1):
            items.append(
                DisputedItem(
                    case=case,
                    position=position,
                    description=description,
                    category=category,
                    body_part=body_part,
                    ur_decision="denied",
                )
            )
    Party.objects.bulk_create(parties, batch_size=5000)
    DisputedItem.objects.bulk_create(items, batch_size=5000)
    return [case.pk for case in cases]


def _analyze() -> None:
    """Refresh planner statistics after the bulk load, as autovacuum would on a live database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def queries_per_assignment(case_ids: list[int]) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviewers.services.assignment import assign_case_automatically

    counts, assigned = [], 0
    for case_id in case_ids:
        with CaptureQueriesContext(connection) as captured:
            assigned += assign_case_automatically(case_id=case_id) is not None
        counts.append(len(captured.captured_queries))
    return statistics.mean(counts), max(counts), assigned


def _assign_slice(case_ids: list[int]) -> int:
    from reviewers.services.assignment import assign_case_automatically

    return sum(assign_case_automatically(case_id=case_id) is not None for case_id in case_ids)


def assign_all(case_ids: list[int], *, workers: int) -> int:
    if workers <= 1:
        return _assign_slice(case_ids)
    from multiprocessing import get_context

    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    with get_context("fork").Pool(workers) as pool:
        return sum(pool.map(_assign_slice, [case_ids[i::workers] for i in range(workers)]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviewers", type=int, default=2000)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--database", default="imr_bench_assignment")
    parser.add_argument("--workers", type=int, default=1, help="processes assigning in parallel")
    parser.add_argument("--sample", type=int, default=100, help="cases per query-count sample")
    parser.add_argument("--seed", type=int, default=20150227)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    _setup_django(database=args.database)

    small = max(1, args.reviewers // 10)
    t0 = time.perf_counter()
    make_reviewers(count=small, start=0, rng=rng)
    sample_small = make_cases(count=args.sample, start=0, rng=rng)
    _analyze()
    q_small, q_small_max, _ = queries_per_assignment(sample_small)
    make_reviewers(count=args.reviewers - small, start=small, rng=rng)
    sample_full = make_cases(count=args.sample, start=args.sample, rng=rng)
    _analyze()
    q_full, q_full_max, _ = queries_per_assignment(sample_full)
    case_ids = make_cases(count=args.cases, start=2 * args.sample, rng=rng)
    _analyze()
    print(f"data built in {time.perf_counter() - t0:.1f} s")
    print(f"queries per assignment with {small} reviewers: mean {q_small:.1f}, max {q_small_max}")
    print(f"queries per assignment with {args.reviewers} reviewers: mean {q_full:.1f}, max {q_full_max}")

    started = time.perf_counter()
    assigned = assign_all(case_ids, workers=args.workers)
    elapsed = time.perf_counter() - started

    from cases.models import Case

    flagged = Case.objects.filter(pk__in=case_ids, needs_manual_assignment=True).count()
    print(
        f"assigned {assigned} of {len(case_ids)} cases in {elapsed:.1f} s with {args.workers} process(es): "
        f"{len(case_ids) / elapsed:.0f} cases/s ({flagged} flagged for manual assignment)"
    )


if __name__ == "__main__":
    main()
