# Issued invoices are immutable in PostgreSQL too: a line is never updated or deleted; an
# invoice is never deleted, its billed amounts and addressee never change, and its PDF and its
# payment are each written once. TRUNCATE (test database flushes) is not a row operation.

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION billing_refuse_line_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an issued invoice line never changes: %% refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_guard_invoice() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'an issued invoice is never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.number, NEW.period, NEW.sequence, NEW.bill_to_key, NEW.bill_to_name, NEW.bill_to_email,
        NEW.bill_to_address, NEW.issued_on, NEW.line_count, NEW.total_usd)
       IS DISTINCT FROM
       (OLD.number, OLD.period, OLD.sequence, OLD.bill_to_key, OLD.bill_to_name, OLD.bill_to_email,
        OLD.bill_to_address, OLD.issued_on, OLD.line_count, OLD.total_usd)
       OR (OLD.sha256 <> '' AND (NEW.sha256, NEW.pdf, NEW.pages) IS DISTINCT FROM (OLD.sha256, OLD.pdf, OLD.pages))
       OR (OLD.paid_on IS NOT NULL
           AND (NEW.paid_on, NEW.paid_by_id, NEW.paid_recorded_at)
               IS DISTINCT FROM (OLD.paid_on, OLD.paid_by_id, OLD.paid_recorded_at)) THEN
        RAISE EXCEPTION 'invoice %% is issued: what it bills, its PDF and its payment are written once', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite (the demo) relies on the models' save() and delete() guards
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(
        "CREATE TRIGGER billing_invoiceline_read_only BEFORE UPDATE OR DELETE ON billing_invoiceline "
        "FOR EACH ROW EXECUTE FUNCTION billing_refuse_line_change();"
    )
    schema_editor.execute(
        "CREATE TRIGGER billing_invoice_read_only BEFORE UPDATE OR DELETE ON billing_invoice "
        "FOR EACH ROW EXECUTE FUNCTION billing_guard_invoice();"
    )


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS billing_invoiceline_read_only ON billing_invoiceline;")
    schema_editor.execute("DROP TRIGGER IF EXISTS billing_invoice_read_only ON billing_invoice;")
    schema_editor.execute("DROP FUNCTION IF EXISTS billing_refuse_line_change();")
    schema_editor.execute("DROP FUNCTION IF EXISTS billing_guard_invoice();")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
