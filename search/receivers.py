"""What keeps the index current, connected in SearchConfig.ready.

The editorial signals (item_published, item_withdrawn; an edit that takes a public item off the
site sends item_withdrawn too) say when an item comes and goes. Every save and delete of a
content model is followed as well: a published item corrected outside the workflow (a profile's
name, a fixture, the demo loader) is found by its new words at once, and the index rows change in
the same transaction as the item, so a rollback leaves both as they were.
"""

from django.db.models.signals import post_delete, post_save

from editorial.registry import content_models
from editorial.signals import item_published, item_withdrawn

from .services import search_index_item, search_unindex_item


def item_changed(sender, item, **kwargs) -> None:
    # Signals leave after commit with the item as it was saved; read it again in case it
    # moved on since.
    current = type(item).objects.filter(pk=item.pk).first()
    if current is None:
        search_unindex_item(model=type(item), pk=item.pk)
    else:
        search_index_item(item=current)


def item_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        search_index_item(item=instance)


def item_deleted(sender, instance, **kwargs) -> None:
    search_unindex_item(model=type(instance), pk=instance.pk)


def connect() -> None:
    item_published.connect(item_changed, dispatch_uid="search.item_published")
    item_withdrawn.connect(item_changed, dispatch_uid="search.item_withdrawn")
    # Per content model: a receiver for every sender would make every bulk delete of the
    # project fetch its rows first (Django only fast-deletes models nobody listens to).
    for model in content_models():
        uid = model._meta.label_lower
        post_save.connect(item_saved, sender=model, dispatch_uid=f"search.saved.{uid}")
        post_delete.connect(item_deleted, sender=model, dispatch_uid=f"search.deleted.{uid}")
