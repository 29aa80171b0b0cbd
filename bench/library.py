"""The decision library at scale: public search and precedent panel timings (p50/p95).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/library.py \
        [--cases 200000] [--runs 40] [--database imr_bench_library]

Needs PostgreSQL. It (re)creates its own database, migrates it, and fills `library_publisheditem`
with about 1.6 items per case (320,000 rows for 200,000 cases) by SQL `generate_series`: the
read side only, so its foreign keys are dropped in this throw-away database (the cases,
determinations and items they point at are not what is measured). Then it times, through the
project's selectors, one page of the public search (count + page, as the view runs them) for
each filter and for full-text queries, and the precedent query of one disputed item.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.assignment import _database_url, _recreate_database  # noqa: E402

TREATMENTS = [
    ("Physical Therapy 2x8 for the Lumbar Spine", "physical_medicine"),
    ("Trigger point injections x4 lumbar paraspinals", "injections"),
    ("Norco 10/325 mg #120", "pharmaceuticals"),
    ("Tramadol ER 100mg #30", "pharmaceuticals"),
    ("MRI of the Lumbar Spine without contrast", "diagnostics"),
    ("Right knee arthroscopy", "surgery"),
    ("Cognitive behavioral therapy x6", "behavioral_health"),
    ("Chiropractic 2x4 lumbar spine", "chiropractic"),
    ("Functional restoration program 160 hours", "programs"),
    ("Lumbar brace", "dme"),
]
RATIONALES = [
    "MTUS requires at least 50% pain relief for six weeks after trigger point injections; "
    "relief is not documented.",
    "Functional improvement after physical therapy is documented and supports additional visits.",
    "Opioid use without documented functional benefit or urine drug screening is not supported by MTUS.",
    "Imaging is indicated for red flags or progressive neurologic deficit, which are not documented.",
    "The injured worker completed a home exercise program; further supervised therapy is not necessary.",
]
SPECIALTIES = ["Pain Medicine", "Orthopaedic Surgery", "Physical Medicine and Rehabilitation", "Psychiatry"]


def _count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM library_publisheditem")
        return cursor.fetchone()[0]


def _setup(database: str, *, reuse: bool = False) -> None:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/library.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")
    if not reuse:
        _recreate_database(base, database)
    os.environ["DATABASE_URL"] = _database_url(base, database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-library-not-a-secret")
    os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill(cases: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'library_publisheditem'::regclass "
            "AND contype = 'f'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE library_publisheditem DROP CONSTRAINT {name}")
        t_values = ", ".join(f"({i}, %s, %s)" for i in range(len(TREATMENTS)))
        cursor.execute(
            f"CREATE TEMP TABLE t(i int, treatment text, category text); INSERT INTO t VALUES {t_values}",
            [v for pair in TREATMENTS for v in pair],
        )
        r_values = ", ".join(f"({i}, %s)" for i in range(len(RATIONALES)))
        cursor.execute(
            f"CREATE TEMP TABLE r(i int, rationale text); INSERT INTO r VALUES {r_values}", RATIONALES
        )
        s_values = ", ".join(f"({i}, %s)" for i in range(len(SPECIALTIES)))
        cursor.execute(
            f"CREATE TEMP TABLE s(i int, specialty text); INSERT INTO s VALUES {s_values}", SPECIALTIES
        )
        cursor.execute(
            """
            INSERT INTO library_publisheditem (case_id, determination_id, item_decision_id, disputed_item_id,
                case_number, position, decided_on, injury_date, received_on, specialty, category,
                formulary_drug, treatment, decision, guideline, rationale, search_text, published_at)
            SELECT n, n, n * 2 + p, n * 2 + p,
                'CM' || lpad(((n %% 12) + 14)::text, 2, '0') || '-' || lpad(n::text, 7, '0'), p + 1,
                DATE '2014-01-01' + (n %% 4300), DATE '2005-01-01' + (n %% 6000),
                DATE '2013-12-01' + (n %% 4300), s.specialty, t.category, false,
                t.treatment || ' visit ' || (n %% 97),
                CASE WHEN n %% 10 = 0 THEN 'overturned' ELSE 'upheld' END,
                'MTUS Chronic Pain Treatment Guidelines', r.rationale || ' Case note ' || n,
                t.treatment || E'\n' || 'MTUS' || E'\n' || r.rationale || ' Case note ' || n, now()
            FROM generate_series(1, %s) AS n
            CROSS JOIN generate_series(0, 1) AS p
            JOIN t ON t.i = (n + p * 3) %% 10
            JOIN r ON r.i = (n * 7 + p) %% 5
            JOIN s ON s.i = n %% 4
            WHERE p = 0 OR n %% 5 < 3
            """,
            [cases],
        )
        # What autovacuum does to a table after many inserts: statistics, and the visibility map
        # the index-only scans of the public search rely on.
        cursor.execute("VACUUM ANALYZE library_publisheditem")
        cursor.execute("SELECT count(*) FROM library_publisheditem")
        return cursor.fetchone()[0]


def _time(fn, runs: int) -> tuple[float, float]:
    fn()  # warm
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database", default="imr_bench_library")
    parser.add_argument("--reuse", action="store_true", help="Keep the filled database of a previous run.")
    args = parser.parse_args()
    _setup(args.database, reuse=args.reuse)
    started = time.perf_counter()
    rows = _count() if args.reuse else _fill(args.cases)
    print(f"{args.cases} cases, {rows} published items (filled in {time.perf_counter() - started:.1f} s)")

    from cases.models import DisputedItem
    from library.selectors import (
        PublicFilters,
        precedents_for_item,
        public_search,
    )

    def page(filters: PublicFilters, number: int = 1):
        def run():
            page_obj = public_search(filters=filters).get_page(number)
            return list(page_obj)

        return run

    cases = [
        ("no filter", PublicFilters()),
        ("no filter, page 200", PublicFilters()),
        ("case number", PublicFilters(case_number="CM15-00012")),
        ("injury range", PublicFilters(injury_from=date(2010, 1, 1), injury_to=date(2010, 3, 31))),
        ("received range", PublicFilters(received_from=date(2020, 1, 1), received_to=date(2020, 1, 31))),
        ("decision range", PublicFilters(decided_from=date(2024, 6, 1), decided_to=date(2024, 6, 30))),
        ("specialty", PublicFilters(specialty="rehabilitation")),
        ("category + outcome", PublicFilters(category="injections", decision="overturned")),
        ("drug", PublicFilters(treatment="tramadol")),
        ("specialty + drug (2.5 % of rows)", PublicFilters(specialty="psychiatry", treatment="tramadol")),
        ("text: trigger point injections", PublicFilters(q="trigger point injections")),
        ("text: trigger point injections, page 80", PublicFilters(q="trigger point injections")),
        ("text: opioid screening", PublicFilters(q="opioid screening", category="pharmaceuticals")),
        ("text: rare word", PublicFilters(q="neurologic deficit red flags", decided_from=date(2024, 1, 1))),
    ]
    print(f"{'public search (count + page of 25)':45} {'p50 ms':>8} {'p95 ms':>8}")
    for label, filters in cases:
        number = 200 if "page 200" in label else 80 if "page 80" in label else 1
        p50, p95 = _time(page(filters, number), args.runs)
        print(f"{label:45} {p50:8.1f} {p95:8.1f}")
    item = DisputedItem(
        case_id=0,
        description="Trigger point injections x6 right lumbar paraspinals",
        category="injections",
        position=1,
    )
    p50, p95 = _time(lambda: precedents_for_item(item=item), args.runs)
    print(f"{'precedents of one item (pool of 50)':45} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
