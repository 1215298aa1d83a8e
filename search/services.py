"""Keeping the search index current: an item is in it exactly while it is published."""

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Count

from editorial.html import html_to_text
from editorial.models import EditorialItem, State
from editorial.registry import content_models

from .models import SearchEntry
from .text import index_tokens

REINDEX_BATCH = 500


def kind_of(model: type[EditorialItem]) -> str:
    """The key of a content model in the index and in `?kind=` (its model name)."""
    return model._meta.model_name


def _field_text(item: EditorialItem, name: str) -> str:
    value = getattr(item, name, "") or ""
    if name in item.rich_text_fields:
        return html_to_text(value)
    return str(value)


def _texts(item: EditorialItem, names) -> list[str]:
    texts = []
    for name in names:
        text = _field_text(item, name).strip()
        if text and text not in texts:
            texts.append(text)
    return texts


def _snippet_fields(item: EditorialItem) -> set[str]:
    return {"digest", *item.rich_text_fields}


def _entry_fields(item: EditorialItem) -> dict:
    titles = _texts(item, item.search_title_fields)
    texts = _texts(item, item.search_text_fields)
    # The snippet shows the item's own text (digest, rich text); the other fields (an author,
    # a place) are found but would read as stray words at the end of it.
    shown = _texts(item, [n for n in item.search_text_fields if n in _snippet_fields(item)])
    return {
        "kind": kind_of(type(item)),
        "title": item.title,
        "text": "\n".join(shown),
        "title_tokens": index_tokens(" ".join(titles)),
        "body_tokens": index_tokens("\n".join(texts)),
        "published_at": item.published_at,
    }


def search_index_item(*, item: EditorialItem) -> SearchEntry | None:
    """Put the item in the index as it is now when it is published, take it out otherwise.
    Returns its entry, or None when it is not (or no longer) public."""
    content_type = ContentType.objects.get_for_model(item)
    if item.pk is None or item.state != State.PUBLISHED:
        SearchEntry.objects.filter(content_type=content_type, object_id=item.pk).delete()
        return None
    entry, _created = SearchEntry.objects.update_or_create(
        content_type=content_type, object_id=item.pk, defaults=_entry_fields(item)
    )
    return entry


def search_unindex_item(*, model: type[EditorialItem], pk: int) -> None:
    """Take the item out of the index (it was deleted)."""
    SearchEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=pk
    ).delete()


def search_reindex() -> int:
    """Rebuild the whole index from the published items; returns how many it holds.

    One transaction: searches meanwhile see the old index, never half a new one.
    """
    count = 0
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        for model in content_models():
            content_type = ContentType.objects.get_for_model(model)
            batch = []
            for item in model.objects.filter(state=State.PUBLISHED).iterator(REINDEX_BATCH):
                batch.append(
                    SearchEntry(content_type=content_type, object_id=item.pk, **_entry_fields(item))
                )
                if len(batch) >= REINDEX_BATCH:
                    count += len(SearchEntry.objects.bulk_create(batch))
                    batch = []
            count += len(SearchEntry.objects.bulk_create(batch))
    return count


def search_index_is_current() -> bool:
    """Whether the index holds as many entries of each kind as there are published items (a
    cheap check: one count per content model and one for the index)."""
    held = dict(SearchEntry.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    return all(
        held.get(kind_of(model), 0) == model.objects.filter(state=State.PUBLISHED).count()
        for model in content_models()
    ) and set(held) <= {kind_of(model) for model in content_models()}


def search_reindex_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate: rebuild the index when it does not match the published items (the first
    migrate of a database that has content, items written while the index was missing).
    Nothing when a migration to an earlier state left the index or a content table out."""
    if using != DEFAULT_DB_ALIAS:
        return
    tables = set(connections[using].introspection.table_names())
    needed = [SearchEntry, *content_models()]
    if any(model._meta.db_table not in tables for model in needed):
        return
    if not search_index_is_current():
        search_reindex()
