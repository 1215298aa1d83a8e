"""Articles' own logic: liaison submissions with their photos, all or nothing.

State changes go through `editorial.services`; these wrap them with the photo rows in one
transaction and remove the photo files again when that transaction fails.
"""

import contextlib
from collections.abc import Iterable, Iterator
from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from alumni.models import Branch
from editorial import services

from .models import Article, ArticlePhoto


def submission_create(
    *,
    by,
    branch: Branch,
    title: str,
    body: str,
    event_date: date | None,
    photos: Iterable[ContentFile],
) -> Article:
    """Create a branch's article with its photos and submit it for review, all or nothing.

    Photos must already be validated (editorial.images.process_photo). Raises EditorialError
    (NotAllowedError, InvalidValueError for bad field values, TransitionError); then no row and
    no photo file remains.
    """
    with _files_removed_on_error() as written, transaction.atomic():
        # The photos are saved with the article, so its first revision holds them.
        article = services.item_save(
            item=Article(),
            by=by,
            data={"title": title, "body": body, "event_date": event_date, "branch": branch},
            save_related=lambda saved: _add_photos(article=saved, photos=photos, written=written),
        )
        return services.item_submit(item=article, by=by)


def submission_resubmit(
    *,
    article: Article,
    by,
    branch: Branch,
    title: str,
    body: str,
    event_date: date | None,
    new_photos: Iterable[ContentFile] = (),
    remove_photos: Iterable[ArticlePhoto] = (),
) -> Article:
    """Save a liaison's changes to a sent-back (or draft) article and submit it again.

    Raises EditorialError (TransitionError when the article is no longer editable,
    NotAllowedError, InvalidValueError for bad field values); then nothing changes.
    """
    with _files_removed_on_error() as written, transaction.atomic():
        data = {"title": title, "body": body, "event_date": event_date, "branch": branch}
        removed = list(remove_photos)
        removed_files = [photo.image.name for photo in removed]

        def change_photos(saved: Article) -> None:
            # Inside item_save, so the new revision holds the photos as they now are.
            saved.photos.filter(pk__in=[photo.pk for photo in removed]).delete()
            _add_photos(article=saved, photos=new_photos, written=written)

        article = services.item_save(item=article, by=by, data=data, save_related=change_photos)
        article = services.item_submit(item=article, by=by)
        transaction.on_commit(lambda: _delete_files(removed_files))
    return article


def _add_photos(*, article: Article, photos: Iterable[ContentFile], written: list) -> None:
    last = article.photos.aggregate(last=Max("position"))["last"]
    start = 0 if last is None else last + 1
    for offset, content in enumerate(photos):
        photo = ArticlePhoto(article=article, position=start + offset)
        photo.image.save(content.name, content, save=False)
        written.append(photo.image.name)
        photo.save()


@contextlib.contextmanager
def _files_removed_on_error() -> Iterator[list[str]]:
    """Yield a list to note written file names in; delete those files if the block fails.

    A rolled-back transaction takes the rows back but not files in MEDIA_ROOT.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        _delete_files(written)
        raise


def _delete_files(names: Iterable[str]) -> None:
    storage = ArticlePhoto._meta.get_field("image").storage
    for name in names:
        storage.delete(name)
