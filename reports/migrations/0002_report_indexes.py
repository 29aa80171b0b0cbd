"""The indexes the dashboard and the reports read (PostgreSQL only; SQLite gets none).

Each report is an aggregate over a period: these put the period's column first and INCLUDE the
columns the aggregate reads, so PostgreSQL answers from the index alone (an index-only scan,
once VACUUM has set the visibility map) instead of reading every wide case row of the year.
Partial where the report reads a small part of a table (QA returns, ineligible events).
They live in the reports app, which reads these tables, so the apps below carry no
report-specific index in their models (the library app's covering index does the same).
"""

from django.db import migrations

OPEN_STATUSES = (
    "'received', 'eligibility_review', 'awaiting_records', 'ready_for_assignment', 'assigned', "
    "'in_review', 'qa_review'"
)
INDEXES = {
    # Monthly volumes and the dashboard's received trend.
    "report_case_received_cover": (
        "cases_case",
        "btree (received_on) INCLUDE (id, status, eligible_on, eligibility_confirmed, signed, "
        "ur_decision_attached, ur_conditionally_noncertified, liability_disputed, application_due, "
        "eligibility_override_reason)",
    ),
    # The dashboard's ageing of open cases (a small part of the table).
    "report_case_open_age": (
        "cases_case",
        f"btree (status, received_on) WHERE status IN ({OPEN_STATUSES})",
    ),
    # Late records: the NOARFI sent in the period.
    "report_case_notice_sent": (
        "cases_case",
        "btree (notice_sent_on) INCLUDE (id, records_due, records_complete_on, status) "
        "WHERE records_due IS NOT NULL",
    ),
    # Volumes: the ineligible transition of a case (its finding's words: a duplicate filing).
    "report_caseevent_ineligible": (
        "cases_caseevent",
        "btree (case_id) INCLUDE (reason) WHERE to_status = 'ineligible'",
    ),
    # Reviewer productivity: QA returns in the period.
    "report_caseevent_qa_return": (
        "cases_caseevent",
        "btree (effective_on) INCLUDE (case_id) WHERE from_status = 'qa_review' AND to_status = 'in_review'",
    ),
    # Decisions, late determinations and the dashboard's decided trend.
    "report_determination_issued": (
        "determinations_determination",
        "btree (issued_on) INCLUDE (id, case_id, reviewer_id) WHERE issued_on IS NOT NULL",
    ),
    # The two clocks: letters mailed in the period.
    "report_determination_mailed": (
        "determinations_determination",
        "btree (mailed_on) INCLUDE (id, case_id) WHERE mailed_on IS NOT NULL",
    ),
    # Reviewer productivity: determinations submitted in the period.
    "report_determination_submitted": (
        "determinations_determination",
        "btree (submitted_at) INCLUDE (id, case_id, reviewer_id) WHERE submitted_at IS NOT NULL",
    ),
    # Reviewer productivity: when the reviewer accepted the case (one lookup per determination).
    "report_assignment_accepted": (
        "reviewers_assignment",
        "btree (case_id, reviewer_id) INCLUDE (status, responded_at) WHERE responded_at IS NOT NULL",
    ),
    # Overturn rates: a determination's item decisions with their decision.
    "report_itemdecision_cover": (
        "determinations_itemdecision",
        "btree (determination_id) INCLUDE (id, decision, disputed_item_id)",
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, definition) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_reports_permission"),
        ("cases", "0008_access_log_complete_and_append_only"),
        ("determinations", "0006_delivery_sending_claim"),
        ("reviewers", "0007_ordering_by_ids_and_admin_index"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
