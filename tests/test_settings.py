"""The settings read the environment: the embedded default and the real services."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "email_backend": settings.EMAIL_BACKEND,
    "email_host": getattr(settings, "EMAIL_HOST", None),
    "email_port": getattr(settings, "EMAIL_PORT", None),
    "imro": [settings.IMRO_NAME, settings.IMRO_SHORT_NAME],
    "debug": settings.DEBUG,
    "site_url": settings.SITE_URL,
}))
"""

SERVICE_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "SECRET_KEY",
    "DEBUG",
    "IMRO_NAME",
    "SITE_URL",
)


def run_settings(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(overrides, DJANGO_SETTINGS_MODULE="imr_site.settings")
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
    )


def test_nothing_set_fails_closed_debug_is_off_and_a_secret_key_is_required():
    result = run_settings()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    production = run_settings(SECRET_KEY="x" * 50, SITE_URL="https://imr.example.org")
    assert production.returncode == 0, production.stderr
    assert json.loads(production.stdout)["debug"] is False


def test_embedded_default_uses_sqlite_eager_tasks_and_mail_files():
    result = run_settings(DEBUG="true")  # as `make demo` runs it
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("var/imr.sqlite3")
    assert values["eager"] is True
    assert values["email_backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["imro"] == ["MAXIMUS Federal Services", "MAXIMUS"]


def test_real_services_come_from_the_environment():
    result = run_settings(
        DATABASE_URL="postgres://imr:secret@db.internal:5433/imr",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
        EMAIL_URL="smtp://mailer.internal:2525",
        IMRO_NAME="Example Review Services",
        SECRET_KEY="x" * 50,  # DEBUG is off: production needs these two
        SITE_URL="https://imr.example.org",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "imr"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["email_host"], values["email_port"]) == ("mailer.internal", 2525)
    assert values["imro"][0] == "Example Review Services"


def test_secret_key_is_required_when_debug_is_off():
    # Bad input tried: DEBUG=false with no SECRET_KEY must refuse to start, naming the variable.
    result = run_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert (
        run_settings(DEBUG="false", SECRET_KEY="x" * 50, SITE_URL="https://imr.example.org").returncode == 0
    )


def test_site_url_defaults_to_the_embedded_address_and_comes_from_the_environment():
    embedded = run_settings(DEBUG="true")
    assert embedded.returncode == 0, embedded.stderr
    assert json.loads(embedded.stdout)["site_url"] == "http://127.0.0.1:8000"
    real = run_settings(DEBUG="true", SITE_URL="https://imr.example.org/")
    assert real.returncode == 0, real.stderr
    assert json.loads(real.stdout)["site_url"] == "https://imr.example.org"  # no trailing slash


def test_site_url_is_required_when_debug_is_off_and_must_be_an_address():
    # Bad inputs tried: DEBUG=false without SITE_URL (links would point at 127.0.0.1), a host
    # without its scheme, a URL with a query string.
    result = run_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0 and "SITE_URL" in result.stderr
    for bad in ("imr.example.org", "https://imr.example.org/?x=1", "ftp://imr.example.org"):
        result = run_settings(DEBUG="true", SITE_URL=bad)
        assert result.returncode != 0, bad
        assert "SITE_URL must be the site's address" in result.stderr
