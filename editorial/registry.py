"""Which models take part in the editorial workflow, found without importing the content apps."""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from .models import EditorialItem


def content_models() -> list[type[EditorialItem]]:
    """The concrete EditorialItem models (articles, activities, profiles, donation projects)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, EditorialItem) and not model._meta.proxy
    ]


def get_item(content_type_id: int, pk: int) -> EditorialItem:
    """The item of that content type and pk.

    Raises LookupError when the content type is not an editorial model, and the model's
    DoesNotExist when there is no such row.
    """
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or model not in content_models():
        raise LookupError(f"content type {content_type_id} is not an editorial model")
    return model.objects.get(pk=pk)
