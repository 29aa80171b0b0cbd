"""Issued and approved things are read-only in the database too (PostgreSQL).

- A determination that is submitted, approved, issued or superseded keeps its case, reviewer
  and summary; its status only moves on as the workflow does (submitted → approved, returned
  or superseded; approved → issued or superseded; issued → superseded); once issued, its issue
  date and the credentials its letter states are fixed. It is never deleted.
- The item decisions of such a determination are never changed or deleted.
- An issued letter is never changed or deleted (a correction is a new version).
- The one exception: while the correction service writes a corrected letter (with its reason and
  event, in one transaction) it may reword that issued determination's summary and its items'
  rationales and guidelines, never a decision.

The models refuse the same in Python (`determinations.models`), so SQLite (the demo) is guarded
by the code path only.
"""

from django.db import migrations

LOCKED = "('submitted', 'approved', 'issued', 'superseded')"
# Set (transaction-local) by determinations.models.correcting() for the one determination whose
# wording a corrected letter changes.
CORRECTING = "coalesce(current_setting('imr.correcting_determination', true), '')"

# "%%" is a literal "%" once Django composes the statement.
SQL = f"""
CREATE OR REPLACE FUNCTION imr_determination_read_only() RETURNS trigger AS $$
BEGIN
    IF OLD.status IN {LOCKED} THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'determination %% is %% and read-only: DELETE refused', OLD.id, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NEW.case_id IS DISTINCT FROM OLD.case_id
           OR NEW.reviewer_id IS DISTINCT FROM OLD.reviewer_id
           OR (NEW.clinical_case_summary IS DISTINCT FROM OLD.clinical_case_summary
               AND NOT (OLD.status = 'issued' AND {CORRECTING} = OLD.id::text))
           OR NOT (
                NEW.status = OLD.status
                OR (OLD.status = 'submitted' AND NEW.status IN ('approved', 'returned', 'superseded'))
                OR (OLD.status = 'approved' AND NEW.status IN ('issued', 'superseded'))
                OR (OLD.status = 'issued' AND NEW.status = 'superseded'))
           OR (OLD.status IN ('issued', 'superseded') AND (
                NEW.issued_on IS DISTINCT FROM OLD.issued_on
                OR NEW.licensure_states IS DISTINCT FROM OLD.licensure_states
                OR NEW.certifications IS DISTINCT FROM OLD.certifications))
        THEN
            RAISE EXCEPTION 'determination %% is %% and read-only: UPDATE refused', OLD.id, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION imr_item_decision_read_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND {CORRECTING} = OLD.determination_id::text
       AND NEW.determination_id = OLD.determination_id
       AND NEW.disputed_item_id = OLD.disputed_item_id
       AND NEW.decision = OLD.decision
       AND EXISTS (SELECT 1 FROM determinations_determination
                   WHERE id = OLD.determination_id AND status = 'issued')
    THEN
        RETURN NEW;  -- a corrected letter rewords a rationale or guideline (never a decision)
    END IF;
    IF EXISTS (SELECT 1 FROM determinations_determination
               WHERE id = OLD.determination_id AND status IN {LOCKED})
       OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM determinations_determination
               WHERE id = NEW.determination_id AND status IN {LOCKED}))
    THEN
        RAISE EXCEPTION 'item decision %% belongs to a read-only determination: %% refused', OLD.id, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION imr_letter_read_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an issued letter is read-only: %% refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER determinations_determination_read_only
    BEFORE UPDATE OR DELETE ON determinations_determination
    FOR EACH ROW EXECUTE FUNCTION imr_determination_read_only();
CREATE TRIGGER determinations_itemdecision_read_only
    BEFORE UPDATE OR DELETE ON determinations_itemdecision
    FOR EACH ROW EXECUTE FUNCTION imr_item_decision_read_only();
CREATE TRIGGER determinations_letter_read_only
    BEFORE UPDATE OR DELETE ON determinations_letter
    FOR EACH ROW EXECUTE FUNCTION imr_letter_read_only();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS determinations_determination_read_only ON determinations_determination;
DROP TRIGGER IF EXISTS determinations_itemdecision_read_only ON determinations_itemdecision;
DROP TRIGGER IF EXISTS determinations_letter_read_only ON determinations_letter;
DROP FUNCTION IF EXISTS imr_determination_read_only();
DROP FUNCTION IF EXISTS imr_item_decision_read_only();
DROP FUNCTION IF EXISTS imr_letter_read_only();
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL)


class Migration(migrations.Migration):
    dependencies = [("determinations", "0004_ordering_by_ids_and_search_indexes")]

    operations = [migrations.RunPython(add_triggers, remove_triggers)]
