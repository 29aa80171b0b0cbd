"""Admin changelists that cost the same at 200,000 cases as at 200 (issue 11).

`LargeListAdmin` is mixed into every ModelAdmin over a table that grows with the cases:
- no second, unfiltered COUNT(*) (`show_full_result_count = False`);
- 25 rows a page;
- the paginator counts at most `CAPPED_COUNT` rows and says "1000+" beyond (the template
  `admin/pagination.html`): an exact count of 1.3 million events reads them all on every page,
  and the pages past the cap (40 pages of 25) are reached by a filter, a search or the reversed
  sort, as in the staff search (cases.selectors, also 1,000);
- a search's matches are read once, as ids (up to the cap), and the count and the page then
  read those ids: the union of index lookups costs 20 ms at 200,000 cases, and the count and
  the page would each run it again;
- only the columns an index can sort by are sortable (`sortable_by`, none unless the admin
  names them): sorting 200,000 cases by a column no index holds sorts them all on every page;
- the search runs each of `search_fields` (field lookups, e.g. `name__icontains`) as its own
  query, joined by `pk IN (a UNION b ...)`, so each one can use its index (the trigram and
  btree indexes in the apps' migrations); Django's own search ORs them in one WHERE over joins,
  which no index serves. Each word of the search must match one of the lookups.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.contrib import admin as _admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib import admin

    _Base = admin.ModelAdmin
else:
    _Base = object

CAPPED_COUNT = 1_000


class CappedCountPaginator(Paginator):
    """Counts up to `cap` rows (`capped` when there are more), and reads a page in two steps:
    the page's ids in order (OFFSET over the ordering's index alone), then those rows with their
    annotations. One SELECT with OFFSET would compute every annotation (the employee's name,
    the item count) of every row it skips: 0.4 s for page 199 of the cases."""

    cap = CAPPED_COUNT
    capped = False
    object_list: QuerySet

    @cached_property
    def count(self) -> int:
        found = self.object_list.values("pk").order_by()[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        return self._page_of(ids, number)

    def _page_of(self, ids: list, number: int):
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)  # type: ignore[attr-defined]


class SortableOnlyChangeList(ChangeList):
    """Honours `?o=` only for the columns in `sortable_by`, so a typed URL cannot sort by others."""

    def get_ordering_field(self, field_name):
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


class QuickRowsAdmin(_Base):
    """Each row's selection box written directly, the same HTML as Django's: the admin renders
    `forms.CheckboxInput` through the template engine for every row, a third of a changelist's
    row rendering (tests/core/test_admin_rows.py compares the two)."""

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


class LargeListAdmin(QuickRowsAdmin):
    show_full_result_count = False
    paginator = CappedCountPaginator
    # The admin renders a row through its generic machinery (a lookup, a formatter and an escape
    # per cell: about 0.35 ms a row at 200,000 cases); 25 rows keep a page within 50 ms.
    list_per_page = 25

    def get_sortable_by(self, request):
        return self.sortable_by if self.sortable_by is not None else ()

    def get_changelist(self, request, **kwargs):
        return SortableOnlyChangeList

    def search_value(self, lookup: str, word: str) -> Any:
        """Case numbers are stored upper-case: a prefix lookup on them is upper-cased, so the
        column's btree serves it."""
        if lookup.endswith("case_number__startswith"):
            return word.upper()
        return word

    def search_matches(self, word: str) -> QuerySet:
        """The ids of the rows matching one word of the search: a union of one index lookup per
        `search_fields` entry."""
        rows = self.model._default_manager.order_by()
        branches = [
            rows.filter(**{lookup: self.search_value(lookup, word)}).values("pk")
            for lookup in self.search_fields
        ]
        return branches[0].union(*branches[1:])

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        if not search_term or not self.search_fields:
            return queryset, False
        words = [
            unescape_string_literal(word) if word.startswith(('"', "'")) and word[0] == word[-1] else word
            for word in smart_split(search_term)
        ]
        if not words:
            return queryset, False
        # Every word must match (Django's rule): the words' id sets intersected before the table
        # is read, so a name of two common words joins the 21 cases they share, not the
        # 2,761 of the first word (28 -> 12 ms at 200,000 cases).
        matches = [self.search_matches(word) for word in words]
        every_word = matches[0].intersection(*matches[1:]) if matches[1:] else matches[0]
        searched = queryset.filter(pk__in=every_word)
        # The matches read once; the count and the page then read these ids. Past the cap, the
        # search stays a subquery (the page is still in order; the count says "1000+").
        matched = list(searched.order_by().values_list("pk", flat=True)[: CAPPED_COUNT + 1])
        if len(matched) <= CAPPED_COUNT:
            return queryset.filter(pk__in=matched), False
        return searched, False


class LabelledTabularInline(_admin.TabularInline):
    """A tabular inline whose inputs carry their field's name: the table shows each label once,
    in its column header, which is no label of the input for a screen reader (axe-core's
    `label` and `select-name` rules, tests/security/test_every_page.py). The formset's own
    fields (the "Delete?" box) too."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):  # type: ignore[valid-type,misc]
            def add_fields(self, form, index):
                super().add_fields(form, index)
                for name, field in form.fields.items():
                    label = field.label or name.replace("_", " ").capitalize()
                    field.widget.attrs.setdefault("aria-label", str(label))

        LabelledFormSet.__name__ = formset.__name__
        return LabelledFormSet
