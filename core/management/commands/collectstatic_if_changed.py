"""`collectstatic`, skipped when nothing it would write has changed since the last run.

`make prod` runs it on every start. Hashing, gzip and brotli make a full collectstatic take
seconds to tens of seconds; a restart (after a crash, a deploy with no static change, each
fault test) should not pay that. The fingerprint covers every source file's name and content,
the storage backend and the versions of Django and whitenoise; it is written into STATIC_ROOT
after a successful collectstatic, so a failed or interrupted run is redone next time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand

STAMP = ".sources.sha256"


def sources_fingerprint() -> str:
    digest = hashlib.sha256()
    for part in (
        settings.STATIC_URL,
        settings.STORAGES["staticfiles"]["BACKEND"],
        str(getattr(settings, "WHITENOISE_KEEP_ONLY_HASHED_FILES", False)),
        importlib.metadata.version("django"),
        importlib.metadata.version("whitenoise"),
    ):
        digest.update(part.encode() + b"\0")
    found: dict[str, Path] = {}
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore_patterns=["CVS", ".*", "*~"]):
            prefix = getattr(storage, "prefix", None) or ""
            name = f"{prefix}/{path}" if prefix else path
            found.setdefault(name, Path(storage.path(path)))  # the first finder wins, as collectstatic
    for name in sorted(found):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(found[name].read_bytes()).digest())
    return digest.hexdigest()


class Command(BaseCommand):
    help = "collectstatic --noinput, unless the static sources are unchanged since the last run."

    def handle(self, *args, **options) -> None:
        root = Path(settings.STATIC_ROOT)
        stamp = root / STAMP
        fingerprint = sources_fingerprint()
        manifest_name = getattr(staticfiles_storage, "manifest_name", None)
        complete = manifest_name is None or (root / manifest_name).exists()
        if complete and stamp.exists() and stamp.read_text().strip() == fingerprint:
            self.stdout.write(f"static files in {root} are up to date")
            return
        stamp.unlink(missing_ok=True)
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(fingerprint + "\n")
        self.stdout.write(f"static files collected into {root}")
