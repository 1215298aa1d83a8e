"""Items → WeChat articles: images and covers uploaded once, remembered by content hash."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from core.attribution import with_source
from editorial.publishing import (
    Publication,
    item_publication,
    item_publishable,
    media_name,
    media_open,
)

from .. import content
from ..gateway import ArticleFields, WeChatGateway
from ..models import CoverMaterial, PushItem, UploadedImage


@dataclass
class _Source:
    """One image file to upload, known by the hash of its bytes."""

    sha256: str
    data: bytes


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_image(src: str) -> _Source:
    name = media_name(src)
    if name is None:
        raise content.ContentError(content.image_problem(src))
    try:
        data = media_open(name)
    except OSError as exc:
        raise content.ContentError(content.image_problem(src)) from exc
    return _Source(_sha(data), data)


@dataclass
class _Rendered:
    publication: Publication
    sources: dict[str, str]  # img src -> sha256
    cover: str  # sha256 of the cover's (or first image's) bytes
    source_url: str  # the "阅读原文" link: the item's page, with ?src=push:<id> if attributed


def render(
    items: list[PushItem], gateway: WeChatGateway, *, heartbeat=None, progress=None
) -> tuple[list[ArticleFields], int, int]:
    """The items as WeChat articles, uploading the images and covers WeChat does not have yet.

    Each upload is recorded as soon as WeChat answers (so a run that dies keeps them), and
    `progress`, if given, is called with (uploaded, needed) images of each item, in order, before
    the uploads and after each batch of them. Returns (articles, uploaded, reused). Raises
    ContentError, or the gateway's errors.
    """
    app_id = gateway.app_id
    rendered: list[_Rendered] = []
    images: dict[str, bytes] = {}
    covers: dict[str, bytes] = {}
    for push_item in items:
        item = push_item.item
        if item is None or not item_publishable(item):
            raise content.ContentError(
                gettext("“%(title)s” is no longer approved for publication.")
                % {"title": push_item.title}
            )
        publication = item_publication(item)
        sources = {}
        for src in content.image_sources(publication.content_html):
            source = _read_image(src)
            images[source.sha256] = source.data
            sources[src] = source.sha256
        try:
            cover_bytes = publication.open_cover()
        except OSError as exc:
            raise content.ContentError(
                gettext("The cover image of “%(title)s” is missing.") % {"title": item.title}
            ) from exc
        if cover_bytes is None:
            if not sources:
                raise content.ContentError(
                    gettext("“%(title)s” needs a cover image for WeChat.") % {"title": item.title}
                )
            cover_bytes = images[next(iter(sources.values()))]
        cover_sha = _sha(cover_bytes)
        covers[cover_sha] = cover_bytes
        source_url = publication.url
        if publication.attributed:
            # A donation project's page passes this on to its give link and the order records
            # it: the dashboard then counts the gift under this push.
            source_url = with_source(source_url, f"push:{push_item.push_id}")
        rendered.append(_Rendered(publication, sources, cover_sha, source_url))

    urls = dict(
        UploadedImage.objects.filter(app_id=app_id, sha256__in=images).values_list("sha256", "url")
    )
    media_ids = dict(
        CoverMaterial.objects.filter(app_id=app_id, sha256__in=covers).values_list(
            "sha256", "media_id"
        )
    )
    jobs = {}
    for sha, data in images.items():
        if sha not in urls:
            jobs[("image", sha)] = lambda data=data: gateway.upload_content_image(
                *content.upload_ready_image(data)
            )
    for sha, data in covers.items():
        if sha not in media_ids:
            jobs[("cover", sha)] = lambda data=data: gateway.add_image_material(
                content.cover_jpeg(data), "cover.jpg"
            )

    def report():
        if progress is not None:
            progress([_uploaded_of(entry, urls, media_ids) for entry in rendered])

    report()
    for finished in content.concurrently(jobs, workers=settings.WECHAT_UPLOAD_CONCURRENCY):
        with transaction.atomic():
            _remember(app_id, finished, sizes={sha: len(data) for sha, data in images.items()})
            if heartbeat is not None:
                heartbeat()
        for (kind, sha), answer in finished:
            if kind == "image":
                urls[sha] = answer
            else:
                media_ids[sha] = answer.media_id
        report()

    articles = []
    for entry in rendered:
        pub = entry.publication
        html = content.rewrite_html(
            pub.content_html, image_urls={src: urls[sha] for src, sha in entry.sources.items()}
        )
        articles.append(
            ArticleFields(
                title=pub.title,
                author=pub.author,
                digest=pub.digest,
                content=html,
                content_source_url=entry.source_url,
                thumb_media_id=media_ids[entry.cover],
            )
        )
    return articles, len(jobs), len(images) + len(covers) - len(jobs)


def _uploaded_of(entry: _Rendered, urls: dict, media_ids: dict) -> tuple[int, int]:
    """(uploaded, needed) files of one item: its distinct images and its cover."""
    images = set(entry.sources.values())
    done = sum(1 for sha in images if sha in urls) + (1 if entry.cover in media_ids else 0)
    return done, len(images) + 1


def _remember(app_id: str, finished: list, *, sizes: dict[str, int]) -> None:
    """Record uploads WeChat answered. Another run may have recorded the same image meanwhile:
    both URLs work, the first one recorded stays."""
    UploadedImage.objects.bulk_create(
        [
            UploadedImage(app_id=app_id, sha256=sha, url=answer, size=sizes.get(sha, 0))
            for (kind, sha), answer in finished
            if kind == "image"
        ],
        ignore_conflicts=True,
    )
    CoverMaterial.objects.bulk_create(
        [
            CoverMaterial(app_id=app_id, sha256=sha, media_id=answer.media_id, url=answer.url)
            for (kind, sha), answer in finished
            if kind == "cover"
        ],
        ignore_conflicts=True,
    )


def articles_of(items: list[PushItem]) -> list[ArticleFields]:
    return [
        ArticleFields(
            title=i.title,
            author=i.author,
            digest=i.digest,
            content=i.content,
            content_source_url=i.source_url,
            thumb_media_id=i.thumb_media_id,
        )
        for i in items
    ]
