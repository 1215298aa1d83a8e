"""Index tokens are folded from Traditional to Simplified characters (search/text.py).

Folding is one character for one character, so the stored tokens of an entry folded give
exactly what `index_tokens` now makes of its item: the entries are brought over without
reading the items. The full-text index follows by itself (triggers on SQLite, generated
columns on PostgreSQL).
"""

from django.db import migrations

from search.text import fold_traditional

BATCH = 500


def fold_tokens(apps, schema_editor):
    SearchEntry = apps.get_model("search", "SearchEntry")
    changed = []
    for entry in SearchEntry.objects.only("title_tokens", "body_tokens").iterator(BATCH):
        title, body = fold_traditional(entry.title_tokens), fold_traditional(entry.body_tokens)
        if (title, body) != (entry.title_tokens, entry.body_tokens):
            entry.title_tokens, entry.body_tokens = title, body
            changed.append(entry)
        if len(changed) >= BATCH:
            SearchEntry.objects.bulk_update(changed, ["title_tokens", "body_tokens"])
            changed = []
    SearchEntry.objects.bulk_update(changed, ["title_tokens", "body_tokens"])


class Migration(migrations.Migration):
    dependencies = [("search", "0002_index_kind")]

    operations = [migrations.RunPython(fold_tokens, migrations.RunPython.noop)]
