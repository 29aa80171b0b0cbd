"""The case's item-category bits (issue 11): kept by PostgreSQL triggers on the disputed items,
they let the queue tabs count under a category filter from that category's partial index.

Checked: the migration's frozen order is the model's; the bits follow every kind of write to
the items (insert, a category changed, an item moved to another case, a delete, a bulk insert)
and are not overwritten by a case's `save()`; the counts under each category equal the counts by
probing the items, for every state, with the priority and overdue filters too; the count's plan
reads the category's partial index; a category outside the whitelist (bad input that got past
the form) is counted by probing the items, never written into the SQL.
"""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from cases import selectors
from cases.models import ITEM_CATEGORY_BITS, Case, CaseStatus, DisputedItem, ItemCategory, Priority
from tests.conftest import is_postgres, require_service
from tests.factories import CaseFactory, DisputedItemFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("cases.migrations.0013_scale_item_categories")


@pytest.fixture
def pg():
    require_service(is_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://...")


def bits(case: Case) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT item_categories FROM cases_case WHERE id = %s", [case.pk])
        return cursor.fetchone()[0]


def test_the_migration_freezes_the_models_order():
    assert list(ItemCategory.values) == MIGRATION.CATEGORY_BITS
    assert [ITEM_CATEGORY_BITS[c] for c in ItemCategory.values] == [1 << i for i in range(len(ItemCategory))]


def test_the_bits_follow_every_write_to_the_items(pg):
    S, P, A = ItemCategory.SURGERY, ItemCategory.PHYSICAL_MEDICINE, ItemCategory.ACUPUNCTURE
    case, other = CaseFactory(), CaseFactory()
    assert bits(case) == 0
    first = DisputedItemFactory(case=case, category=S)
    second = DisputedItemFactory(case=case, category=P)
    assert bits(case) == ITEM_CATEGORY_BITS[S] | ITEM_CATEGORY_BITS[P]
    # A case saved from a stale instance does not write the bits back (not a model field).
    case.refresh_from_db()
    case.ur_reviewer_name = "Dr. Stale"
    case.save()
    assert bits(case) == ITEM_CATEGORY_BITS[S] | ITEM_CATEGORY_BITS[P]
    DisputedItem.objects.filter(pk=first.pk).update(category=A)
    assert bits(case) == ITEM_CATEGORY_BITS[A] | ITEM_CATEGORY_BITS[P]
    DisputedItem.objects.filter(pk=second.pk).update(case=other)
    assert (bits(case), bits(other)) == (ITEM_CATEGORY_BITS[A], ITEM_CATEGORY_BITS[P])
    DisputedItem.objects.filter(pk=first.pk).delete()
    assert bits(case) == 0
    DisputedItem.objects.bulk_create(
        [DisputedItemFactory.build(case=case, position=n, category=c) for n, c in enumerate([S, S, A], 5)]
    )
    assert bits(case) == ITEM_CATEGORY_BITS[S] | ITEM_CATEGORY_BITS[A]


def _probed_counts(category: str, **filters) -> dict[str, tuple[int, int]]:
    found = {}
    for status in CaseStatus.values:
        cases = Case.objects.filter(
            status=status, consolidated_into__isnull=True, disputed_items__category=category, **filters
        ).distinct()
        found[status] = (cases.count(), cases.filter(overdue=True).count())
    return found


@pytest.mark.parametrize("priority", ["", Priority.EXPEDITED])
def test_the_counts_under_a_category_are_the_probed_counts(pg, staff, priority):
    statuses = [CaseStatus.RECEIVED, CaseStatus.IN_REVIEW, CaseStatus.CLOSED, CaseStatus.QA_REVIEW]
    categories = list(ItemCategory.values)
    for n in range(40):
        case = CaseFactory(
            status=statuses[n % 4],
            overdue=n % 3 == 0,
            priority=Priority.EXPEDITED if n % 5 == 0 else Priority.STANDARD,
        )
        for k in range(n % 3 + 1):
            DisputedItemFactory(case=case, position=k + 1, category=categories[(n * 7 + k) % len(categories)])
    lead = Case.objects.filter(status=CaseStatus.IN_REVIEW).first()
    Case.objects.filter(pk__in=Case.objects.filter(status=CaseStatus.IN_REVIEW).values("pk")[1:3]).update(
        consolidated_into=lead
    )
    extra = {"priority": priority} if priority else {}
    for category in categories:
        counts = selectors.queue_counts(
            user=staff, filters=selectors.QueueFilters(category=category, priority=priority)
        )
        assert {s: (c["total"], c["overdue"]) for s, c in counts.items()} == _probed_counts(
            category, **extra
        ), category


def test_the_count_reads_the_categorys_partial_index(pg):
    sql, params = selectors._filter_sql(selectors.QueueFilters(category=ItemCategory.SURGERY))
    table_sql = selectors._capped_counts_sql(sql)
    all_params: list = []
    for status in CaseStatus.values:
        all_params += [status, *params, 5001, status, *params, 5001]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + table_sql, all_params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_counts_surgery" in plan
    assert "cases_disputeditem" not in plan


def test_a_category_outside_the_whitelist_is_probed_not_written_into_the_sql(staff):
    sql, params = selectors._filter_sql(selectors.QueueFilters(category="x) > 0; DROP TABLE cases_case; --"))
    assert "DROP" not in sql and params == ["x) > 0; DROP TABLE cases_case; --"]
    counts = selectors.queue_counts(
        user=staff, filters=selectors.QueueFilters(category="x) > 0; DROP TABLE cases_case; --")
    )
    assert all(c["total"] == 0 for c in counts.values())


def test_the_lists_filter_by_the_bits_as_by_the_items(pg):
    """The queue's and the admin's category filter (`with_item_category`) pick the cases the
    items say, each case once however many items of the category it has."""
    from django.db.models import Exists, OuterRef

    categories = list(ItemCategory.values)
    for n in range(20):
        case = CaseFactory()
        for k in range(n % 3):
            DisputedItemFactory(case=case, position=k + 1, category=categories[(n + k * 5) % len(categories)])
    for category in categories:
        by_bits = list(
            selectors.with_item_category(Case.objects.order_by("pk"), category).values_list("pk", flat=True)
        )
        by_items = list(
            Case.objects.filter(Exists(DisputedItem.objects.filter(case=OuterRef("pk"), category=category)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        assert by_bits == by_items, category
