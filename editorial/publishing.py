"""What an approved item looks like outside the site: the editorial layer's interface for WeChat.

A publishing channel (the wechat app) reads items only through this module, so it never imports
the content apps, and editorial never imports the channel:

- `item_publication(item)` gives a frozen `Publication` (title, author, digest, content HTML,
  cover, absolute public URL, a stable key such as "articles.article:12" and a version);
- `item_give_url(item, source=…)`: where a reader gives to the item (a donation project), with
  the push or QR channel that led there;
- `item_publishable`, `pushable_items`, `item_key` and `item_by_key` find and name items;
- `media_name` / `media_open` read the local files that `<img src="/media/…">` points at;
- `register_preflight` / `item_preflight`: a channel registers its checker (in its
  AppConfig.ready()); editorial calls `item_preflight(item)` on submit and approval to show what
  would fail at the channel before anything is sent.
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.urls import reverse

from core.attribution import with_source

from .models import EditorialItem, State
from .registry import content_models

# An item may leave the site once a reviewer approved it: approval moves it on at once to
# published or scheduled (editorial.workflow; no item rests in APPROVED), and a withdrawn item
# stays home.
PUBLISHABLE_STATES = (State.SCHEDULED, State.PUBLISHED)


@dataclass(frozen=True)
class Publication:
    """One item's fields as a channel publishes them. Plain values only; `open_cover()` reads
    the cover's bytes from the default storage."""

    key: str
    version: str
    title: str
    author: str
    digest: str
    content_html: str
    cover_name: str
    url: str
    # Whether the item's links carry the push or QR channel that led to it (?src=).
    attributed: bool = False

    def open_cover(self) -> bytes | None:
        """The cover's bytes, or None without a cover. Raises OSError when the file is gone."""
        return media_open(self.cover_name) if self.cover_name else None


def item_key(item: EditorialItem) -> str:
    """The stable name of an item across apps, e.g. "articles.article:12"."""
    return f"{item._meta.label_lower}:{item.pk}"


def item_by_key(key: str) -> EditorialItem:
    """The item a key names. Raises LookupError for a malformed key, a model that is not an
    editorial content model, or a row that does not exist."""
    label, _, pk = (key or "").partition(":")
    app_label, _, model_name = label.partition(".")
    if not (app_label and model_name and pk.isdigit()):
        raise LookupError(f"malformed item key {key!r}")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError) as exc:
        raise LookupError(f"no model for item key {key!r}") from exc
    if model not in content_models():
        raise LookupError(f"{label} is not an editorial content model")
    try:
        return model.objects.get(pk=int(pk))
    except ObjectDoesNotExist as exc:
        raise LookupError(f"no item {key!r}") from exc


def item_publishable(item: EditorialItem) -> bool:
    """Whether the item has been approved and not withdrawn (scheduled or published)."""
    return item.state in PUBLISHABLE_STATES


def pushable_items(*, limit: int = 200) -> list[EditorialItem]:
    """Publishable items of every content model, the most recently changed first (one query per
    content model; at most `limit` in all)."""
    items: list[EditorialItem] = []
    for model in content_models():
        items += model.objects.filter(state__in=PUBLISHABLE_STATES).order_by("-updated_at")[:limit]
    items.sort(key=lambda item: (item.updated_at, item._meta.label, item.pk), reverse=True)
    return items[:limit]


def _absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + "/" + url.lstrip("/")


def item_publication(item: EditorialItem) -> Publication:
    """The item's fields for a channel: the digest falls back to the body's first words, the URL
    is absolute (settings.SITE_URL), `version` changes whenever any published field does."""
    title = item.title
    author = str(getattr(item, "author", "") or "")
    digest = item.summary
    content = item.body or ""
    cover = item.cover.name if item.cover else ""
    url = _absolute(item.get_absolute_url())
    fingerprint = "\x1f".join([title, author, digest, content, cover, url])
    return Publication(
        key=item_key(item),
        version=hashlib.sha256(fingerprint.encode()).hexdigest()[:12],
        title=title,
        author=author,
        digest=digest,
        content_html=content,
        cover_name=cover,
        url=url,
        attributed=bool(item.give_url_name),
    )


def item_give_url(item: EditorialItem, *, source: str = "") -> str:
    """The absolute URL where a reader gives to the item, carrying `source` (core.attribution:
    "qr:<scene>"…) when valid; "" for an item one does not give to."""
    if not item.give_url_name:
        return ""
    return with_source(_absolute(reverse(item.give_url_name, args=[item.pk])), source)


def media_name(src: str) -> str | None:
    """The storage name of a local media file an `<img src>` points at, or None.

    Accepts a path under MEDIA_URL ("/media/uploads/a.jpg") or the same on SITE_URL; anything
    on another host, or escaping the media folder, is not local.
    """
    if not src:
        return None
    media_url = settings.MEDIA_URL
    parts = urlsplit(src)
    if media_url.startswith(("http://", "https://")):
        if not src.startswith(media_url):
            return None
        path = src[len(media_url) :]
    else:
        if parts.netloc and parts.netloc != urlsplit(settings.SITE_URL).netloc:
            return None
        if not parts.path.startswith(media_url):
            return None
        path = parts.path[len(media_url) :]
    name = unquote(path).lstrip("/")
    if not name or ".." in name.split("/"):
        return None
    return name


def media_open(name: str) -> bytes:
    """The bytes of a stored media file. Raises OSError (FileNotFoundError) when it is gone."""
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except SuspiciousFileOperation as exc:
        raise FileNotFoundError(name) from exc


# Preflight: channels register what they would refuse; editorial asks without importing them.

PreflightCheck = Callable[[EditorialItem], Iterable[str]]
_PREFLIGHT_CHECKS: list[PreflightCheck] = []


def register_preflight(check: PreflightCheck) -> PreflightCheck:
    """Register `check(item) -> problems` (user-readable strings); idempotent. Usable as a
    decorator."""
    if check not in _PREFLIGHT_CHECKS:
        _PREFLIGHT_CHECKS.append(check)
    return check


def item_preflight(item: EditorialItem) -> list[str]:
    """What every registered channel would refuse in the item, as messages; [] when nothing."""
    problems: list[str] = []
    for check in list(_PREFLIGHT_CHECKS):
        problems += [str(problem) for problem in check(item)]
    return problems
