"""The queue tabs' counts under a treatment-category filter without probing every case's items
(issue 11). PostgreSQL only, as the trigram and queue indexes of 0006/0007/0011.

Before: each state's count was `EXISTS (SELECT 1 FROM cases_disputeditem ...)` per case of the
state, stopped at the 5,000 cap only when the state held that many matches: a rare category in
the closed state probed every closed case's items (O(cases) on each queue view).

Now: `cases_case.item_categories`, an integer with bit i set when one of the case's disputed
items is of category CATEGORY_BITS[i], kept by statement-level triggers on cases_disputeditem
(every write path: the services, the admin's inlines, the batched import's and the bench's
COPY, consolidation); and one partial index per category on `(status, overdue, priority)
WHERE (item_categories & bit) > 0 AND consolidated_into_id IS NULL`. A count is then an
index-only range of that index, stopped at the cap: the same cost as the unfiltered counts.

Why a column kept by triggers, not a counts table kept by the workflow: the tabs count by
state, overdue and priority too, and `overdue` flips in a daily batch update, the priority and
consolidation elsewhere; a counts table would have to follow every one of those writers. With
the bits on the case row, PostgreSQL keeps the partial indexes right on any update of the case.

The column is not a field of the model: Django would write the instance's (possibly stale) value
back on every `save()` of a case. Nothing in Python writes it; SQLite (the embedded default) has
neither the column nor the triggers and counts with `EXISTS` (cases.selectors.queue_counts).
A new ItemCategory needs a migration that replaces `imr_item_category_bit` (and an index);
tests/cases/test_scale_item_categories.py fails until then.
"""

from django.db import migrations

# Frozen here (a migration must not follow later edits of the model): bit i is category i.
CATEGORY_BITS = [
    "pharmaceuticals",
    "physical_medicine",
    "chiropractic",
    "acupuncture",
    "injections",
    "diagnostics",
    "surgery",
    "dme",
    "behavioral_health",
    "home_health",
    "programs",
    "evaluation_management",
    "other",
]


def _bit_case() -> str:
    whens = " ".join(f"WHEN '{code}' THEN {1 << i}" for i, code in enumerate(CATEGORY_BITS))
    return f"CASE category {whens} ELSE 0 END"


# Each statement locks the changed cases' rows first, then recounts their bits in a new snapshot
# (plpgsql takes one per statement under READ COMMITTED): two transactions adding items to one
# case cannot lose each other's bit. Only rows whose bits change are written.
SQL = f"""
ALTER TABLE cases_case ADD COLUMN IF NOT EXISTS item_categories integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION imr_item_category_bit(category text) RETURNS integer AS $$
    SELECT {_bit_case()}
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION imr_recount_item_categories(case_ids bigint[]) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM cases_case WHERE id = ANY(case_ids) ORDER BY id FOR UPDATE;
    UPDATE cases_case c SET item_categories = counted.bits
    FROM (
        SELECT ids.id, COALESCE((
            SELECT SUM(DISTINCT imr_item_category_bit(i.category))
            FROM cases_disputeditem i WHERE i.case_id = ids.id
        ), 0)::integer AS bits
        FROM unnest(case_ids) AS ids(id)
    ) counted
    WHERE c.id = counted.id AND c.item_categories <> counted.bits;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION imr_item_categories_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM imr_recount_item_categories(ARRAY(SELECT DISTINCT case_id FROM new_items));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM imr_recount_item_categories(ARRAY(SELECT DISTINCT case_id FROM old_items));
    ELSE
        PERFORM imr_recount_item_categories(ARRAY(
            SELECT case_id FROM new_items UNION SELECT case_id FROM old_items));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_disputeditem_categories_insert AFTER INSERT ON cases_disputeditem
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION imr_item_categories_changed();
CREATE TRIGGER cases_disputeditem_categories_update AFTER UPDATE ON cases_disputeditem
    REFERENCING NEW TABLE AS new_items OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION imr_item_categories_changed();
CREATE TRIGGER cases_disputeditem_categories_delete AFTER DELETE ON cases_disputeditem
    REFERENCING OLD TABLE AS old_items
    FOR EACH STATEMENT EXECUTE FUNCTION imr_item_categories_changed();

UPDATE cases_case c SET item_categories = counted.bits
FROM (
    SELECT case_id, SUM(DISTINCT imr_item_category_bit(category))::integer AS bits
    FROM cases_disputeditem GROUP BY case_id
) counted
WHERE c.id = counted.case_id AND c.item_categories <> counted.bits;
"""  # noqa: S608 (constants of this module only)

INDEXES = "\n".join(
    f"CREATE INDEX IF NOT EXISTS case_counts_{code} ON cases_case (status, overdue, priority) "
    f"WHERE (item_categories & {1 << i}) > 0 AND consolidated_into_id IS NULL;"
    for i, code in enumerate(CATEGORY_BITS)
)

REVERSE_SQL = """
DROP TRIGGER IF EXISTS cases_disputeditem_categories_insert ON cases_disputeditem;
DROP TRIGGER IF EXISTS cases_disputeditem_categories_update ON cases_disputeditem;
DROP TRIGGER IF EXISTS cases_disputeditem_categories_delete ON cases_disputeditem;
DROP FUNCTION IF EXISTS imr_item_categories_changed();
DROP FUNCTION IF EXISTS imr_recount_item_categories(bigint[]);
ALTER TABLE cases_case DROP COLUMN IF EXISTS item_categories;
DROP FUNCTION IF EXISTS imr_item_category_bit(text);
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)
        schema_editor.execute(INDEXES)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_consol_closed_as_consolidated"),
    ]

    operations = [migrations.RunPython(add, remove)]
