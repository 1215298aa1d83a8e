"""Searching the index: ranked, counted by kind, a page at a time, public items only.

Ranking: items whose title holds the whole query come first, then by the database's relevance
(bm25 on SQLite with the title weighted ten times the text, ts_rank on PostgreSQL with the
title as weight A), then newer before older.

Each backend gets the same terms (`search.text.query_terms`) written in its own query language;
the terms are letters and digits only, so nothing a person types becomes an operator.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import CharField, Value
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from editorial.models import EditorialItem
from editorial.registry import content_models

from .models import SearchEntry
from .services import kind_of
from .text import Term, highlight, snippet

# bm25 weights of the FTS5 columns (title_tokens, body_tokens).
SQLITE_WEIGHTS = (10.0, 1.0)


def kinds() -> dict[str, type[EditorialItem]]:
    """{kind: content model}, in the registry's order."""
    return {kind_of(model): model for model in content_models()}


def kind_label(kind: str) -> str:
    return str(capfirst(kinds()[kind]._meta.verbose_name))


def _fts5(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + "*" if term.prefix else phrase)
    return " ".join(parts)


def _tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        if term.prefix:
            parts.append(f"'{term.tokens[0]}':*")
        else:
            parts.append("(" + " <-> ".join(f"'{token}'" for token in term.tokens) + ")")
    return " & ".join(parts)


class _SQLite:
    def counts(self, terms):
        sql = (
            "SELECT e.kind, COUNT(*) FROM search_entry_fts f JOIN search_entry e ON e.id = f.rowid "
            "WHERE search_entry_fts MATCH %s GROUP BY e.kind"
        )
        return sql, [_fts5(terms)]

    def page(self, terms, kind, offset, limit):
        match = _fts5(terms)
        where, params = "search_entry_fts MATCH %s", [match]
        if kind:
            where += " AND e.kind = %s"
            params.append(kind)
        sql = (
            "SELECT e.id, e.kind, e.object_id, e.title, e.text, e.published_at "
            "FROM search_entry_fts f JOIN search_entry e ON e.id = f.rowid "
            f"WHERE {where} "
            "ORDER BY e.id IN (SELECT rowid FROM search_entry_fts WHERE search_entry_fts "
            "MATCH %s) DESC, bm25(search_entry_fts, %s, %s), e.published_at DESC, e.id DESC "
            "LIMIT %s OFFSET %s"
        )
        title_match = "{title_tokens} : (" + match + ")"
        return sql, [*params, title_match, *SQLITE_WEIGHTS, limit, offset]


class _PostgreSQL:
    def counts(self, terms):
        sql = (
            "SELECT kind, COUNT(*) FROM search_entry "
            "WHERE document @@ to_tsquery('simple', %s) GROUP BY kind"
        )
        return sql, [_tsquery(terms)]

    def page(self, terms, kind, offset, limit):
        where, params = "document @@ q.query", []
        if kind:
            where += " AND kind = %s"
            params.append(kind)
        sql = (
            "SELECT id, kind, object_id, title, text, published_at "
            "FROM search_entry, (SELECT to_tsquery('simple', %s) AS query) q "
            f"WHERE {where} "
            "ORDER BY ts_filter(document, '{a}') @@ q.query DESC, ts_rank(document, q.query) DESC, "
            "published_at DESC NULLS LAST, id DESC "
            "LIMIT %s OFFSET %s"
        )
        return sql, [_tsquery(terms), *params, limit, offset]


def _backend():
    if connection.vendor == "postgresql":
        return _PostgreSQL()
    if connection.vendor == "sqlite":
        return _SQLite()
    raise NotImplementedError(f"search has no index for {connection.vendor}")


@dataclass
class Hit:
    kind: str
    label: str
    title: SafeString
    snippet: SafeString
    published_at: datetime | None
    url: str


class SearchResults:
    """The items matching `terms` (of one kind, when given), for a Paginator: `count()` and
    slicing each cost one query; `counts` gives {kind: matches} for the filter."""

    def __init__(self, terms: list[Term], *, kind: str = ""):
        self.terms = terms
        self.kind = kind
        self._counts: dict[str, int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        if self._counts is None:
            found = {}
            if self.terms:
                sql, params = _backend().counts(self.terms)
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    found = dict(cursor.fetchall())
            self._counts = {kind: found[kind] for kind in kinds() if kind in found}
        return self._counts

    def count(self) -> int:
        if self.kind:
            return self.counts.get(self.kind, 0)
        return sum(self.counts.values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("SearchResults are read a page (a slice) at a time")
        start = index.start or 0
        stop = index.stop if index.stop is not None else self.count()
        if not self.terms or stop <= start:
            return []
        sql, params = _backend().page(self.terms, self.kind, start, stop - start)
        return self._hits(list(SearchEntry.objects.raw(sql, params)))

    def _hits(self, entries: list[SearchEntry]) -> list[Hit]:
        models = kinds()
        # The index holds published items only; asking the content models for the page's
        # public rows again (one query, a UNION over the kinds on the page) keeps anything that
        # left the site off the page even if its entry were still there.
        asks = [
            models[kind]
            .objects.published()
            .filter(pk__in=[entry.object_id for entry in entries if entry.kind == kind])
            .order_by()
            .annotate(search_kind=Value(kind, output_field=CharField()))
            .values_list("search_kind", "pk")
            for kind in sorted({entry.kind for entry in entries} & set(models))
        ]
        public = set(asks[0].union(*asks[1:], all=True)) if asks else set()
        return [
            Hit(
                kind=entry.kind,
                label=kind_label(entry.kind),
                title=highlight(entry.title, self.terms),
                snippet=snippet(entry.text, self.terms),
                published_at=entry.published_at,
                url=reverse(models[entry.kind].public_url_name, args=[entry.object_id]),
            )
            for entry in entries
            if (entry.kind, entry.object_id) in public
        ]
