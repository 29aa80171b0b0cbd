"""`import_cases` and `export_cases`: cases per second, and the export's memory at two sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_export.py \
        [--cases 5000] [--batch-size 500] [--database imr_bench_import_export] [--json FILE]

Needs PostgreSQL. It (re)creates its own database (`--database`, on the server DATABASE_URL
points at), migrates it and loads the demo data (`seed_demo`: the users, reviewer R10001 the
histories name). It then writes a .jsonl file of N cases made from the ten demo cases (every
state from received to closed: histories with assignments, determinations, an expedited and a
formulary case, one past case without history), each with its own number, employee and
claim number (two cases share a claim, so the duplicate-IMR rule has work to do), and:

1. imports the first half of the file through `import_cases` (the management command's
   function, `import_cases_file`), exports every case (`export_cases`, as the command does:
   one JSON line each, written to a temporary file) timed, then again under tracemalloc for
   the export's peak of Python memory;
2. imports the second half, exports all N cases timed and again under tracemalloc.

Prints cases/s for the import (both halves) and the export (of all N), and the export's
peak memory at N/2 and N cases (flat: it reads BATCH_SIZE cases at a time). `--json FILE`
writes {"cases", "batch_size", "import_cases_per_s", "export_cases_per_s",
"export_peak_kib": {"N/2": .., "N": ..}, "imported", "refused", "load_average"}.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_NAMES = ["Maria", "James", "Linh", "Gary", "Aisha", "Diego", "Hannah", "Omar", "Grace", "Tomasz"]
LAST_NAMES = [
    "Hernandez",
    "Nguyen",
    "Smith",
    "Okafor",
    "Lindqvist",
    "Patel",
    "Rossi",
    "Kim",
    "Brown",
    "Silva",
]
FIRST_SEQUENCE = 5_000_000  # far from the demo cases' numbers


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


def _setup_django(*, database: str, media: str) -> None:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/import_export.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")
    _recreate_database(base, database)
    os.environ["DATABASE_URL"] = _database_url(base, database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    os.environ.setdefault("DEBUG", "false")  # with DEBUG on, Django keeps every query in memory
    os.environ.setdefault("SECRET_KEY", "bench-import-export-not-a-secret")
    os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
    os.environ["MEDIA_ROOT"] = media
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from exchange.services.demo import seed_demo_data

    seed_demo_data()


def generated_payloads(*, count: int) -> list[dict]:
    """`count` cases in the imr-case/1 format, the demo cases varied; valid against today."""
    from exchange.services.demo import demo_case_payloads

    templates = [payload for _name, payload in demo_case_payloads()]
    payloads = []
    for index in range(count):
        payload = copy.deepcopy(templates[index % len(templates)])
        prefix = payload["case_number"][: len("CMyy-")]
        payload["case_number"] = f"{prefix}{FIRST_SEQUENCE + index:07d}"
        employee = payload["employee"]
        employee["first_name"] = FIRST_NAMES[index % len(FIRST_NAMES)]
        employee["last_name"] = f"{LAST_NAMES[(index // 10) % len(LAST_NAMES)]}-{index}"
        employee["email"] = f"employee{index}@example.org"
        claims = payload["claims_administrator"]
        claims["claim_number"] = f"{claims['claim_number']}-{index // 2}"
        payloads.append(payload)
    return payloads


def _backend_cpu_seconds() -> float | None:
    """CPU seconds the PostgreSQL backend serving this connection has used (when the server
    runs on this machine and /proc is readable), else None."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Clock:
    """Wall seconds, and CPU seconds of this process plus its PostgreSQL backend."""

    def __init__(self) -> None:
        self.wall = self.client = self.server = 0.0
        self.server_known = True

    @property
    def cpu(self) -> float:
        return self.client + self.server

    def __enter__(self) -> _Clock:
        self._wall, self._cpu, self._server = time.perf_counter(), time.process_time(), _backend_cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        server = _backend_cpu_seconds()
        self.wall += time.perf_counter() - self._wall
        self.client += time.process_time() - self._cpu
        if server is None or self._server is None:
            self.server_known = False
        else:
            self.server += server - self._server


def _export_to(path: Path) -> int:
    from exchange.export import export_cases

    count = 0
    with path.open("w", encoding="utf-8") as stream:
        for data in export_cases():
            stream.write(json.dumps(data, ensure_ascii=False) + "\n")
            count += 1
    return count


def _timed_export(path: Path) -> tuple[int, _Clock]:
    with _Clock() as clock:
        count = _export_to(path)
    return count, clock


def _export_peak_kib(path: Path) -> float:
    tracemalloc.start()
    try:
        _export_to(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: IMPORT_BATCH_SIZE (500)")
    parser.add_argument("--database", default="imr_bench_import_export")
    parser.add_argument("--json", type=Path, metavar="FILE")
    args = parser.parse_args()
    if args.cases < 2:
        sys.exit("--cases must be at least 2")

    with tempfile.TemporaryDirectory(prefix="imr-bench-import-") as tmp:
        work = Path(tmp)
        _setup_django(database=args.database, media=str(work / "media"))
        from cases.models import Case
        from exchange.services.intake import IMPORT_BATCH_SIZE, import_cases_file

        batch_size = args.batch_size or IMPORT_BATCH_SIZE
        payloads = generated_payloads(count=args.cases)
        half = args.cases // 2
        files = []
        for name, part in (("first-half.jsonl", payloads[:half]), ("second-half.jsonl", payloads[half:])):
            path = work / name
            path.write_text("".join(json.dumps(payload) + "\n" for payload in part), encoding="utf-8")
            files.append(path)
        del payloads
        before = Case.objects.count()
        export = work / "export.jsonl"

        import_clock = _Clock()
        imported = refused = 0
        peaks: dict[str, float] = {}
        export_count, export_clock = 0, _Clock()
        for label, path in zip(("N/2", "N"), files, strict=True):
            with import_clock:
                report = import_cases_file(path=path, batch_size=batch_size)
            imported += len(report.imported)
            refused += report.refused
            for error in report.errors[:5]:
                print(f"refused: {error}", file=sys.stderr)
            export_count, export_clock = _timed_export(export)
            peaks[label] = _export_peak_kib(export)
            print(f"{label}: {export_count} cases on file, export peak {peaks[label]:,.0f} KiB", flush=True)
        assert Case.objects.count() - before == imported

    cpu_label = (
        "CPU s (bench + its PostgreSQL backend)" if import_clock.server_known else "CPU s (bench only)"
    )
    result = {
        "cases": args.cases,
        "batch_size": batch_size,
        "imported": imported,
        "refused": refused,
        "import_cases_per_s": round(imported / import_clock.wall, 1),
        "import_cases_per_cpu_s": round(imported / import_clock.cpu, 1),
        "export_cases": export_count,
        "export_cases_per_s": round(export_count / export_clock.wall, 1),
        "export_cases_per_cpu_s": round(export_count / export_clock.cpu, 1),
        "cpu": cpu_label,
        "import_cpu_s": {"bench": round(import_clock.client, 2), "postgres": round(import_clock.server, 2)},
        "export_cpu_s": {"bench": round(export_clock.client, 2), "postgres": round(export_clock.server, 2)},
        "export_peak_kib": {label: round(peak, 1) for label, peak in peaks.items()},
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }
    print(
        f"import_cases: {imported} imported, {refused} refused in {import_clock.wall:.2f} s "
        f"= {result['import_cases_per_s']:,} cases/s (batches of {batch_size}); "
        f"{import_clock.cpu:.2f} {cpu_label} = {result['import_cases_per_cpu_s']:,} cases per CPU s "
        f"(bench {import_clock.client:.2f} s, PostgreSQL {import_clock.server:.2f} s)"
    )
    print(
        f"export_cases: {export_count} cases in {export_clock.wall:.2f} s = {result['export_cases_per_s']:,} "
        f"cases/s; {export_clock.cpu:.2f} {cpu_label} = {result['export_cases_per_cpu_s']:,} cases per CPU s "
        f"(bench {export_clock.client:.2f} s, PostgreSQL {export_clock.server:.2f} s)"
    )
    print(f"export_cases peak Python memory: {peaks['N/2']:,.0f} KiB at N/2, {peaks['N']:,.0f} KiB at N")
    print(f"load average (1, 5, 15 min): {result['load_average']} on {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
