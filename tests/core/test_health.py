"""/healthz and its checks (core.health), the heartbeats they read (core.heartbeat), the queues.

Real parts: PostgreSQL for the database check, the suite's Redis (CELERY_BROKER_URL) for the
broker and heartbeat checks, the suite's real Celery worker for the worker bootstep. Bad inputs
tried: a database on a port where nothing listens, a Redis where nothing listens, a Redis that
accepts the connection and never answers, a queue with no worker, a beat that never ticked, a
check that raises, a POST.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.db import connections

from core import health, heartbeat
from imr_site import queues
from imr_site.celery import app as celery_app
from tests.conftest import _redis_reachable, free_port, require_service, wait_for, worker_queues

BROKER = os.environ.get("CELERY_BROKER_URL", "")


@pytest.fixture
def real_redis(settings) -> redis.Redis:
    """The suite's Redis; heartbeats are looked for under queue names of this test's own."""
    require_service(
        bool(BROKER) and _redis_reachable(BROKER), "needs Redis: set CELERY_BROKER_URL=redis://..."
    )
    settings.CELERY_BROKER_URL = BROKER
    prefix = f"health-{uuid.uuid4().hex[:8]}-"
    settings.CELERY_QUEUE_PREFIX = prefix
    settings.HEARTBEAT_QUEUES = queues.queue_names(prefix=prefix)
    client = redis.Redis.from_url(BROKER)
    yield client
    client.delete(*[heartbeat.queue_key(q) for q in settings.HEARTBEAT_QUEUES], heartbeat.beat_key())


@pytest.fixture
def dead_redis_url(settings) -> str:
    """A Redis address where nothing listens (connection refused)."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CELERY_BROKER_URL = url
    return url


@pytest.fixture
def silent_redis_url(settings) -> Iterator[str]:
    """A 'Redis' that accepts connections and never answers (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        settings.CELERY_BROKER_URL = url
        settings.HEALTH_REDIS_TIMEOUT_SECONDS = 0.3
        yield url


@pytest.fixture
def extra_check() -> Iterator[list[str]]:
    """Names registered by the test are removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        health.unregister(name)


# --- database ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_database_check_passes_with_one_query(django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        result = health.check_database(health.HealthContext())
    assert result.ok


@pytest.mark.django_db(transaction=True)
def test_database_check_fails_when_the_server_is_unreachable(postgres):
    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        report = health.run_checks()
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert report.results["database"] == health.CheckResult(ok=False, detail="failed: OperationalError")
    assert "database" in report.failing


# --- broker -----------------------------------------------------------------------------------


def test_broker_check_without_a_broker_says_tasks_run_in_process(settings):
    settings.CELERY_BROKER_URL = ""
    context = health.HealthContext()
    for check in (health.check_broker, health.check_workers, health.check_beat):
        assert check(context).ok


def test_broker_check_passes_when_redis_answers(real_redis):
    assert health.check_broker(health.HealthContext()) == health.CheckResult(ok=True, detail="Redis answered")


def test_broker_check_fails_when_nothing_listens(dead_redis_url):
    context = health.HealthContext()
    result = health.check_broker(context)
    assert result == health.CheckResult(ok=False, detail="Redis unreachable (ConnectionError)")
    # The checks after it do not try again: they say why they could not look.
    assert health.check_workers(context).detail == "not checked: Redis unreachable"
    assert health.check_beat(context).detail == "not checked: Redis unreachable"


def test_broker_check_gives_up_on_a_redis_that_never_answers(silent_redis_url):
    result = health.check_broker(health.HealthContext())
    assert result == health.CheckResult(ok=False, detail="Redis unreachable (TimeoutError)")


# --- workers and beat: the heartbeats ---------------------------------------------------------


def test_workers_check_names_each_queue_without_a_heartbeat(real_redis, settings):
    letters, email, default = settings.HEARTBEAT_QUEUES
    context = health.HealthContext()
    result = health.check_workers(context)
    assert not result.ok
    assert result.detail == f"no live worker for queue {letters}, {email}, {default}"

    heartbeat.write(real_redis, [heartbeat.queue_key(letters), heartbeat.queue_key(default)], node="w1@test")
    result = health.check_workers(context)
    assert (result.ok, result.detail) == (False, f"no live worker for queue {email}")

    heartbeat.write(real_redis, [heartbeat.queue_key(email)], node="w2@test")
    result = health.check_workers(context)
    assert result.ok
    assert result.value is not None and result.value >= 0


def test_a_heartbeat_expires_after_three_periods(real_redis, settings):
    settings.HEARTBEAT_SECONDS = 7
    key = heartbeat.queue_key(settings.HEARTBEAT_QUEUES[0])
    heartbeat.write(real_redis, [key], node="w1@test")
    assert 0 < real_redis.ttl(key) <= 21
    value = json.loads(real_redis.get(key))
    assert value["node"] == "w1@test"


def test_beat_check_fails_until_the_scheduler_ticks(real_redis, tmp_path, monkeypatch):
    assert health.check_beat(health.HealthContext()) == health.CheckResult(
        ok=False, detail="beat is not running (no heartbeat)"
    )
    # The real scheduler with nothing due: its tick writes the heartbeat and sends no task.
    monkeypatch.setattr(celery_app.conf, "beat_schedule", {})
    scheduler = heartbeat.HeartbeatScheduler(app=celery_app, schedule_filename=str(tmp_path / "beat"))
    try:
        scheduler.tick()
    finally:
        scheduler.close()
    result = health.check_beat(health.HealthContext())
    assert result.ok, result.detail
    assert result.detail.startswith("beat ticked ")


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_writes_a_heartbeat_for_each_of_its_queues(celery_worker, settings):
    # The suite's worker (conftest) runs the WorkerHeartbeat bootstep for its three queues.
    settings.CELERY_BROKER_URL = BROKER
    settings.HEARTBEAT_QUEUES = worker_queues(celery_worker)
    result = wait_for(
        lambda: (r := health.check_workers(health.HealthContext())).ok and r,
        timeout=15,
        what="the worker's heartbeat",
    )
    assert result.detail == f"a live worker on each queue: {', '.join(settings.HEARTBEAT_QUEUES)}"


# --- the registry and the endpoint ------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_200_without_login_when_every_check_passes(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert list(body["checks"])[:4] == ["database", "broker", "workers", "beat"]
    assert body["checks"]["outbox"]["ok"] is True and body["checks"]["outbox"]["value"] == 0


@pytest.mark.django_db
def test_healthz_answers_503_naming_what_failed(client, dead_redis_url):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failing"] == ["broker", "workers", "beat"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["detail"] == "Redis unreachable (ConnectionError)"
    # The endpoint needs no login: it never shows an address or an exception's text.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_a_registered_check_is_run_and_its_failure_fails_healthz(client, settings, extra_check):
    settings.CELERY_BROKER_URL = ""

    @health.register("probe")
    def probe_check(context: health.HealthContext) -> health.CheckResult:
        return health.CheckResult(ok=False, detail="probe 900 s old", value=900.0)

    extra_check.append("probe")
    assert health.registered()[-1] == "probe"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["probe"]
    assert body["checks"]["probe"]["value"] == 900.0
    assert body["checks"]["probe"]["detail"] == "probe 900 s old"


@pytest.mark.django_db
def test_a_check_that_raises_fails_by_its_type_not_its_text(client, settings, extra_check):
    settings.CELERY_BROKER_URL = ""

    @health.register("exploding")
    def exploding(context: health.HealthContext) -> health.CheckResult:
        raise RuntimeError("secret internals at 10.0.0.7")

    extra_check.append("exploding")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["exploding"]["detail"] == "failed: RuntimeError"
    assert "10.0.0.7" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_runs_only_the_checks_asked_for(client, dead_redis_url):
    # A load balancer asks about the web process only: a dead broker does not take it out.
    response = client.get("/healthz?check=database")
    assert response.status_code == 200
    assert list(response.json()["checks"]) == ["database"]
    response = client.get("/healthz?check=database,broker")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["databse", "", ",", "database,nope"])
def test_healthz_refuses_an_unknown_check_naming_the_known_ones(client, asked):
    response = client.get("/healthz", {"check": asked})
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("unknown check: ")
    assert body["checks"][:4] == ["database", "broker", "workers", "beat"]


@pytest.mark.django_db
def test_healthz_takes_only_get(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.head("/healthz").status_code == 200
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# --- queues -----------------------------------------------------------------------------------

PROJECT_APPS = ("core.", "cases.", "reviewers.", "determinations.", "exchange.", "library.", "billing.")


def test_every_project_task_is_given_a_queue_on_purpose():
    celery_app.loader.import_default_modules()
    project_tasks = {name for name in celery_app.tasks if name.startswith(PROJECT_APPS)}
    assert project_tasks, "no project task found"
    unrouted = project_tasks - set(queues.TASK_QUEUES)
    assert not unrouted, f"add these to imr_site/queues.py TASK_QUEUES: {sorted(unrouted)}"


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("cases.tasks.send_deadline_digest", "email"),
        ("core.outbox_digest", "email"),
        ("cases.tasks.mark_overdue_cases", "default"),
        ("core.sweep_outbox", "default"),
        ("billing.tasks.invoice_previous_month", "default"),
    ],
)
def test_tasks_travel_to_their_queue(task, queue):
    route = celery_app.amqp.router.route({}, task)
    assert route["queue"].name == queue


@pytest.mark.parametrize(
    ("kind", "queue"),
    [
        ("determinations.issue_letter", "letters"),
        ("determinations.send_delivery", "email"),
        ("reviewers.notify_assigned_reviewer", "email"),
        ("cases.notify_parties_expedited", "email"),
        ("reviewers.assign_reviewer", "default"),
        ("billing.render_invoice", "letters"),
        ("billing.send_invoice", "email"),
    ],
)
def test_outbox_jobs_travel_to_the_queue_of_their_kind(kind, queue):
    from core import outbox

    assert outbox.celery_queue(kind) == queue
    route = celery_app.amqp.router.route({"queue": outbox.celery_queue(kind)}, "core.run_outbox_job")
    assert route["queue"].name == queue


def test_an_unknown_queue_kind_is_refused():
    with pytest.raises(ValueError, match="unknown queue kind 'pdf'"):
        queues.queue_name("pdf")


@pytest.mark.django_db
def test_an_outbox_row_due_too_long_fails_healthz(client, settings):
    """The outbox's own check (core.outbox_health): the oldest due row's age, against its limit."""
    from datetime import timedelta

    from core import clock
    from core.models import OutboxJob

    settings.CELERY_BROKER_URL = ""
    settings.OUTBOX_HEALTH_MAX_AGE_SECONDS = 300
    OutboxJob.objects.create(
        kind="determinations.send_delivery", next_attempt_at=clock.now() - timedelta(seconds=60)
    )
    assert client.get("/healthz").status_code == 200
    OutboxJob.objects.create(
        kind="determinations.send_delivery", next_attempt_at=clock.now() - timedelta(seconds=400)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["outbox"] and body["checks"]["outbox"]["value"] >= 400
