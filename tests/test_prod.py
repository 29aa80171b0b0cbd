"""`make prod` end to end: gunicorn with DEBUG off, whitenoise, a worker per queue and beat.

The real command on the test database and a private redis-server (a free port, no persistence)
that the test kills. Checked: the login page through gunicorn, a static CSS file served by
whitenoise under its hashed name, /healthz 200; a worker killed with -9 is started again and the
set stays up; Redis killed and /healthz 503 naming the broker; SIGTERM to make and no process of
the run left. Bad input tried: missing variables, a SQLite DATABASE_URL, another broker and
DEBUG=true, which make prod refuses before starting anything. Then bin/respawn on its own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR, free_port, is_postgres, require_service, wait_for
from tests.prod_support import (
    PrivateRedis,
    ProdSet,
    children,
    http_get,
    process_state,
    worker_main,
)


@pytest.fixture
def private_redis(tmp_path):
    redis = PrivateRedis(tmp_path)
    yield redis
    redis.kill()


@pytest.mark.postgres
@pytest.mark.redis
def test_make_prod_serves_checks_health_and_stops_every_process(django_db_setup, private_redis, tmp_path):
    require_service(is_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://...")
    redis = private_redis
    prod = ProdSet(tmp_path, redis_url=redis.url)
    try:
        prod.wait_healthy()
        # A worker killed outright is started again by bin/respawn; the set stays up.
        killed = worker_main(prod.marker, "email.1")
        assert killed, "no celery worker found for the Procfile's email line"
        os.kill(killed, signal.SIGKILL)

        status, _, body = http_get(f"{prod.base}/accounts/login/")
        assert status == 200
        page = body.decode()
        # DEBUG off: the manifest storage names the stylesheet by its content's hash.
        css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
        assert css, page[:2000]
        status, headers, content = http_get(prod.base + css.group(1), headers={"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert headers.get("Content-Encoding") == "gzip"  # whitenoise's precompressed copy
        assert "immutable" in headers["Cache-Control"]
        assert content
        status, _, body = http_get(f"{prod.base}/no-such-page/")
        assert status == 404
        assert b"URLconf" not in body  # no debug page

        restarted = wait_for(
            lambda: (pid := worker_main(prod.marker, "email.1")) not in (None, killed) and pid,
            timeout=15,
            what="the killed email worker to be started again",
        )
        assert prod.make.poll() is None
        assert http_get(f"{prod.base}/accounts/login/")[0] == 200

        redis.kill()

        def unhealthy():
            status, body = prod.healthz()
            return status == 503 and json.loads(body)

        report = wait_for(unhealthy, timeout=20, interval=0.5, what="/healthz to answer 503")
        assert "broker" in report["failing"]
        assert report["checks"]["broker"]["detail"].startswith("Redis unreachable")
        assert report["checks"]["database"]["ok"] is True
    finally:
        left = prod.stop()
    assert not left, f"processes left after SIGTERM: {left}\n{prod.log(3000)}"
    log = prod.log(100_000)
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
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/imr",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
        "EMAIL_URL": "smtp://127.0.0.1:2525",
        "SECRET_KEY": "x" * 50,
        "SITE_URL": "http://127.0.0.1:8000",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.pop("DEBUG", None)
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


def _sleeping_child(pid: int) -> int | None:
    """respawn's `sleep 300` (not its own `sleep 1` between two starts)."""
    for child in children(pid):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == b"sleep\x00300\x00":
                return child
        except OSError:
            continue
    return None


def test_respawn_starts_a_killed_process_again_and_stops_on_sigterm():
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
        assert process_state(second) in ("gone", "Z")
    finally:
        if respawn.poll() is None:
            os.killpg(respawn.pid, signal.SIGKILL)
            respawn.wait()


@pytest.mark.parametrize(("command", "status"), [("exit 0", 0), ("kill -TERM $$", 143)])
def test_respawn_does_not_restart_a_process_that_stopped_by_itself(command, status):
    # A clean exit, or a stop asked of the process alone.
    respawn = str(PROJECT_DIR / "bin" / "respawn")
    result = subprocess.run([respawn, "sh", "-c", command], capture_output=True, text=True, timeout=20)
    assert result.returncode == status
    assert "starting it again" not in result.stderr


def test_respawn_restarts_a_failing_process_then_gives_up_on_one_that_cannot_start(tmp_path):
    # A Celery worker that exits with an error (Redis went away) is started again; a process that
    # fails at once every time (a port already taken) is given up after RESPAWN_BURST tries, so
    # honcho stops the set instead of looping.
    respawn = str(PROJECT_DIR / "bin" / "respawn")
    runs = tmp_path / "runs"
    script = f"echo run >> {runs}; [ $(wc -l < {runs}) -ge 2 ] && exit 0; exit 3"
    result = subprocess.run([respawn, "sh", "-c", script], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0
    assert runs.read_text().count("run") == 2
    assert "respawn: sh exited with status 3; starting it again" in result.stderr

    result = subprocess.run(
        [respawn, "sh", "-c", "exit 3"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "RESPAWN_BURST": "3"},
    )
    assert result.returncode == 3
    assert result.stderr.count("starting it again") == 2
    assert "3 times in a row" in result.stderr and "giving up" in result.stderr
