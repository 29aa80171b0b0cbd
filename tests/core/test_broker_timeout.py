"""A broker that accepts the connection and never answers fails the hand-off; it does not hang.

Without a socket timeout redis-py waits for a reply forever: a request publishing an outbox
row's id, or a worker doing so from a handler, would hang with it (and the worker would keep
the row it claimed `running`). Bad inputs tried: a TCP server that accepts and reads but never
writes a byte.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from celery import Celery
from django.conf import settings
from kombu.exceptions import OperationalError


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on a free port that accepts connections, reads, and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)  # kept open, read by nobody: the client's bytes go unanswered

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_the_broker_connections_have_a_socket_timeout():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["socket_timeout"] == settings.BROKER_SOCKET_TIMEOUT_SECONDS > 0
    assert options["socket_connect_timeout"] == settings.CELERY_BROKER_CONNECTION_TIMEOUT > 0


def test_a_publish_to_a_broker_that_never_answers_raises_instead_of_hanging(silent_server):
    # The project's Celery settings, pointed at the silent server, with a short socket timeout
    # so the test waits seconds: the retry policy's three tries each end at the timeout.
    app = Celery("silent-broker-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_transport_options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "socket_timeout": 0.5}
    outcome: dict[str, BaseException | None] = {}

    def publish() -> None:
        try:
            with app.connection_for_write(f"redis://127.0.0.1:{silent_server}/0") as connection:
                app.send_task("core.run_outbox_job", (1,), queue="silent", connection=connection)
            outcome["error"] = None
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the publish still waits for an answer that never comes"
    assert isinstance(outcome["error"], OperationalError), outcome["error"]
    assert "Timeout" in str(outcome["error"])
    app.close()
