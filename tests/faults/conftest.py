"""Fixtures for the fault tests: the production process set on the test database (stack.py).

They need PostgreSQL, redis-server on PATH and the Procfile; without them they skip saying
why (under CI=true they fail). Each test reports a row of the fault table, printed at the end
of the run and written to tests/output/fault-table.md.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings

from tests.conftest import OUTPUT_DIR, is_postgres, require_service
from tests.faults.stack import PROJECT_DIR, PrivateRedis, SMTPServer, Stack


@dataclass(frozen=True)
class FaultRow:
    fault: str
    letters_expected: int
    letters_issued: int
    emails_expected: int
    delivered: int
    duplicates: int
    seconds: float
    note: str = ""


ROWS: list[FaultRow] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if not ROWS:
        return
    header = ("fault", "letters expected / issued", "emails expected", "delivered", "lost", "duplicates")
    lines = ["| " + " | ".join((*header, "seconds", "note")) + " |", "|---" * (len(header) + 2) + "|"]
    for row in ROWS:
        cells = (
            row.fault,
            f"{row.letters_expected} / {row.letters_issued}",
            row.emails_expected,
            row.delivered,
            row.emails_expected - row.delivered,
            row.duplicates,
            f"{row.seconds:.0f}",
            row.note,
        )
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    terminalreporter.write_sep("=", "fault table")
    for line in lines:
        terminalreporter.write_line(line)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUTPUT_DIR / "fault-table.md").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory) -> Iterator[Stack]:
    require_service(is_postgres(), "fault tests need PostgreSQL: set DATABASE_URL=postgres://...")
    require_service(shutil.which("redis-server") is not None, "fault tests need redis-server on PATH")
    require_service((PROJECT_DIR / "Procfile").exists(), "fault tests run the Procfile's processes")
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    workdir = tmp_path_factory.mktemp("faults")
    (workdir / "media").mkdir()
    redis_server = PrivateRedis(workdir)
    smtp = SMTPServer()
    redis_server.start()
    smtp.start()
    the_stack = Stack(database_url=database_url, workdir=workdir, redis=redis_server, smtp=smtp)
    the_stack.start_all()
    try:
        the_stack.wait_ready()
        yield the_stack
    finally:
        the_stack.stop_all()
        smtp.stop()
        redis_server.stop()


@pytest.fixture
def fault_stack(stack) -> Stack:
    """The stack with its SMTP record emptied and Redis and every process running."""
    stack.smtp.recorder.messages.clear()
    if stack.smtp.controller is None:
        stack.smtp.start()
    if stack.redis.process is None:
        stack.redis.start()
    for name in ("letters", "email", "default", "beat"):
        if name not in stack.processes or stack.processes[name].poll() is not None:
            stack.processes.pop(name, None)
            stack.start(name)
    stack.wait_ready()
    return stack
