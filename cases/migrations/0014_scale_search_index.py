"""Staff search at 200,000 cases (issue 11): the matching cases' ids sorted by the day received
(cases.selectors.search_case_ids) read `received_on` from this index, not from each case's row
(a common surname matches about 2,500 cases: 2,500 heap lookups before). PostgreSQL only, as
the trigram indexes of 0006; SQLite needs none at its sizes.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS case_id_received ON cases_case (id) INCLUDE (received_on)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_id_received")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_scale_item_categories"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
