"""Shared fixtures: real services (PostgreSQL, Redis and a Celery worker, SMTP, a browser).

A test that needs a service asks for its fixture. When the service is missing the test
skips saying why, except under CI=true, where a missing service fails the run.
"""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from imr_site import queues
from imr_site.celery import app as celery_app

PROJECT_DIR = Path(__file__).resolve().parent.parent
OUTPUT_DIR = PROJECT_DIR / "tests" / "output"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_service(available: bool, why: str) -> None:
    """Skip when a service is missing; under CI=true, fail instead."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required service missing under CI: {why}")
    # Raised rather than called so the reason reads as a service check, not a blanket skip.
    raise pytest.skip.Exception(why, _use_item_location=True)


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture
def postgres() -> None:
    require_service(is_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path) -> None:
    """Each test writes documents, letters and mail under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Tasks run in process unless a test asks for the real worker (`celery_worker`)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def frozen_today(time_machine) -> Callable[[date], date]:
    """Stop the one clock (`core.clock`) at noon of a day in TIME_ZONE: `frozen_today(date(2015, 3, 25))`.

    Everything that asks for the date or the time sees that day until the test ends (time-machine
    moves `datetime`, `time` and so `django.utils.timezone` too); call it again to move on.
    No test patches a module's `today`.
    """

    def freeze(day: date) -> date:
        noon = datetime.combine(day, clock_time(12, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))
        time_machine.move_to(noon, tick=False)
        return day

    return freeze


def _redis_reachable(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


class SMTPRecorder:
    """Collects every message a real aiosmtpd server receives."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list = []
        self.fail_next: int = 0

    def clear(self) -> None:
        self.messages.clear()
        self.fail_next = 0

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next > 0:
            self.fail_next -= 1
            return "451 4.3.0 temporary failure (test)"
        message = email.message_from_bytes(envelope.content)
        self.messages.append({"envelope": envelope, "message": message, "rcpt_tos": envelope.rcpt_tos})
        return "250 OK"


@pytest.fixture(scope="session")
def _session_smtp() -> Iterator[SMTPRecorder]:
    """One real SMTP server (aiosmtpd) for the session, shared with the Celery worker."""
    from aiosmtpd.controller import Controller

    recorder = SMTPRecorder(port=free_port())
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(_session_smtp, settings) -> SMTPRecorder:
    """The real SMTP server, emptied; Django's SMTP backend points at it for the test."""
    _session_smtp.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _session_smtp.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return _session_smtp


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup, _session_smtp) -> Iterator[str | None]:
    """A real `celery worker` process on the test database, fed through Redis.

    Yields the queue it listens on, or None when Redis or PostgreSQL is missing.
    """
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker or not _redis_reachable(broker) or not is_postgres():
        yield None
        return
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    # The worker serves the three queues (imr_site/queues.py) under a prefix of its own, so
    # tasks travel by their real routes and a shared Redis never mixes runs.
    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    queue = queues.queue_name(queues.DEFAULT, prefix=prefix)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "CELERY_QUEUE_PREFIX": prefix,
        "DJANGO_SETTINGS_MODULE": "imr_site.settings",
        "MEDIA_ROOT": str(PROJECT_DIR / "var" / "test-worker-media"),
        "EMAIL_URL": f"smtp://127.0.0.1:{_session_smtp.port}",
        # The library's redacted copy is made at once, not 10 minutes later: a letter the worker
        # finishes after its test ended must not leave a job due later for the next test to wait on.
        "LIBRARY_REDACTED_LETTER_DELAY_SECONDS": "0",
    }
    (PROJECT_DIR / "var").mkdir(exist_ok=True)
    log = open(PROJECT_DIR / "var" / f"test-worker-{queue}.log", "w")  # noqa: SIM115 (closed at teardown)
    node = f"{queue}@{socket.gethostname()}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "imr_site",
            "worker",
            "-Q",
            ",".join(queues.queue_names(prefix=prefix)),
            "-n",
            node,
            "--pool=threads",
            "--concurrency=4",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not answer a ping in 30 s; see {log.name}")
            replies = celery_app.control.ping(timeout=0.5, destination=[node]) or []
            if replies:
                break
            if process.poll() is not None:
                raise RuntimeError(f"celery worker exited; see {log.name}")
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def celery_worker(_celery_worker_process, settings) -> Iterator[str]:
    """Route tasks to the real worker through Redis for this test; yields its default queue's name.

    Tasks travel by their real routes (letters, email, default) to the worker's prefixed queues.

    Use with `@pytest.mark.django_db(transaction=True)` so the worker sees committed rows.
    """
    require_service(
        _celery_worker_process is not None,
        "needs Redis and a Celery worker: set CELERY_BROKER_URL=redis://... and DATABASE_URL=postgres://...",
    )
    celery_app.conf.task_always_eager = False
    previous = {
        "task_default_queue": celery_app.conf.task_default_queue,
        "task_routes": celery_app.conf.task_routes,
    }
    prefix = worker_queue_prefix(_celery_worker_process)
    celery_app.conf.update(
        task_default_queue=_celery_worker_process, task_routes=queues.task_routes(prefix=prefix)
    )
    settings.CELERY_TASK_ALWAYS_EAGER = False
    yield _celery_worker_process
    celery_app.conf.update(**previous)
    celery_app.conf.task_always_eager = True


def worker_queue_prefix(default_queue: str) -> str:
    """The prefix of the test worker's queues, from the name of its default queue."""
    return default_queue.removesuffix(queues.DEFAULT)


def worker_queues(default_queue: str) -> list[str]:
    """Every queue the test worker (`celery_worker`, named by its default queue) consumes."""
    return queues.queue_names(prefix=worker_queue_prefix(default_queue))


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (no browser is downloaded)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium_found = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
    require_service(chromium_found, f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def _live_server_serves_no_media(monkeypatch) -> None:
    """MEDIA_URL is None on purpose: documents and letters are streamed only through
    access-checked views. The live server's media handler cannot parse a None URL, so it is
    told to handle nothing rather than given a URL that would serve PHI without a check."""
    from django.test import testcases

    monkeypatch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)


@pytest.fixture
def page(browser, _live_server_serves_no_media, live_server) -> Iterator[object]:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    # The same patience for `expect(...)` assertions, whose own default is 5 s: on a loaded
    # machine (a CI runner, a database being built beside the tests) a page's answer to a click
    # took longer (the post-batch progress test failed 2 runs in 6 so, none when idle).
    expect.set_options(timeout=15000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots and other artifacts for a person to look at (git-ignored)."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture
def client():
    """Django's test client whose force_login also passes the second factor with the user's real
    TOTP device (tests.second_factor): DEBUG is off in the tests, so every page asks for it."""
    from tests.second_factor import SecondFactorClient

    return SecondFactorClient()


@pytest.fixture
def staff():
    """An intake staff member (username `intake1`), the usual actor of the staff pages' tests."""
    from imr_site import roles
    from tests.factories import UserFactory

    return UserFactory(username="intake1", role=roles.INTAKE_STAFF)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
