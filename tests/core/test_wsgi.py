"""The WSGI entry point gunicorn loads: the site answers, and what loading it made is frozen out
of the garbage collector's full collections (their pauses were one request in ten at 200,000
cases, bench/scale.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
assert gc.get_freeze_count() == 0
from imr_site.wsgi import application
from django.test import Client
print(json.dumps({"frozen": gc.get_freeze_count(), "health": Client().get("/healthz").status_code}))
"""


def test_loading_the_site_freezes_what_it_loaded():
    env = {
        **os.environ,
        "DEBUG": "true",
        "SECRET_KEY": "test-wsgi",
        "SITE_URL": "http://127.0.0.1:8000",
        "DJANGO_SETTINGS_MODULE": "imr_site.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["frozen"] > 10_000
    assert found["health"] in (200, 503)
