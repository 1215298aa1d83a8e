"""The index also knows each entry's kind, so counting and filtering by kind never reads the
entries themselves (search/selectors.py; figures in bench/README.md).

SQLite: the FTS5 table gains the `kind` column (rebuilt from search_entry), an index of every
token's first character (a one-character query is a prefix query: 26 ms → 1 ms to count 10,000
matches), and a covering index (id, published_at) serves the tie-break by date without reading
the wide rows.
PostgreSQL: a small generated tsvector of the title alone, read to put title matches first
without opening the whole document, and rows kept narrow (the wide columns in TOAST), so reading
10,000 matches touches 500 pages instead of 1,800 (count and page: 50 → 10 and 48 → 22 ms).
"""

from django.db import migrations

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TABLE IF EXISTS search_entry_fts",
    "CREATE VIRTUAL TABLE search_entry_fts USING fts5("
    "title_tokens, body_tokens, kind, content='search_entry', content_rowid='id', "
    "prefix='1', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_entry_fts(rowid, title_tokens, body_tokens, kind) "
    "VALUES (new.id, new.title_tokens, new.body_tokens, new.kind); END",
    "CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_entry_fts(search_entry_fts, rowid, title_tokens, body_tokens, kind) "
    "VALUES ('delete', old.id, old.title_tokens, old.body_tokens, old.kind); END",
    "CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_entry_fts(search_entry_fts, rowid, title_tokens, body_tokens, kind) "
    "VALUES ('delete', old.id, old.title_tokens, old.body_tokens, old.kind); "
    "INSERT INTO search_entry_fts(rowid, title_tokens, body_tokens, kind) "
    "VALUES (new.id, new.title_tokens, new.body_tokens, new.kind); END",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
    "CREATE INDEX search_entry_order ON search_entry (id, published_at)",
]
SQLITE_BACKWARD = [
    "DROP INDEX IF EXISTS search_entry_order",
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TABLE IF EXISTS search_entry_fts",
    "CREATE VIRTUAL TABLE search_entry_fts USING fts5("
    "title_tokens, body_tokens, content='search_entry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN "
    "INSERT INTO search_entry_fts(rowid, title_tokens, body_tokens) "
    "VALUES (new.id, new.title_tokens, new.body_tokens); END",
    "CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN "
    "INSERT INTO search_entry_fts(search_entry_fts, rowid, title_tokens, body_tokens) "
    "VALUES ('delete', old.id, old.title_tokens, old.body_tokens); END",
    "CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_entry BEGIN "
    "INSERT INTO search_entry_fts(search_entry_fts, rowid, title_tokens, body_tokens) "
    "VALUES ('delete', old.id, old.title_tokens, old.body_tokens); "
    "INSERT INTO search_entry_fts(rowid, title_tokens, body_tokens) "
    "VALUES (new.id, new.title_tokens, new.body_tokens); END",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
]
POSTGRESQL_FORWARD = [
    "ALTER TABLE search_entry ADD COLUMN title_document tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple'::regconfig, title_tokens)) STORED",
    # Narrow rows: the text, the tokens and the document go to TOAST as soon as a row passes
    # 128 bytes; the title's columns stay in the row, which the ordering reads for every match.
    "ALTER TABLE search_entry SET (toast_tuple_target = 128)",
    "ALTER TABLE search_entry ALTER COLUMN title_tokens SET STORAGE MAIN",
    "ALTER TABLE search_entry ALTER COLUMN title_document SET STORAGE MAIN",
]
POSTGRESQL_BACKWARD = [
    "ALTER TABLE search_entry RESET (toast_tuple_target)",
    "ALTER TABLE search_entry ALTER COLUMN title_tokens SET STORAGE EXTENDED",
    "ALTER TABLE search_entry DROP COLUMN IF EXISTS title_document",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
