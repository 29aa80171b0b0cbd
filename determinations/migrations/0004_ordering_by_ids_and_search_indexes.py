"""Deliveries, letters and determinations ordered by their parent's id (the parent's own
ordering joined up to cases on every list); partial indexes for the QA queue and the letters
to post; on PostgreSQL trigram indexes for the admin's
search of deliveries by recipient name and address (on the UPPER() expression `icontains` uses,
as in cases 0006).
"""

from django.db import migrations, models

TRIGRAM_INDEXES = [
    (
        "determinations_delivery_recipient_name_trgm",
        "determinations_delivery",
        "upper((recipient_name)::text)",
    ),
    ("determinations_delivery_address_trgm", "determinations_delivery", "upper(address)"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, table, expression in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index, _table, _expression in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [
        ("determinations", "0003_forms_draft_version"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="delivery",
            options={"ordering": ["letter_id", "id"], "verbose_name_plural": "deliveries"},
        ),
        migrations.AlterModelOptions(
            name="determination",
            options={
                "ordering": ["case_id", "-created_at", "-id"],
                "permissions": [("qa_determination", "Can approve or return a determination in QA")],
            },
        ),
        migrations.AlterModelOptions(
            name="letter",
            options={"ordering": ["determination_id", "-version"]},
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status", "to_post")), fields=["letter"], name="delivery_to_post"
            ),
        ),
        migrations.AddIndex(
            model_name="determination",
            index=models.Index(
                condition=models.Q(("status__in", ["submitted", "approved"])),
                fields=["case"],
                name="determination_in_qa",
            ),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
