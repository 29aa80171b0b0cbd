"""`make prod` end to end: gunicorn with DEBUG off, whitenoise, a worker per queue and beat.

The real command on the test database and a private redis-server (a free port, no persistence)
that the test kills. Checked: the login page through gunicorn, a static CSS file served by
whitenoise under its hashed name, /healthz 200; then Redis killed and /healthz 503 naming the
broker; then SIGTERM to make and no process of the run left. Bad input tried: a missing
variable and a SQLite DATABASE_URL, which make prod refuses before starting anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import PROJECT_DIR, free_port, is_postgres, require_service, wait_for

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
)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _processes_marked(marker: str) -> list[int]:
    """Every process whose environment carries the run's marker (all descendants inherit it)."""
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


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _worker_main(marker: str, process_name: str) -> int | None:
    """The celery main process of a Procfile line (its parent is bin/respawn)."""
    wanted = f"HONCHO_PROCESS_NAME={process_name}".encode()
    for pid in _processes_marked(marker):
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


def _get(url: str, *, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http://127.0.0.1 only)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[tuple[subprocess.Popen, int]]:
    server = shutil.which("redis-server")
    require_service(server is not None, "needs redis-server on the PATH (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _redis_answers(port), timeout=10, what="the private redis-server")
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _prod_env(tmp_path: Path, *, port: int, redis_port: int, marker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        DATABASE_URL=_database_url(),
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat"),
        WEB_CONCURRENCY="1",
        LETTERS_CONCURRENCY="1",
        EMAIL_CONCURRENCY="1",
        DEFAULT_CONCURRENCY="1",
        IMR_PROD_TEST_RUN=marker,
    )
    return env


@pytest.mark.postgres
@pytest.mark.redis
def test_make_prod_serves_checks_health_and_stops_every_process(django_db_setup, private_redis, tmp_path):
    require_service(is_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://...")
    redis_process, redis_port = private_redis
    port = free_port()
    marker = f"IMR_PROD_TEST_RUN={uuid.uuid4().hex}"
    env = _prod_env(tmp_path, port=port, redis_port=redis_port, marker=marker.split("=", 1)[1])
    log_path = tmp_path / "make-prod.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "prod", f"PORT={port}"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def healthy():
            if make.poll() is not None:
                pytest.fail(f"make prod exited ({make.returncode}):\n{log_path.read_text()[-4000:]}")
            try:
                return _get(f"{base}/healthz")[0] == 200
            except OSError:
                return False

        wait_for(healthy, timeout=45, interval=0.5, what="/healthz to answer 200")
        # A worker killed outright is started again by bin/respawn; the set stays up.
        killed = _worker_main(marker, "email.1")
        assert killed, "no celery worker found for the Procfile's email line"
        os.kill(killed, signal.SIGKILL)

        status, _, body = _get(f"{base}/accounts/login/")
        assert status == 200
        page = body.decode()
        assert "Server Error" not in page
        # DEBUG off: the manifest storage names the stylesheet by its content's hash.
        css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
        assert css, page[:2000]
        status, headers, content = _get(base + css.group(1), headers={"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert headers.get("Content-Encoding") == "gzip"  # whitenoise's precompressed copy
        assert "immutable" in headers["Cache-Control"]
        assert content
        status, _, body = _get(f"{base}/no-such-page/")
        assert status == 404
        assert b"URLconf" not in body  # no debug page

        restarted = wait_for(
            lambda: (pid := _worker_main(marker, "email.1")) not in (None, killed) and pid,
            timeout=15,
            what="the killed email worker to be started again",
        )
        assert make.poll() is None
        assert _get(f"{base}/accounts/login/")[0] == 200

        redis_process.kill()
        redis_process.wait(timeout=10)

        def unhealthy():
            status, _, body = _get(f"{base}/healthz")
            return status == 503 and json.loads(body)

        report = wait_for(unhealthy, timeout=20, interval=0.5, what="/healthz to answer 503")
        assert "broker" in report["failing"]
        assert report["checks"]["broker"]["detail"].startswith("Redis unreachable")
        assert report["checks"]["database"]["ok"] is True
    finally:
        if make.poll() is None:
            make.send_signal(signal.SIGTERM)
        try:
            make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            make.kill()
        deadline = time.monotonic() + 10
        while (left := _processes_marked(marker)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:  # never leave a process behind, even when the test fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left after SIGTERM: {left}\n{log_path.read_text()[-3000:]}"
    log = log_path.read_text()
    assert "respawn: celery was killed by signal 9; starting it again" in log
    assert restarted != killed
    for name in ("web.1", "letters.1", "email.1", "default.1", "beat.1"):
        assert re.search(rf"{re.escape(name)} stopped", log), f"{name} did not stop:\n{log[-3000:]}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": None}, "missing environment variable(s): SECRET_KEY"),
        (
            {"SITE_URL": None, "ALLOWED_HOSTS": None},
            "missing environment variable(s): SITE_URL ALLOWED_HOSTS",
        ),
        ({"DATABASE_URL": "sqlite:///var/imr.sqlite3"}, "DATABASE_URL must name a PostgreSQL database"),
        ({"CELERY_BROKER_URL": "amqp://127.0.0.1//"}, "CELERY_BROKER_URL must name a Redis database"),
        ({"DEBUG": "true"}, "DEBUG=true is set; make prod runs with DEBUG off"),
    ],
)
def test_make_prod_refuses_without_its_configuration(tmp_path, change, message):
    marker = uuid.uuid4().hex
    env = _prod_env(tmp_path, port=free_port(), redis_port=free_port(), marker=marker)
    for name, value in change.items():
        if value is None:
            env.pop(name)
        else:
            env[name] = value
    prod = str(PROJECT_DIR / "bin" / "prod")
    result = subprocess.run([prod], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"make prod: {message}" in result.stderr
    assert not (tmp_path / "static").exists()  # refused before collectstatic, migrate or any process


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _sleeping_child(pid: int) -> int | None:
    """respawn's `sleep 300` (not its own `sleep 1` between two starts)."""
    for child in _children(pid):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == b"sleep\x00300\x00":
                return child
        except OSError:
            continue
    return None


def test_respawn_starts_a_killed_process_again_and_stops_on_sigterm(tmp_path):
    respawn = subprocess.Popen(
        [str(PROJECT_DIR / "bin" / "respawn"), "sleep", "300"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        first = wait_for(lambda: _sleeping_child(respawn.pid), timeout=10, what="respawn's child")
        os.kill(first, signal.SIGKILL)
        second = wait_for(
            lambda: (pid := _sleeping_child(respawn.pid)) not in (None, first) and pid,
            timeout=10,
            what="a new child",
        )
        respawn.send_signal(signal.SIGTERM)
        assert respawn.wait(timeout=10) == 128 + signal.SIGTERM
        assert "respawn: sleep was killed by signal 9; starting it again" in respawn.stderr.read()
        assert _sleeping_child(respawn.pid) is None
        assert not Path(f"/proc/{second}").exists() or _state(second) == "Z"
    finally:
        if respawn.poll() is None:
            os.killpg(respawn.pid, signal.SIGKILL)
            respawn.wait()


@pytest.mark.parametrize(("command", "status"), [("exit 0", 0), ("exit 3", 3), ("kill -TERM $$", 143)])
def test_respawn_does_not_restart_a_process_that_stopped_by_itself(command, status):
    # A clean exit, an error (a port already taken) or a stop asked of the process alone.
    respawn = str(PROJECT_DIR / "bin" / "respawn")
    result = subprocess.run([respawn, "sh", "-c", command], capture_output=True, text=True, timeout=20)
    assert result.returncode == status
    assert "starting it again" not in result.stderr
