"""The production process set, run for fault injection: a private Redis, aiosmtpd, and the
Procfile's Celery workers (letters, email, default) and beat, on the test database.

Each process is started from its own Procfile line (`make prod` runs the same lines under
honcho), in a session of its own, so `kill -9` of a worker takes its pool children with it,
as a crashed machine or container would. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import email
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import redis

PROJECT_DIR = Path(__file__).resolve().parents[2]
WORKERS = ("letters", "email", "default")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_lines() -> dict[str, str]:
    lines = {}
    for raw in (PROJECT_DIR / "Procfile").read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            name, _, command = raw.partition(":")
            lines[name.strip()] = command.strip()
    return lines


class PrivateRedis:
    """redis-server on a free port with no persistence (RDB and AOF off), as CI runs it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self) -> None:
        """`kill -9`: every message in it is gone (no persistence)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)
            self.process = None

    def stop(self) -> None:
        self.kill()


class Recorder:
    """Every message the aiosmtpd server accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def message_ids(self) -> Counter[str]:
        return Counter(m["Message-ID"] for m in self.messages)


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Stack:
    database_url: str
    workdir: Path
    redis: PrivateRedis
    smtp: SMTPServer
    prefix: str = field(default_factory=lambda: f"fault-{uuid.uuid4().hex[:6]}-")
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    kills: Counter[str] = field(default_factory=Counter)
    # Processes that exited by themselves and were started again (as systemd's Restart= would).
    restarts: Counter[str] = field(default_factory=Counter)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "imr_site.settings",
            "DEBUG": "false",
            "SECRET_KEY": "fault-tests-" + "x" * 40,
            "SITE_URL": "http://127.0.0.1:8000",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.redis.url,
            "CELERY_QUEUE_PREFIX": self.prefix,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "MEDIA_ROOT": str(self.workdir / "media"),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(self.workdir / "celerybeat"),
            # Faults are injected in seconds, so the outbox's clocks run in seconds too.
            "OUTBOX_SWEEP_SECONDS": "1",
            "OUTBOX_REQUEUE_SECONDS": "3",
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "OUTBOX_RETRY_MAX_SECONDS": "3",
            "OUTBOX_CLAIM_TIMEOUT_SECONDS": "60",
            "HEARTBEAT_SECONDS": "2",
            # The library's redacted copy of each letter is made at once (not 10 minutes later),
            # so a run ends with every job of its letters done, that one included.
            "LIBRARY_REDACTED_LETTER_DELAY_SECONDS": "0",
            "LETTERS_CONCURRENCY": "2",
            "EMAIL_CONCURRENCY": "2",
            "DEFAULT_CONCURRENCY": "1",
            "LOG_LEVEL": "WARNING",
        }

    def start(self, name: str) -> None:
        command = procfile_lines()[name]
        log = open(self.workdir / f"{name}.log", "a")  # noqa: SIM115 (the process owns it)
        self.processes[name] = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=PROJECT_DIR,
            env={**self.env(), "HONCHO_PROCESS_NAME": f"{self.prefix}{name}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_all(self) -> None:
        for name in (*WORKERS, "beat"):
            self.start(name)

    def heartbeat_keys(self) -> dict[str, str]:
        """The Redis key each process sets while alive (core/heartbeat.py), by process name."""
        keys = {name: f"imr:heartbeat:queue:{self.prefix}{name}" for name in WORKERS}
        keys["beat"] = f"imr:heartbeat:beat:{self.prefix}"
        return keys

    def wait_ready(self, timeout: float = 120) -> None:
        """Wait until every worker and beat has said "alive" in Redis: a test's clock starts on a
        running process set, not on Python importing Django on a busy machine."""
        deadline = time.monotonic() + timeout
        missing = list(self.heartbeat_keys())
        while time.monotonic() < deadline:
            self.revive()
            try:
                client = redis.Redis.from_url(self.redis.url, socket_connect_timeout=0.5, socket_timeout=0.5)
                missing = [name for name, key in self.heartbeat_keys().items() if not client.exists(key)]
            except redis.RedisError:
                pass
            if not missing:
                return
            time.sleep(0.25)
        raise RuntimeError(f"not alive after {timeout:.0f} s: {', '.join(missing)}\n{self.diagnostics()}")

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def diagnostics(self) -> str:
        """What each process is doing and its log's end: printed when a test times out."""
        parts = []
        for name in (*WORKERS, "beat"):
            process = self.processes.get(name)
            status = (
                "not started"
                if process is None
                else ("running" if process.poll() is None else f"exited {process.returncode}")
            )
            parts.append(f"--- {name}: {status}, restarted {self.restarts[name]}x\n{self.log_tail(name)}")
        return "\n".join(parts)

    def revive(self) -> None:
        """Start again any process that exited by itself: a Celery worker may exit with
        "Unrecoverable error" when the broker vanishes under it (kombu's Redis transport, while
        restoring unacknowledged messages), so production runs each under a supervisor."""
        for name, process in list(self.processes.items()):
            if process.poll() is not None:
                self.restarts[name] += 1
                self.start(name)

    def kill(self, name: str) -> None:
        """`kill -9` the process and its pool children (its whole session)."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        self.kills[name] += 1

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def run_driver(self, *args: str, timeout: float = 120) -> str:
        """Run `tests/faults/driver.py` as a web process would: same settings, same broker."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.faults.driver", *args],
            cwd=PROJECT_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"driver {shlex.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout
