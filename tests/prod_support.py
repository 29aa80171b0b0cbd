"""Running `make prod` from a test: a private redis-server and the whole process set.

Used by tests/test_prod.py and meant for fault tests: every process of a run carries a marker
in its environment (`IMR_PROD_TEST_RUN=<uuid>`), so the test finds them in /proc (a worker to
`kill -9`) and proves at the end that none is left.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings

from tests.conftest import PROJECT_DIR, free_port, require_service, wait_for

REQUIRED = ("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY", "SITE_URL", "ALLOWED_HOSTS")
# Variables of the developer's shell that would change what make prod runs.
CLEARED = (
    *REQUIRED,
    "DEBUG",
    "HOST",
    "PORT",
    "CELERY_QUEUE_PREFIX",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "MAKEFLAGS",
    # The test run's own settings (tests/settings.py): make prod runs imr_site.settings (only
    # SECURE_SSL_REDIRECT=false stays: the test speaks plain HTTP, with no TLS proxy in front).
    "DJANGO_SETTINGS_MODULE",
    "STATIC_MANIFEST",
)


def database_url() -> str:
    """The test database, for processes outside pytest."""
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def processes_marked(marker: str) -> list[int]:
    """Every process whose environment holds `marker` ("NAME=value"; descendants inherit it)."""
    needle = marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def process_state(pid: int) -> str:
    """The kernel's state letter (R, S, Z, ...) or "gone"."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def worker_main(marker: str, process_name: str) -> int | None:
    """The celery main process of a Procfile line ("email.1"): its parent is bin/respawn."""
    wanted = f"HONCHO_PROCESS_NAME={process_name}".encode()
    for pid in processes_marked(marker):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            parent_cmdline = Path(f"/proc/{parent}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        is_celery = b"celery" in cmdline and b"bin/respawn" not in cmdline
        if wanted in environ and is_celery and b"bin/respawn" in parent_cmdline:
            return pid
    return None


def http_get(url: str, *, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET on 127.0.0.1: status, headers and body, 4xx and 5xx included."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http://127.0.0.1 only)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


class PrivateRedis:
    """A redis-server of the test's own on a free port, without persistence (as CI runs it)."""

    def __init__(self, directory: Path) -> None:
        server = shutil.which("redis-server")
        require_service(server is not None, "needs redis-server on the PATH (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _redis_answers(self.port), timeout=10, what="the private redis-server")

    def kill(self) -> None:
        """kill -9: every queued message is lost."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


class ProdSet:
    """`make prod` on the test database and a given Redis, its processes marked for /proc."""

    def __init__(self, directory: Path, *, redis_url: str, **environment: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        run = uuid.uuid4().hex
        self.marker = f"IMR_PROD_TEST_RUN={run}"
        self.log_path = directory / "make-prod.log"
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(
            DATABASE_URL=database_url(),
            CELERY_BROKER_URL=redis_url,
            EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
            SECRET_KEY=secrets.token_urlsafe(50),
            SITE_URL=self.base,
            ALLOWED_HOSTS="127.0.0.1",
            STATIC_ROOT=str(directory / "static"),
            MEDIA_ROOT=str(directory / "media"),
            CELERY_BEAT_SCHEDULE_FILENAME=str(directory / "celerybeat"),
            WEB_CONCURRENCY="1",
            LETTERS_CONCURRENCY="1",
            EMAIL_CONCURRENCY="1",
            DEFAULT_CONCURRENCY="1",
            IMR_PROD_TEST_RUN=run,
        )
        env.update(environment)
        with open(self.log_path, "wb") as log:
            self.make = subprocess.Popen(
                ["make", "--no-print-directory", "prod", f"PORT={self.port}"],
                cwd=PROJECT_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self, tail: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def healthz(self) -> tuple[int, bytes]:
        status, _, body = http_get(f"{self.base}/healthz")
        return status, body

    def wait_healthy(self, timeout: float = 90) -> None:
        def healthy() -> bool:
            if self.make.poll() is not None:
                raise AssertionError(f"make prod exited ({self.make.returncode}):\n{self.log()}")
            try:
                return self.healthz()[0] == 200
            except OSError:
                return False

        wait_for(healthy, timeout=timeout, interval=0.5, what="/healthz to answer 200")

    def stop(self) -> list[int]:
        """SIGTERM to make (as a supervisor would); returns the processes still there 10 s later,
        after killing them so that no test leaves one behind."""
        if self.make.poll() is None:
            self.make.send_signal(signal.SIGTERM)
        try:
            self.make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.make.kill()
        deadline = time.monotonic() + 10
        while (left := processes_marked(self.marker)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return left
