"""California's volume on one box: build a database of N realistic cases, then time every page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/scale.py \
        [--cases 200000] [--db imr_scale] [--reuse] [--build-only | --pages-only] \
        [--requests 20] [--json FILE]

Needs PostgreSQL. It (re)creates its own database (`--db`, default imr_scale, on the server
DATABASE_URL points at; 127.0.0.1 with user postgres when unset), migrates it and builds
`--cases` cases in every workflow state with their parties, items, events, documents' rows,
assignments, determinations, letters and deliveries, and 3,000 reviewers, through the bulk
builder in `bench/scale_data.py` (COPY, a few thousand cases a transaction), then ANALYZE.
`--reuse` keeps the database when it already holds exactly that many cases and every
migration is applied (otherwise it rebuilds). `--build-via import` builds it another way, for
an independent measurement: the same people (staff and reviewers) made first, then the cases
written as one `imr-case/1` file and loaded by the production command, `manage.py
import_cases` (validation, batched writes, the app's own events; letters and deliveries are not
part of the exchange format, so the pages listing them are short).

Then, with DEBUG off, it requests every staff, reviewer, QA and admin page through Django's
test Client (the real middleware stack, in process): 2 warm-ups, then `--requests` timed
requests each, and prints median and p95 milliseconds, the queries one request makes and the
rows it shows. Last, it writes a 5,000-case `imr-case/1` file and times
`manage.py import_cases` on it (cases/s, the command's whole run) into a copy of the database
(`CREATE DATABASE ... TEMPLATE`), dropped afterwards.
The load average (1, 5, 15 minutes) is printed at the start and the end: other processes on
the machine slow every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
IMPORT_CASES = 5000
IMPORT_FIRST_NUMBER = 9_000_000


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connect(base: str):
    import psycopg

    parts = urlsplit(base)
    return psycopg.connect(urlunsplit(("postgresql", parts.netloc, "/postgres", "", "")), autocommit=True)


def _libpq_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def _database_exists(base: str, name: str) -> bool:
    with _admin_connect(base) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _recreate_database(base: str, name: str) -> None:
    with _admin_connect(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _environment(url: str) -> dict[str, str]:
    """The settings' environment for the timed site: as in production, DEBUG off."""
    return {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "imr_site.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-scale-not-a-secret"),
        "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
        # Nothing timed here needs a worker; a task enqueued stays in memory.
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "ERROR"),
        # Static files under their plain names, as the tests serve them: a checkout has not run
        # collectstatic, and the manifest's lookup (a dict) costs the page nothing measurable.
        "STATIC_MANIFEST": os.environ.get("STATIC_MANIFEST", "false"),
    }


def _setup_django(url: str) -> None:
    os.environ.update(_environment(url))
    import django

    django.setup()


def _migrations_applied() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


IMPORT_BUILD_CHUNK = 10_000


def byte_compile_project() -> None:
    """Write the project's bytecode (`__pycache__`), as any deployed site has it: Python writes
    it on a module's first import, unless PYTHONDONTWRITEBYTECODE is set (as on this machine),
    when each new process would compile the app's ~270 modules again (0.35 s of a command)."""
    import compileall

    for package in sorted(ROOT.iterdir()):
        if (package / "__init__.py").is_file() and package.name != "tests":
            compileall.compile_dir(str(package), quiet=1, workers=0)


def _run_import_cases(*, path: Path, url: str) -> subprocess.CompletedProcess[str]:
    """`manage.py import_cases path` on the database at `url`, as the timed site is set up."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_cases", str(path)],
        env={**os.environ, **_environment(url)},
        capture_output=True,
        text=True,
        check=False,
    )


def build_by_import(*, url: str, cases: int, reviewers: int, seed: int) -> None:
    """The cases through `manage.py import_cases` (the production path), from a file written
    in chunks of generated `imr-case/1` payloads."""
    import random

    from bench.scale_data import ensure_people, plan_payloads
    from core.clock import today

    people = ensure_people(reviewers=reviewers, rng=random.Random(seed))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scale-build.jsonl"
        written = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            for start in range(0, cases, IMPORT_BUILD_CHUNK):
                payloads = plan_payloads(
                    count=min(IMPORT_BUILD_CHUNK, cases - start),
                    people=people,
                    seed=seed + 1 + start,
                    today=today(),
                    first_number=1 + start,
                )
                out.write("".join(json.dumps(payload) + "\n" for payload in payloads))
        print(f"  wrote {cases:,} payloads in {time.perf_counter() - written:.1f} s", flush=True)
        byte_compile_project()
        started = time.perf_counter()
        result = _run_import_cases(path=path, url=url)
        elapsed = time.perf_counter() - started
    print(f"  import_cases: {result.stdout.strip()[-500:]} in {elapsed:.1f} s", flush=True)
    if result.returncode != 0:
        sys.exit(f"import_cases failed: {result.stderr[-3000:]}")


def build(*, cases: int, reviewers: int, seed: int, jobs: int, via: str = "bulk", url: str = "") -> float:
    from django.core.management import call_command

    from bench.scale_data import build_cases

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    print(f"migrated in {migrated - started:.1f} s", flush=True)
    if via == "import":
        build_by_import(url=url, cases=cases, reviewers=reviewers, seed=seed)
        return _after_build(started)

    def progress(report) -> None:
        rate = report.cases / report.seconds if report.seconds else 0
        print(f"  {report.cases:>8,} cases  {report.seconds:7.1f} s  {rate:,.0f} cases/s", flush=True)

    import resource

    report = build_cases(count=cases, reviewers=reviewers, seed=seed, jobs=jobs, progress=progress)
    cpu = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )
    print(f"CPU time of the builder's processes (PostgreSQL's not counted): {cpu:.0f} s", flush=True)
    elapsed = _after_build(started)
    print(
        f"built {report.cases:,} cases in {report.seconds:.1f} s (with migrate and ANALYZE {elapsed:.1f} s)"
    )
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in sorted(report.rows.items())))
    print("statuses: " + ", ".join(f"{name} {count:,}" for name, count in sorted(report.statuses.items())))
    return elapsed


def _after_build(started: float) -> float:
    from django.db import connection

    # The reports' decisions rollup, as the periodic task keeps it in a live database (first run:
    # every day of issue; reports.rollups).
    from reports.rollups import refresh_changed

    counted = time.perf_counter()
    rollup = refresh_changed(full=True)
    from reports.snapshots import refresh_snapshots

    refresh_snapshots()
    print(
        f"reports rollup: {rollup['days']:,} days, {rollup['rows']:,} rows in "
        f"{time.perf_counter() - counted:.1f} s",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--reviewers", type=int, default=3000)
    parser.add_argument("--db", default="imr_scale", help="database name on the DATABASE_URL server")
    parser.add_argument("--reuse", action="store_true", help="keep the database when it holds --cases cases")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--pages-only", action="store_true", help="time the existing database as it is")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--seed", type=int, default=20260227)
    parser.add_argument("--jobs", type=int, default=2, help="processes writing the cases")
    parser.add_argument(
        "--build-via",
        choices=["bulk", "import"],
        default="bulk",
        help="bulk: the COPY builder; import: a generated file through manage.py import_cases",
    )
    parser.add_argument("--no-import", action="store_true", help="skip the import_cases timing")
    parser.add_argument("--no-pages", action="store_true", help="skip the page timings")
    parser.add_argument("--only", help="time only the pages whose name matches this regular expression")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=60.0,
        help="stop timing a page after this many seconds (at least 3 requests are timed)",
    )
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = DEFAULT_SERVER
    url = _database_url(base, args.db)
    loads = [load_average()]
    print(f"load average at start: {loads[0]}", flush=True)

    build_seconds = None
    if args.pages_only:
        if not _database_exists(base, args.db):
            sys.exit(f"--pages-only: database {args.db} does not exist")
        _setup_django(url)
    else:
        reuse = False
        if args.reuse and _database_exists(base, args.db):
            _setup_django(url)
            from cases.models import Case

            reuse = _migrations_applied() and Case.objects.count() == args.cases
            if not reuse:
                from django.db import connections

                connections.close_all()
                print(f"{args.db} does not hold {args.cases} cases with every migration applied: rebuilding")
        if reuse:
            print(f"reusing {args.db} ({args.cases:,} cases)")
        else:
            _recreate_database(base, args.db)
            if "django" not in sys.modules or not _django_ready():
                _setup_django(url)
            build_seconds = build(
                cases=args.cases,
                reviewers=args.reviewers,
                seed=args.seed,
                jobs=args.jobs,
                via=args.build_via,
                url=url,
            )
        loads.append(load_average())
        print(f"load average after the build: {loads[-1]}", flush=True)
    if args.build_only:
        return

    from bench.scale_pages import time_pages
    from cases.models import Case

    total = Case.objects.count()
    pages = {}
    if not args.no_pages:
        pages = time_pages(requests=args.requests, only=args.only, max_seconds=args.max_seconds)
        loads.append(load_average())
        print_table(pages)

    def write(import_rate: float | None) -> None:
        if not args.json:
            return
        result = {
            "cases": total,
            "import_cases_per_s": round(import_rate, 1) if import_rate is not None else None,
            "build_s": round(build_seconds, 1) if build_seconds is not None else None,
            "requests": args.requests,
            "load_avg": loads,
            "pages": pages,
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}", flush=True)

    write(None)  # the pages' figures are kept even if the import is interrupted
    import_rate = None
    if not args.no_import:
        import_rate = time_import(url=url, count=IMPORT_CASES, seed=args.seed)
        loads.append(load_average())
        print(f"import_cases: {import_rate:,.0f} cases/s ({IMPORT_CASES:,} cases)")
        write(import_rate)
    print(f"cases: {total:,}; load average (1, 5, 15 min) during the run: {loads}")


def _django_ready() -> bool:
    from django.apps import apps

    return apps.ready


def print_table(pages: dict[str, dict]) -> None:
    width = max(len(name) for name in pages)
    print(
        f"{'page':<{width}}  {'median':>9}  {'p95':>9}  {'CPU med':>9}  {'CPU p95':>9}  {'queries':>7}  "
        f"{'rows':>6}  status"
    )
    for name, figures in pages.items():
        cpu = "".join(
            f"  {figures[key]:>6.1f} ms" if figures.get(key) is not None else f"  {'-':>9}"
            for key in ("cpu_median_ms", "cpu_p95_ms")
        )
        print(
            f"{name:<{width}}  {figures['median_ms']:>6.1f} ms  {figures['p95_ms']:>6.1f} ms{cpu}  "
            f"{figures['queries']:>7}  {figures['rows']:>6}  {figures['status']}"
        )


def time_import(*, url: str, count: int, seed: int) -> float:
    """Seconds of `manage.py import_cases` on a generated file of `count` cases, as cases/s.

    The file is imported into a copy of the timed database (`CREATE DATABASE ... TEMPLATE`:
    the same 200,000 cases and indexes), dropped afterwards: imported cases cannot be deleted
    through the app (their events are the audit trail), and the timed database stays as built."""
    import random

    from django.db import connections

    from bench.scale_data import ensure_people, plan_payloads
    from core.clock import today

    people = ensure_people(reviewers=0, rng=random.Random(seed))
    payloads = plan_payloads(
        count=count, people=people, seed=seed + 1, today=today(), first_number=IMPORT_FIRST_NUMBER
    )
    name = urlsplit(url).path.lstrip("/")
    copy = f"{name}_import"
    connections.close_all()  # a template database may have no other connection
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        copied = time.perf_counter()
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
        print(f"copied {name} to {copy} in {time.perf_counter() - copied:.1f} s", flush=True)
    copy_url = _database_url(url, copy)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "scale-import.jsonl"
            path.write_text("\n".join(json.dumps(p) for p in payloads) + "\n", encoding="utf-8")
            import resource

            byte_compile_project()
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            result = _run_import_cases(path=path, url=copy_url)
            elapsed = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        import psycopg

        with psycopg.connect(_libpq_url(copy_url)) as conn:
            row = conn.execute(
                "SELECT count(*) FROM cases_case WHERE case_number = ANY(%s)",
                [[p["case_number"] for p in payloads]],
            ).fetchone()
        imported = row[0] if row else 0
    finally:
        with _admin_connect(url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
    print(
        f"import_cases: {result.stdout.strip()} in {elapsed:.1f} s "
        f"(the command's own CPU time {cpu:.1f} s; PostgreSQL's not counted)",
        flush=True,
    )
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
    return imported / elapsed


if __name__ == "__main__":
    main()
