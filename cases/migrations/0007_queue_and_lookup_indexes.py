"""Indexes for 200,000 cases a year (issue 11): the queues' keyset order (expedited first in the ready queue), their capped counts,
the newest-first order, the duplicate-IMR lookup by claim number; child rows ordered by the
case's id (no join to cases); and on PostgreSQL the trigram indexes of the admin's searches of
disputed items and documents (as in 0006, on the UPPER() expression `icontains` uses).
"""

import datetime

import django.db.models.functions.comparison

from django.db import migrations, models

TRIGRAM_INDEXES = [
    ("cases_disputeditem_description_trgm", "cases_disputeditem", "upper((description)::text)"),
    ("cases_disputeditem_procedure_code_trgm", "cases_disputeditem", "upper((procedure_code)::text)"),
    ("cases_document_title_trgm", "cases_document", "upper((title)::text)"),
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
        ("cases", "0006_search_trigram"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="caseevent",
            options={"ordering": ["case_id", "effective_on", "id"]},
        ),
        migrations.AlterModelOptions(
            name="disputeditem",
            options={"ordering": ["case_id", "position"]},
        ),
        migrations.AlterModelOptions(
            name="document",
            options={"ordering": ["case_id", "received_on", "id"]},
        ),
        migrations.AlterModelOptions(
            name="party",
            options={"ordering": ["case_id", "id"], "verbose_name_plural": "parties"},
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.F("status"),
                django.db.models.functions.comparison.Coalesce(
                    models.F("next_deadline"),
                    models.Value(datetime.date(9999, 12, 31)),
                    output_field=models.DateField(),
                ),
                models.F("received_on"),
                models.F("id"),
                name="case_queue_order",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    models.F("next_deadline"),
                    models.Value(datetime.date(9999, 12, 31)),
                    output_field=models.DateField(),
                ),
                models.F("received_on"),
                models.F("id"),
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "received",
                            "eligibility_review",
                            "awaiting_records",
                            "ready_for_assignment",
                            "assigned",
                            "in_review",
                            "qa_review",
                        ],
                    )
                ),
                name="case_open_queue_order",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status", "overdue"], name="case_status_overdue"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["received_on", "id"], name="case_received_order"),
        ),
        migrations.AddIndex(
            model_name="party",
            index=models.Index(
                condition=models.Q(("role", "claims_administrator")),
                fields=["claim_number", "case"],
                name="party_claim_number",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                models.Case(
                    models.When(priority="expedited", then=models.Value(0)),
                    default=models.Value(1),
                    output_field=models.IntegerField(),
                ),
                django.db.models.functions.comparison.Coalesce(
                    models.F("next_deadline"),
                    models.Value(datetime.date(9999, 12, 31)),
                    output_field=models.DateField(),
                ),
                models.F("received_on"),
                models.F("id"),
                condition=models.Q(("status", "ready_for_assignment")),
                name="case_ready_queue_order",
            ),
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
