"""The public search: /search/?q=… over published news, activities, profiles and projects.

Design (README, "Search"; figures in bench/README.md):

- One index table, `search_entry`, holds exactly the published items (services.py), kept by
  the editorial signals (item_published, item_withdrawn, which an edit that takes an item off
  the site sends too) and by every save and delete of a content model (receivers.py), in the
  same transaction as the item. Content models declare what is searchable
  (`search_title_fields`, `search_text_fields` on EditorialItem); this app reaches them through
  editorial.registry and never imports a content app (tests/test_architecture.py).
- Chinese is cut into overlapping character pairs, the approach of Lucene's CJKBigramFilter and
  Elasticsearch's `cjk` analyzer (text.py): no dictionary to maintain (jieba, the usual
  segmenter, is unmaintained), no extension, no new dependency. pg_trgm was not chosen because
  a trigram needs three characters and most Chinese words have two.
- The full-text index is the database's own (migrations): SQLite's built-in FTS5 (bm25),
  PostgreSQL's tsvector with a GIN index (ts_rank). selectors.py writes the same terms in each
  query language; the terms hold letters and digits only, so nothing typed becomes an operator.
- Only published items are ever shown: the index holds no others, and the results page asks
  the content tables for its items' public rows once more.
- Search pages are not kept in the public page cache (views.py); the query length is capped.
"""
