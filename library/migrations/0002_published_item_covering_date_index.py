"""A covering date index for the public search at scale (PostgreSQL only).

`(decided_on DESC, id DESC) INCLUDE (the filtered columns)`: a search that matches many rows walks
this index newest first and checks its filters on the index entries alone (an index-only scan),
so counting up to the page cap and finding a page's ids never reads the wide rows
(`library.selectors`, `CappedPaginator`). SQLite gets nothing.
"""

from django.db import migrations

INDEX = "library_published_item_decided_cover"
DEFINITION = (
    "btree (decided_on DESC, id DESC) INCLUDE "
    "(specialty, category, decision, treatment, injury_date, received_on)"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON library_publisheditem USING {DEFINITION}")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("library", "0001_decision_library"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
