"""`collectstatic_if_changed` (run by `make prod` on each start): collects once, then only
when a source file, the storage or a version changed. Bad inputs tried: a changed file, a new
file, a STATIC_ROOT whose fingerprint was deleted."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def static_dirs(settings, tmp_path):
    source = tmp_path / "source"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n")
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "collected"
    return source, tmp_path / "collected"


def run() -> str:
    out = StringIO()
    call_command("collectstatic_if_changed", stdout=out)
    return out.getvalue()


def test_collects_once_then_only_when_a_source_changes(static_dirs):
    source, collected = static_dirs
    assert run().startswith("static files collected")
    assert (collected / "css" / "site.css").read_text() == "body { color: black; }\n"
    assert (collected / "admin").is_dir()  # the apps' files too, as collectstatic

    assert run().startswith("static files in ")  # unchanged: skipped

    (source / "css" / "site.css").write_text("body { color: navy; }\n")
    assert run().startswith("static files collected")
    assert (collected / "css" / "site.css").read_text() == "body { color: navy; }\n"

    (source / "js").mkdir()
    (source / "js" / "new.js").write_text("// new\n")
    assert run().startswith("static files collected")
    assert (collected / "js" / "new.js").exists()


def test_a_missing_fingerprint_collects_again(static_dirs):
    _, collected = static_dirs
    run()
    (collected / ".sources.sha256").unlink()
    (collected / "css" / "site.css").unlink()
    assert run().startswith("static files collected")
    assert (collected / "css" / "site.css").exists()


def test_another_storage_collects_again(static_dirs, settings):
    run()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    assert run().startswith("static files collected")
    assert (static_dirs[1] / "staticfiles.json").exists()
