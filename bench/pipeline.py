"""The letter pipeline at a day's volume: QA approval to the last email accepted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pipeline.py \
        [--determinations 750] [--workers 2] [--database imr_bench_pipeline] [--timeout 900] [--json FILE]

Needs PostgreSQL and `redis-server` on the PATH. The bench (re)creates its own database
(`--database`, on the server DATABASE_URL points at), loads the demo data (`seed_demo`: the
QA user `qa`, reviewer R10001 with licenses and certifications) and imports N cases in QA
review (the demo in-review case with a `qa_review` entry added, through `import_cases`),
each with a submitted determination deciding every item. It starts:

- a private `redis-server` on a free port (no disk, nothing shared with other Redis users)
  as the Celery broker;
- a local SMTP server (aiosmtpd, in this process) that records every message it accepts,
  with the moment and the Message-ID;
- `--workers` Celery worker processes (`celery -A imr_site worker --pool=solo --queues
  letters,email,default`: one task at a time each, every queue), on the bench database, the
  broker and the SMTP server.

Then it approves every determination through the public service (`qa_approve`, as the QA
page does: the approval enqueues the letter, the letter's task its deliveries) and waits
until every email delivery is sent. Prints the seconds from the first approval to the last
email accepted, the letters issued, the emails expected (email deliveries), accepted and
duplicated (a Message-ID accepted twice), and, with `--json FILE`, writes them as JSON
with the load average.
"""

from __future__ import annotations

import argparse
import copy
import email
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST_SEQUENCE = 8_000_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class Recorder:
    """aiosmtpd handler: (moment accepted, Message-ID) of every message, thread-safe."""

    def __init__(self) -> None:
        self.accepted: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.accepted.append((time.perf_counter(), str(message.get("Message-ID", ""))))
        return "250 OK"

    def snapshot(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self.accepted)


def _start_redis(work: Path) -> tuple[subprocess.Popen, int]:
    if shutil.which("redis-server") is None:
        sys.exit("bench/pipeline.py needs redis-server on the PATH")
    port = _free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("redis-server did not start")


def _setup_django(*, database_url: str, broker: str, smtp_port: int, media: Path) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    os.environ["MEDIA_ROOT"] = str(media)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-pipeline-not-a-secret")
    os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _qa_review_payloads(count: int) -> list[dict]:
    """The demo in-review case, submitted to QA, `count` times with its own number and people."""
    from exchange.services.demo import demo_case_payloads

    (template,) = [p for name, p in demo_case_payloads() if name.startswith("CM26-0100106")]
    last_on = template["history"][-1]["on"]
    payloads = []
    for index in range(count):
        payload = copy.deepcopy(template)
        payload["case_number"] = f"CM26-{FIRST_SEQUENCE + index:07d}"
        payload["employee"]["last_name"] = f"Tran-{index}"
        payload["employee"]["email"] = f"employee{index}@example.org"
        payload["claims_administrator"]["claim_number"] = f"KCA-2026-{index:06d}"
        payload["history"].append({"status": "qa_review", "on": last_on})
        payloads.append(payload)
    return payloads


def _build_cases(*, count: int, work: Path) -> list[int]:
    """N cases in QA review with a submitted determination each; returns the determination ids."""
    from django.db import transaction

    from cases.models import Case, DisputedItem
    from core import clock
    from determinations.models import Determination, DeterminationStatus, ItemDecision
    from exchange.services.demo import seed_demo_data
    from exchange.services.intake import import_cases_file
    from reviewers.models import Reviewer

    seed_demo_data()
    path = work / "qa-review.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in _qa_review_payloads(count)), encoding="utf-8")
    report = import_cases_file(path=path)
    if report.refused:
        sys.exit("cases refused: " + "; ".join(report.errors[:3]))
    seed = json.loads((ROOT / "tests" / "data" / "seed-case.json").read_text(encoding="utf-8"))
    rationale = seed["determination"]["items"][0]["rationale"]
    reviewer = Reviewer.objects.get(reviewer_number="R10001")
    cases = list(Case.objects.filter(case_number__in=report.imported).order_by("case_number"))
    with transaction.atomic():
        determinations = Determination.objects.bulk_create(
            [
                Determination(
                    case=case,
                    reviewer=reviewer,
                    status=DeterminationStatus.SUBMITTED,
                    clinical_case_summary=seed["determination"]["clinical_case_summary"],
                    submitted_at=clock.now(),
                    version=1,
                )
                for case in cases
            ]
        )
        by_case = {d.case_id: d for d in determinations}
        ItemDecision.objects.bulk_create(
            [
                ItemDecision(
                    determination=by_case[item.case_id],
                    disputed_item=item,
                    decision="upheld" if item.position % 2 else "overturned",
                    reviewer_guideline=f"{item.claims_administrator_guideline} Page(s): 8 of 127",
                    rationale=rationale,
                )
                for item in DisputedItem.objects.filter(case__in=cases)
            ]
        )
    return [d.pk for d in determinations]


def _start_workers(*, count: int, env: dict[str, str], work: Path) -> list[subprocess.Popen]:
    from django.conf import settings

    from imr_site import queues
    from imr_site.celery import app

    # Every worker serves every queue (letters, email, default): the outbox hands letters and
    # emails to their own queues, and a worker started without --queues serves `default` only.
    served = ",".join(queues.queue_names(prefix=settings.CELERY_QUEUE_PREFIX))

    processes, nodes = [], []
    for number in range(1, count + 1):
        node = f"bench-pipeline-{number}-{os.getpid()}@{socket.gethostname()}"
        log = (work / f"worker-{number}.log").open("w")
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "imr_site",
                    "worker",
                    "-n",
                    node,
                    "--pool=solo",
                    "--queues",
                    served,
                    "--loglevel=WARNING",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        nodes.append(node)
    deadline = time.monotonic() + 120
    waiting = set(nodes)
    while waiting:
        if time.monotonic() > deadline:
            sys.exit(f"workers did not answer a ping: {sorted(waiting)}; see {work}/worker-*.log")
        for reply in app.control.ping(timeout=1.0, destination=list(waiting)) or []:
            waiting -= set(reply)
        if any(process.poll() is not None for process in processes):
            sys.exit(f"a worker exited; see {work}/worker-*.log")
    return processes


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and its waited-for children (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--determinations", type=int, default=750)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="imr_bench_pipeline")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the last email")
    parser.add_argument("--json", type=Path, metavar="FILE")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/pipeline.py needs DATABASE_URL=postgres://... (a PostgreSQL server)")

    from aiosmtpd.controller import Controller

    work = Path(tempfile.mkdtemp(prefix="imr-bench-pipeline-"))
    redis_process, redis_port = _start_redis(work)
    recorder = Recorder()
    smtp = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    workers: list[subprocess.Popen] = []
    try:
        _recreate_database(base, args.database)
        database_url = _database_url(base, args.database)
        broker = f"redis://127.0.0.1:{redis_port}/0"
        _setup_django(database_url=database_url, broker=broker, smtp_port=smtp.port, media=work / "media")
        print(f"building {args.determinations} cases in QA review ...", flush=True)
        determination_ids = _build_cases(count=args.determinations, work=work)
        env = dict(os.environ)
        workers = _start_workers(count=args.workers, env=env, work=work)
        print(f"{args.workers} workers up; approving ...", flush=True)

        from django.contrib.auth.models import User

        from determinations.models import Delivery, DeliveryChannel, DeliveryStatus, Letter
        from determinations.services.review import qa_approve

        qa = User.objects.get(username="qa")
        bench_cpu = time.process_time()
        started = time.perf_counter()
        for determination_id in determination_ids:
            qa_approve(determination_id=determination_id, by=qa)
        approved = time.perf_counter()
        bench_cpu = time.process_time() - bench_cpu
        print(
            f"approved {len(determination_ids)} in {approved - started:.1f} s; waiting for the emails ...",
            flush=True,
        )

        deadline = started + args.timeout
        letters = emails_expected = 0
        while time.perf_counter() < deadline:
            letters = Letter.objects.filter(determination_id__in=determination_ids).count()
            email_deliveries = Delivery.objects.filter(
                letter__determination_id__in=determination_ids, channel=DeliveryChannel.EMAIL
            )
            emails_expected = email_deliveries.count()
            sent = email_deliveries.filter(status=DeliveryStatus.SENT).count()
            if (
                letters == len(determination_ids)
                and sent == emails_expected
                and len(recorder.snapshot()) >= sent
            ):
                break
            time.sleep(0.5)
        else:
            print("timed out before every email was sent", file=sys.stderr)
        time.sleep(2)  # a duplicate would arrive right after the last
        accepted = recorder.snapshot()
        counts = Counter(message_id for _at, message_id in accepted)
        duplicates = sum(n - 1 for n in counts.values() if n > 1)
        last = max((at for at, _id in accepted), default=started)
        failed = Delivery.objects.filter(
            letter__determination_id__in=determination_ids, status=DeliveryStatus.FAILED
        ).count()
        worker_cpu = [_cpu_seconds(worker.pid) for worker in workers]
        from core.models import OutboxJob, OutboxState

        # The library's redacted copies, scheduled LIBRARY_REDACTED_LETTER_DELAY_SECONDS after each
        # letter (docs/library.md): not rendered in this window, so not in the CPU figures.
        deferred = OutboxJob.objects.filter(
            kind="library.make_redacted_letter", state=OutboxState.PENDING
        ).count()
    finally:
        _stop(workers)
        smtp.stop()
        redis_process.terminate()
        redis_process.wait(timeout=10)

    seconds = last - started
    result = {
        "determinations": len(determination_ids),
        "workers": args.workers,
        "seconds_first_approval_to_last_email": round(seconds, 1),
        "approval_seconds": round(approved - started, 1),
        "letters": letters,
        "emails_expected": emails_expected,
        "emails_accepted": len(accepted),
        "distinct_message_ids": len(counts),
        "duplicate_emails": duplicates,
        "failed_deliveries": failed,
        "redacted_letters_deferred": deferred,
        "letters_per_s": round(letters / seconds, 2) if seconds > 0 else None,
        # CPU the workers used (whole run, their start included) and the approvals in this process;
        # PostgreSQL's share is not counted.
        "worker_cpu_s": [round(cpu, 1) if cpu is not None else None for cpu in worker_cpu],
        "approval_cpu_s": round(bench_cpu, 1),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }
    print(
        f"{result['seconds_first_approval_to_last_email']} s from the first approval to the last email "
        f"({result['letters']} letters, {result['emails_accepted']} emails accepted of "
        f"{result['emails_expected']} expected, {duplicates} duplicates, {failed} failed; "
        f"{args.workers} workers; approvals took {result['approval_seconds']} s)"
    )
    known = [cpu for cpu in worker_cpu if cpu is not None]
    if known and letters:
        print(
            f"CPU: workers {sum(known):.1f} s ({sum(known) / letters:.3f} s per letter with its emails), "
            f"approvals {bench_cpu:.1f} s in the bench (PostgreSQL not counted)"
        )
    print(f"redacted library copies scheduled for later (not rendered in this run): {deferred}")
    print(f"load average (1, 5, 15 min): {result['load_average']} on {os.cpu_count()} cores")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
