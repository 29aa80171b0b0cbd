from __future__ import annotations

import importlib

import pytest

SEED_MIGRATION = importlib.import_module("reviewers.migrations.0003_seed_specialty_rules")


@pytest.fixture(autouse=True)
def _specialty_rules(request) -> None:
    """The default specialty rules, as the data migration seeds them.

    Under `--nomigrations` the table starts empty; the migration's own function fills it.
    """
    if "django_db_setup" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    from django.apps import apps

    from reviewers.models import SpecialtyRule

    request.getfixturevalue("django_db_blocker")
    if not SpecialtyRule.objects.exists():
        SEED_MIGRATION.seed(apps, None)
