"""The app's PostgreSQL connections as the settings configure them."""

import pytest


@pytest.mark.django_db
def test_postgres_connections_plan_for_memory_not_spinning_disks(postgres):
    """The app's connections run without JIT and with random_page_cost 1.1 (issue 11): what the
    settings ask for is what the server applies to every connection of the app."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1
