"""EXPLAIN ANALYZE of every query the dashboard and each report make, on a database built by
bench/scale.py (`--build-only`): which index serves each query and what it costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imr_scale .venv/bin/python bench/reports_explain.py \
        [--vacuum] [--plans]

Runs each report over the last twelve months (its default period) as the pages do, captures
its queries, then runs `EXPLAIN (ANALYZE, BUFFERS)` on each and prints the execution time and
the scans used (`--plans`: the whole plans). `--vacuum` first runs VACUUM (ANALYZE) so index-only
scans see a visibility map (a bulk-built database has none until autovacuum runs).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


SCAN = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)( Backward)? (using \S+ )?on \S+")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vacuum", action="store_true")
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import clock
    from reports import dashboard as board
    from reports.periods import default_period
    from reports.selectors import KINDS, run_report

    if args.vacuum:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    today = clock.today()
    period = default_period(today=today)
    jobs = {
        "dashboard": lambda: (
            board.todays_work(today=today),
            board.ageing(today=today),
            board.due_this_week(today=today),
            board.reviewer_workload(),
            board.monthly_trend(today=today),
        ),
        **{
            kind: (lambda kind=kind: run_report(kind=kind, period=period, today=today, limit=500))
            for kind in KINDS
        },
    }
    for name, job in jobs.items():
        with CaptureQueriesContext(connection) as captured:
            job()
        total = 0.0
        print(f"== {name} ({len(captured.captured_queries)} queries)")
        for query in captured.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = [row[0] for row in cursor.fetchall()]
            ms = float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1))
            total += ms
            scans = sorted({m.group(0) for line in plan for m in [SCAN.search(line)] if m})
            print(f"  {ms:8.2f} ms  {query['sql'][:90]}")
            for scan in scans:
                print(f"             {scan}")
            if args.plans:
                print("\n".join("      " + line for line in plan))
        print(f"  total {total:.1f} ms")


if __name__ == "__main__":
    main()
