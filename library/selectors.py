"""Reads of the decision library: the public search and the reviewer's precedents.

Both read only `PublishedItem` (redacted when written), so neither can show a party, a
reviewer or a case that is not issued. On PostgreSQL the search ranks rationales by full-text
relevance (a GIN index over `search_text`, migration 0001) with highlighted excerpts, and the
precedents are the nearest treatments by trigram distance (a GiST trigram index); the SQLite
default falls back to `icontains` and to word overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, cast

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cases.models import DisputedItem
from determinations.models import Decision
from library.models import PublishedItem

SEARCH_CONFIG = "english"
PUBLIC_PAGE_SIZE = 25
# Plain paging stays cheap only near the front; deeper than this, narrow the filters.
PUBLIC_MAX_PAGE = 200
# A full-text search ranks only the newest this many matching items (PostgreSQL): ranking every
# match of a broad query (a third of the library) is what would make it slow.
TEXT_CANDIDATES = 2000
SPECIALTIES_CACHE_KEY = "library:published-specialties"
SPECIALTIES_CACHE_SECONDS = 600
EXCERPT_CHARS = 300
PRECEDENTS_SHOWN = 5
# The overturn rate is taken over this many nearest past items of the same category.
PRECEDENT_POOL = 50
# SQLite fallback: the most recent items of the category scored by word overlap.
FALLBACK_POOL = 500
# ts_headline marks hits with these (not HTML: the text around them is not escaped by
# PostgreSQL); `excerpt_html` escapes the excerpt and only then turns them into <mark>.
MARK_START = "\u27e6"
MARK_STOP = "\u27e7"
HEADLINE_MAX_WORDS = 40
HEADLINE_MIN_WORDS = 15
HEADLINE_FRAGMENTS = 2


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class PublicFilters:
    """The public search's filters, already validated (library.forms.DecisionSearchForm)."""

    q: str = ""
    case_number: str = ""
    injury_from: date | None = None
    injury_to: date | None = None
    received_from: date | None = None
    received_to: date | None = None
    decided_from: date | None = None
    decided_to: date | None = None
    specialty: str = ""
    category: str = ""
    treatment: str = ""
    decision: str = ""


class CappedPaginator(Paginator):
    """Counts at most PUBLIC_MAX_PAGE pages of rows (`COUNT(*)` over a `LIMIT`): past them the
    pages cannot be opened, and a full count of a broad search is what would make it slow.

    Built by `public_search` on PostgreSQL it also gets `keys`, the same rows reduced to their
    ids in page order: counting and finding a page's ids then read only the covering date index
    (migration 0002, an index-only scan), and the wide rows are read for the page's ids alone.
    A full-text search has `cap` (TEXT_CANDIDATES) and `walk`, see `public_search`."""

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        *,
        keys: QuerySet[PublishedItem] | None = None,
        cap: int | None = None,
        walk: QuerySet[PublishedItem] | None = None,
        ranked: Any = None,
    ) -> None:
        super().__init__(object_list, per_page)
        self.keys = keys
        self.cap = cap if cap is not None else PUBLIC_MAX_PAGE * per_page
        self.walk = walk
        self.ranked = ranked

    @cached_property
    def found(self) -> int:
        rows = cast(QuerySet[PublishedItem], self.keys if self.keys is not None else self.object_list)
        if self.ranked is not None:
            rows = rows.order_by()  # any matches: the full-text index stops at the cap
        return rows[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def capped(self) -> bool:
        return self.found > self.cap

    @property
    def ranked_newest(self) -> bool:
        """A broad text query: only the newest `cap` matches were ranked (the page says so)."""
        return self.ranked is not None and self.capped

    def page(self, number: Any) -> Any:
        if self.keys is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if self.ranked is not None:
            # Broad (the candidate set is full): walk the date index newest first; else the
            # full-text index finds the few matches. The same rows either way.
            candidates = self.walk if self.capped and self.walk is not None else self.keys
            rows = self.ranked(candidates, bottom, top)
        else:
            page_ids = self.keys.values("id")[bottom:top]
            rows = cast(QuerySet[PublishedItem], self.object_list).filter(id__in=page_ids)
        return Page(list(rows), number, self)


def _newest_first(items: QuerySet[PublishedItem], *, selective: bool) -> QuerySet[PublishedItem]:
    """Newest decision first. With a selective filter that the decision date does not follow
    (a case number, a received-date range), `NULLS LAST` (the column has no nulls, so the order is the same)
    keeps PostgreSQL from walking the decision-date index hoping to meet the few matching rows,
    and it sorts the matches found through their own index instead."""
    if selective:
        return items.order_by(F("decided_on").desc(nulls_last=True), "-id")
    return items.order_by("-decided_on", "-id")


def published_specialties() -> list[str]:
    """Every reviewer specialty in the library (a few hundred at most), cached for
    SPECIALTIES_CACHE_SECONDS (reading them is a scan of the library); publishing adds its own
    (`note_published_specialties`), so a new specialty is found at once."""
    values = cache.get(SPECIALTIES_CACHE_KEY)
    if values is None:
        values = list(PublishedItem.objects.order_by().values_list("specialty", flat=True).distinct())
        cache.set(SPECIALTIES_CACHE_KEY, values, SPECIALTIES_CACHE_SECONDS)
    return cast(list[str], values)


def note_published_specialties(specialties: set[str]) -> None:
    """Add newly published specialties to the cached list (if any is cached)."""
    values = cache.get(SPECIALTIES_CACHE_KEY)
    if values is not None and not specialties <= set(values):
        cache.set(SPECIALTIES_CACHE_KEY, sorted(set(values) | specialties), SPECIALTIES_CACHE_SECONDS)


def _filtered(filters: PublicFilters) -> tuple[QuerySet[PublishedItem], bool]:
    """The rows matching every filter but the text query, and whether a filter is selective
    in a way the decision date does not follow (see `_newest_first`)."""
    items = PublishedItem.objects.all()
    selective = False
    if filters.case_number:
        items = items.filter(case_number__startswith=filters.case_number.upper())
        selective = True
    for field_name, lookup, value in (
        ("injury_date", "gte", filters.injury_from),
        ("injury_date", "lte", filters.injury_to),
        ("received_on", "gte", filters.received_from),
        ("received_on", "lte", filters.received_to),
        ("decided_on", "gte", filters.decided_from),
        ("decided_on", "lte", filters.decided_to),
    ):
        if value is not None:
            items = items.filter(**{f"{field_name}__{lookup}": value})
            # Received dates run with decision dates: walking the decision index to meet a
            # received range reads everything newer first (bench/library.py).
            selective = selective or field_name == "received_on"
    if filters.specialty:
        if uses_postgres():
            # The word becomes the specialties that contain it: an exact match, checked on the
            # covering date index's entries (far cheaper than a pattern on every row).
            word = filters.specialty.casefold()
            matching = [value for value in published_specialties() if word in value.casefold()]
            items = items.filter(specialty__in=matching)
        else:
            items = items.filter(specialty__icontains=filters.specialty)
    if filters.category:
        items = items.filter(category=filters.category)
    if filters.treatment:
        items = items.filter(treatment__icontains=filters.treatment)
    if filters.decision:
        items = items.filter(decision=filters.decision)
    return items, selective


def _headline(query: Any) -> Any:
    from django.contrib.postgres.search import SearchHeadline

    return SearchHeadline(
        "rationale",
        query,
        config=SEARCH_CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=HEADLINE_MAX_WORDS,
        min_words=HEADLINE_MIN_WORDS,
        max_fragments=HEADLINE_FRAGMENTS,
    )


def _document() -> RawSQL:
    from django.contrib.postgres.search import SearchVectorField

    # The stored generated column of migration 0001 (not a model field: SQLite has none).
    return RawSQL('"library_publisheditem"."search_vector"', [], output_field=SearchVectorField())


def public_decisions(*, filters: PublicFilters) -> QuerySet[PublishedItem]:
    """Published items matching `filters`, best match first when there is a text query
    (else newest decision first). Each row carries `excerpt`: plain text, with the hits
    between MARK_START and MARK_STOP on PostgreSQL (see `excerpt_html`). Ranks every match:
    the public page uses `public_search`, which ranks only the newest TEXT_CANDIDATES."""
    items, selective = _filtered(filters)
    items = items.defer("search_text", "rationale", "published_at")
    if not filters.q:
        items = items.annotate(excerpt=Substr("rationale", 1, EXCERPT_CHARS))
        return _newest_first(items, selective=selective)
    if uses_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(filters.q, config=SEARCH_CONFIG, search_type="websearch")
        document = _document()
        return (
            items.annotate(document=document)
            .filter(document=query)
            .annotate(rank=SearchRank(document, query), excerpt=_headline(query))
            .order_by("-rank", "-decided_on", "-id")
        )
    items = items.filter(search_text__icontains=filters.q).annotate(
        excerpt=Substr("rationale", 1, EXCERPT_CHARS)
    )
    return _newest_first(items, selective=True)


def public_search(*, filters: PublicFilters) -> CappedPaginator:
    """The public search's pages: `public_decisions` in a `CappedPaginator`, and on PostgreSQL
    shaped for 200,000 cases (two queries a page: the capped count, then the page).

    Without a text query the count and the page's ids come from the covering date index, then
    the page's rows by id. With one, only the newest TEXT_CANDIDATES matches (by decision date)
    are ranked, and the page says so: the count (of at most that many, any order) reads the
    full-text index; when it is full the query is broad, and the candidates are found by walking
    the date index newest first and testing each row (`ts_match_vq`, which the full-text index
    cannot serve, so the planner does not build a bitmap of a third of the library); otherwise the
    full-text index finds the few matches."""
    if not uses_postgres():
        return CappedPaginator(public_decisions(filters=filters), PUBLIC_PAGE_SIZE)
    items, selective = _filtered(filters)
    wide = ("search_text", "rationale", "published_at")
    if not filters.q:
        rows = items.defer(*wide).annotate(excerpt=Substr("rationale", 1, EXCERPT_CHARS))
        return CappedPaginator(
            _newest_first(rows, selective=selective),
            PUBLIC_PAGE_SIZE,
            keys=_newest_first(items, selective=selective),
        )
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = SearchQuery(filters.q, config=SEARCH_CONFIG, search_type="websearch")
    document = _document()
    matched = items.annotate(document=document).filter(document=query)
    walk = items.filter(
        RawSQL(
            'ts_match_vq("library_publisheditem"."search_vector", websearch_to_tsquery(%s::regconfig, %s))',
            [SEARCH_CONFIG, filters.q],
            output_field=BooleanField(),
        )
    ).order_by("-decided_on", "-id")

    cap = TEXT_CANDIDATES
    rank = SearchRank(document, query)

    def ranked(candidates: QuerySet[Any], bottom: int = 0, top: int | None = None) -> QuerySet[PublishedItem]:
        """The rows bottom..top of the first `cap` candidates (newest first) by rank: ranked in
        the one pass that finds them, so that only a page's rows are then read by id.
        Compiled on its own, so that its table keeps its name (the RawSQL column references
        above name it) rather than a subquery alias."""
        inner = candidates.annotate(rank=rank).values("id", "decided_on", "rank")[:cap]
        sql, params = inner.query.sql_with_params()
        page_sql = f"SELECT c.id FROM ({sql}) c ORDER BY c.rank DESC, c.decided_on DESC, c.id DESC"  # noqa: S608 (Django-compiled SQL)
        if top is not None:
            page_sql += " LIMIT %s OFFSET %s"
            params = (*params, top - bottom, bottom)
        return (
            PublishedItem.objects.defer(*wide)
            .filter(id__in=RawSQL(page_sql, params))  # noqa: S611 (Django-compiled SQL, bound params)
            .annotate(document=document)
            .annotate(rank=rank, excerpt=_headline(query))
            .order_by("-rank", "-decided_on", "-id")
        )

    keys = matched.order_by("-decided_on", "-id")
    return CappedPaginator(ranked(keys), PUBLIC_PAGE_SIZE, keys=keys, cap=cap, walk=walk, ranked=ranked)


def excerpt_html(text: str) -> SafeString:
    """An excerpt for a page: escaped, then the search hits wrapped in <mark>."""
    escaped = str(escape(text))
    return mark_safe(  # noqa: S308 (escaped above; only our own markers become tags)
        escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    )


def published_letter_for(*, case_number: str) -> int | None:
    """The determination id whose redacted letter the public may download for `case_number`."""
    return (
        PublishedItem.objects.filter(case_number=case_number.upper())
        .values_list("determination_id", flat=True)
        .first()
    )


# ---- precedents ----


@dataclass(frozen=True)
class Precedent:
    case_number: str
    decision: str
    decided_on: date
    treatment: str
    guideline: str
    excerpt: str

    @property
    def decision_label(self) -> str:
        return Decision(self.decision).label


@dataclass
class PrecedentPanel:
    item: DisputedItem
    precedents: list[Precedent] = field(default_factory=list)
    pool_size: int = 0
    pool_overturned: int = 0

    @property
    def overturn_rate(self) -> int | None:
        """Percent overturned among the nearest past items; None without any."""
        if not self.pool_size:
            return None
        return round(100 * self.pool_overturned / self.pool_size)


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.lower()) if len(word) > 2}


def _precedent(row: dict[str, Any]) -> Precedent:
    return Precedent(
        case_number=row["case_number"],
        decision=row["decision"],
        decided_on=row["decided_on"],
        treatment=row["treatment"],
        guideline=row["guideline"],
        excerpt=row["excerpt"],
    )


PRECEDENT_FIELDS = ("case_number", "decision", "decided_on", "treatment", "guideline", "excerpt")


def precedents_for_item(*, item: DisputedItem) -> PrecedentPanel:
    """The past decided items nearest to `item` (same category, other cases): one query."""
    candidates = (
        PublishedItem.objects.filter(category=item.category)
        .exclude(case_id=item.case_id)
        .annotate(excerpt=Substr("rationale", 1, EXCERPT_CHARS))
    )
    text = " ".join(item.description.split())
    if uses_postgres():
        from django.contrib.postgres.search import TrigramDistance

        # Ordered by distance alone, so the (category, treatment) GiST index yields the nearest
        # rows directly; ties are broken here, newest decision first.
        rows = list(
            candidates.annotate(distance=TrigramDistance("treatment", text))
            .order_by("distance")
            .values(*PRECEDENT_FIELDS, "distance")[:PRECEDENT_POOL]
        )
        rows.sort(key=lambda row: (row["distance"], -row["decided_on"].toordinal()))
    else:
        wanted = _words(text)
        pool = list(candidates.order_by("-decided_on", "-id").values(*PRECEDENT_FIELDS)[:FALLBACK_POOL])
        pool.sort(key=lambda row: len(wanted & _words(row["treatment"])), reverse=True)
        rows = [row for row in pool if wanted & _words(row["treatment"])][:PRECEDENT_POOL]
    return PrecedentPanel(
        item=item,
        precedents=[_precedent(row) for row in rows[:PRECEDENTS_SHOWN]],
        pool_size=len(rows),
        pool_overturned=sum(1 for row in rows if row["decision"] == Decision.OVERTURNED),
    )


def precedent_panels(*, items: list[DisputedItem]) -> list[PrecedentPanel]:
    """One panel per disputed item: one query per item, whatever the library's size."""
    return [precedents_for_item(item=item) for item in items]
