"""A case's disputed items, documents and parties are read-only in the database once its
record is final (cases.record_lock): a determination of the case is submitted, approved or
issued, or a letter was issued for it.

- disputed items: no INSERT, UPDATE or DELETE;
- documents: no UPDATE or DELETE (a new document may still be added);
- parties: no DELETE, and no UPDATE of anything but email and mailing_address (a returned letter
  goes again to the corrected address; a new party may still be added).

An UPDATE that changes nothing passes. The models refuse the same in Python, so SQLite (the demo)
is guarded by the code path only. The item decisions, determinations and letters were made
read-only by 0005_issued_and_approved_read_only.
"""

from django.db import migrations

# "%%" is a literal "%" once Django composes the statement.
SQL = """
CREATE OR REPLACE FUNCTION imr_case_record_final(p_case_id bigint) RETURNS boolean AS $$
    SELECT EXISTS (
        SELECT 1 FROM determinations_determination d
        WHERE d.case_id = p_case_id
          AND (d.status IN ('submitted', 'approved', 'issued')
               OR EXISTS (SELECT 1 FROM determinations_letter l WHERE l.determination_id = d.id)))
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION imr_case_child_read_only() RETURNS trigger AS $$
DECLARE
    correctable text[] := TG_ARGV[0]::text[];
    insert_allowed boolean := TG_ARGV[1]::boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT insert_allowed AND imr_case_record_final(NEW.case_id) THEN
            RAISE EXCEPTION '%% of case %% refused: the case''s record is final (INSERT)', TG_TABLE_NAME, NEW.case_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        IF imr_case_record_final(OLD.case_id) THEN
            RAISE EXCEPTION '%% %% refused: the record of case %% is final (DELETE)', TG_TABLE_NAME, OLD.id, OLD.case_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF (to_jsonb(NEW) - correctable) IS DISTINCT FROM (to_jsonb(OLD) - correctable)
       AND (imr_case_record_final(OLD.case_id) OR imr_case_record_final(NEW.case_id)) THEN
        RAISE EXCEPTION '%% %% refused: the record of case %% is final (UPDATE)', TG_TABLE_NAME, OLD.id, OLD.case_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_disputeditem_final_read_only
    BEFORE INSERT OR UPDATE OR DELETE ON cases_disputeditem
    FOR EACH ROW EXECUTE FUNCTION imr_case_child_read_only('{}', 'false');
CREATE TRIGGER cases_document_final_read_only
    BEFORE UPDATE OR DELETE ON cases_document
    FOR EACH ROW EXECUTE FUNCTION imr_case_child_read_only('{}', 'true');
CREATE TRIGGER cases_party_final_read_only
    BEFORE UPDATE OR DELETE ON cases_party
    FOR EACH ROW EXECUTE FUNCTION imr_case_child_read_only('{email,mailing_address}', 'true');
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS cases_disputeditem_final_read_only ON cases_disputeditem;
DROP TRIGGER IF EXISTS cases_document_final_read_only ON cases_document;
DROP TRIGGER IF EXISTS cases_party_final_read_only ON cases_party;
DROP FUNCTION IF EXISTS imr_case_child_read_only();
DROP FUNCTION IF EXISTS imr_case_record_final(bigint);
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("determinations", "0007_notices_notice_and_delivery"),
        ("cases", "0010_notices_consolidation"),
    ]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
