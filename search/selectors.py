"""Searching the index: ranked, counted by kind, a page at a time, public items only.

Ranking: items whose title holds the whole query come first, then by the database's relevance
(bm25 on SQLite with the title weighted ten times the text; ts_rank on PostgreSQL with the title
as weight A; up to RANK_LIMIT matches), then newer before older.

Each backend gets the same terms (`search.text.query_terms`) written in its own query language;
the terms are letters and digits only, so nothing a person types becomes an operator.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import CharField, Value
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from editorial.models import EditorialItem
from editorial.registry import content_models

from .models import SearchEntry
from .services import kind_of
from .text import Term, highlight, snippet

# Past this many matches the order is title matches first, then newest first, without the
# relevance score: scoring reads every match (PostgreSQL its whole vector, about 40 µs each;
# SQLite's bm25 8 ms at 10,000), and a word in that many items says little about any of them.
RANK_LIMIT = 500
# bm25 weights of the FTS5 columns title_tokens and body_tokens (kind: 0).
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
    return "{title_tokens body_tokens} : (" + " ".join(parts) + ")"


def _tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        if term.prefix:
            parts.append(f"'{term.tokens[0]}':*")
        else:
            parts.extend(f"'{token}'" for token in term.tokens)
    return " & ".join(parts)


class _SQLite:
    """FTS5: a word's pairs must follow each other (a phrase); kind is a column of the index,
    so counting and filtering never read the wide rows; bm25 ranks, the title weighted ten
    times the text."""

    def counts(self, terms, kinds):
        match = _fts5(terms)
        selects = ", ".join(
            "(SELECT COUNT(*) FROM search_entry_fts WHERE search_entry_fts MATCH %s)" for _ in kinds
        )
        return f"SELECT {selects}", [f'{match} AND kind : "{kind}"' for kind in kinds]

    def counted(self, rows, kinds) -> dict[str, int]:
        return dict(zip(kinds, rows[0], strict=True))

    def page(self, terms, kind, offset, limit, total):
        match = _fts5(terms)
        title = "{title_tokens} : (" + match.split(" : (", 1)[1]
        if kind:
            match += f' AND kind : "{kind}"'
        score, score_params = "0", []
        if total <= RANK_LIMIT:
            score, score_params = "bm25(search_entry_fts, %s, %s, 0.0)", list(SQLITE_WEIGHTS)
        sql = (
            "SELECT e.id, e.kind, e.object_id, e.title, e.text, e.published_at FROM ("
            " SELECT f.rowid AS id, f.rowid IN (SELECT rowid FROM search_entry_fts"
            "  WHERE search_entry_fts MATCH %s) AS title_hit,"
            f"  {score} AS score, o.published_at AS published_at"
            " FROM search_entry_fts f"
            " JOIN search_entry o INDEXED BY search_entry_order ON o.id = f.rowid"
            " WHERE search_entry_fts MATCH %s"
            " ORDER BY title_hit DESC, score, published_at DESC, id DESC LIMIT %s OFFSET %s"
            ") p JOIN search_entry e ON e.id = p.id"
            " ORDER BY p.title_hit DESC, p.score, p.published_at DESC, p.id DESC"
        )
        return sql, [title, *score_params, match, limit, offset]


class _PostgreSQL:
    """A GIN index on the generated `document`; every pair of a word must be in the item (no
    phrase check: that would read every match's vector, bench/README.md)."""

    def counts(self, terms, kinds):
        sql = (
            "SELECT kind, COUNT(*) FROM search_entry "
            "WHERE document @@ to_tsquery('simple', %s) GROUP BY kind"
        )
        return sql, [_tsquery(terms)]

    def counted(self, rows, kinds) -> dict[str, int]:
        return dict(rows)

    def page(self, terms, kind, offset, limit, total):
        query = _tsquery(terms)
        where, params = "document @@ to_tsquery('simple', %s)", [query]
        if kind:
            where += " AND kind = %s"
            params.append(kind)
        rank, rank_params = "", []
        if total <= RANK_LIMIT:
            rank, rank_params = "ts_rank(document, to_tsquery('simple', %s)) DESC, ", [query]
        sql = (
            "SELECT id, kind, object_id, title, text, published_at FROM search_entry "
            f"WHERE {where} "
            "ORDER BY title_document @@ to_tsquery('simple', %s) DESC, "
            f"{rank}published_at DESC NULLS LAST, id DESC LIMIT %s OFFSET %s"
        )
        return sql, [*params, query, *rank_params, limit, offset]


def _backend():
    if connection.vendor == "postgresql":
        return _PostgreSQL()
    if connection.vendor == "sqlite":
        return _SQLite()
    raise NotImplementedError(f"search has no index for {connection.vendor}")


@contextmanager
def _index_scan():
    """On PostgreSQL, read the matches through the GIN index even when most rows match.

    The planner prices `@@` as cheap and picks a sequential scan when a word is in most items,
    which opens every item's vector (200 ms at 10,000 items); the index's bitmap answers
    without opening any (20 ms). In a transaction of its own, as SET LOCAL lasts until the
    outermost one ends; inside a caller's transaction the setting is put back afterwards.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield
        cursor.execute("SET LOCAL enable_seqscan = DEFAULT")


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
        self.kind = kind if kind in kinds() else ""
        self._counts: dict[str, int] | None = None

    @property
    def counts(self) -> dict[str, int]:
        if self._counts is None:
            found = {}
            if self.terms:
                backend, names = _backend(), list(kinds())
                sql, params = backend.counts(self.terms, names)
                with _index_scan(), connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    found = backend.counted(cursor.fetchall(), names)
            # The kinds with most matches first (the filter's order).
            self._counts = dict(
                sorted(
                    ((kind, found[kind]) for kind in kinds() if found.get(kind)),
                    key=lambda pair: -pair[1],
                )
            )
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
        sql, params = _backend().page(self.terms, self.kind, start, stop - start, self.count())
        with _index_scan():
            entries = list(SearchEntry.objects.raw(sql, params))
        return self._hits(entries)

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
