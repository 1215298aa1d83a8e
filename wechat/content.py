"""Turning an item's HTML and images into what WeChat accepts (CONTRACT.md §3, §4).

- `rewrite_html` sanitizes with nh3, turns links into their text (WeChat drops external links;
  links to mp.weixin.qq.com articles are allowed and kept) and points every `<img>` at the URL
  media/uploadimg returned for it; an image without such a URL is left out.
- `upload_ready_image` makes a content image a JPEG or PNG under 1 MB; `cover_jpeg` crops and
  resizes a cover into a JPEG under 1 MB, wide enough for the 2.35:1 feed card.
- `concurrently` runs uploads on a bounded thread pool and hands each answer back to the
  calling thread as it arrives, so the caller can record it at once.
- `item_problems` is the preflight checker registered with `editorial.publishing`: what WeChat
  would refuse in an item, before anything is sent.
"""

import html as html_lib
import io
from collections.abc import Callable, Hashable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from django.utils.translation import gettext, gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from editorial.html import ALLOWED_ATTRIBUTES, ALLOWED_STYLE_PROPERTIES, ALLOWED_TAGS
from editorial.publishing import Publication, item_publication, media_name, media_open

from . import errors, gateway

# media/uploadimg takes JPG/PNG under 1 MB; the cover stays under 1 MB too (the image material
# limit is 10 MB today, 2 MB on older pages: 1 MB is safe everywhere and loads fast on phones).
IMAGE_MAX_BYTES = 1024 * 1024
COVER_MAX_BYTES = 1024 * 1024
COVER_MAX_EDGE = 1280
COVER_WIDEST = 2.35  # the feed card's ratio: anything wider loses its sides there anyway
COVER_TALLEST = 1.0  # the square thumbnail of later articles: taller covers are cut to a square
IMAGE_MAX_PIXELS = 40_000_000  # decoding more than this is a decompression bomb, not a photo
READABLE_FORMATS = ["JPEG", "PNG", "GIF", "WEBP", "BMP"]
JPEG_QUALITIES = (85, 75, 65, 55)
# What an uploadimg URL adds to the content, for estimating the size before uploading.
UPLOADED_URL_ESTIMATE = "http://mmbiz.qpic.cn/mmbiz_jpg/" + "x" * 64 + "/0?wx_fmt=jpeg"
WECHAT_LINK_HOSTS = ("mp.weixin.qq.com",)
VOID_TAGS = {"br", "hr", "img"}


class ContentError(Exception):
    """An item cannot be turned into a WeChat article; `str(err)` is a message for editors."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class _Sources(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = (dict(attrs).get("src") or "").strip()
            if src and src not in self.sources:
                self.sources.append(src)

    handle_startendtag = handle_starttag


def image_sources(html: str) -> list[str]:
    """The distinct `src` of every `<img>` in `html`, in order of appearance."""
    parser = _Sources()
    parser.feed(html or "")
    parser.close()
    return parser.sources


def _wechat_link(href: str) -> bool:
    parts = urlsplit(href or "")
    return parts.scheme in ("http", "https") and (parts.hostname or "") in WECHAT_LINK_HOSTS


class _Rewriter(HTMLParser):
    """Re-emits sanitized HTML with links unwrapped and image sources replaced."""

    def __init__(self, image_urls: Mapping[str, str]):
        super().__init__(convert_charrefs=True)
        self.image_urls = image_urls
        self.out: list[str] = []
        self.links: list[bool] = []  # for each open <a>: whether it was kept

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        parts = [tag]
        for name, value in attrs:
            parts.append(name if value is None else f'{name}="{html_lib.escape(value)}"')
        return "<" + " ".join(parts) + ">"

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            keep = _wechat_link(href)
            self.links.append(keep)
            if keep:
                self.out.append(self._tag("a", [("href", href)]))
            return
        if tag == "img":
            url = self.image_urls.get((dict(attrs).get("src") or "").strip())
            if url:
                kept = [(n, v) for n, v in attrs if n not in ("src", "width", "height")]
                self.out.append(self._tag("img", [("src", url), *kept]))
            return
        self.out.append(self._tag(tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "a":
            if self.links and self.links.pop():
                self.out.append("</a>")
            return
        if tag not in VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(html_lib.escape(data, quote=False))


def _sanitize(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties=ALLOWED_STYLE_PROPERTIES,
        url_schemes={"http", "https"},
        link_rel=None,
    )


def rewrite_html(html: str, *, image_urls: Mapping[str, str]) -> str:
    """`html` as WeChat takes it: sanitized, external links turned into their text, every image
    pointed at `image_urls[src]` (its media/uploadimg URL) and images missing there left out.
    Image sizes are dropped: WeChat fits images to the phone's width."""
    rewriter = _Rewriter(image_urls)
    rewriter.feed(_sanitize(html))
    rewriter.close()
    return _sanitize("".join(rewriter.out))


def _open_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ContentError(
            gettext_lazy("An image is not a JPEG, PNG, GIF, WebP or BMP file.")
        ) from exc
    width, height = image.size
    if width <= 0 or height <= 0 or width * height > IMAGE_MAX_PIXELS:
        raise ContentError(gettext_lazy("An image has too many pixels for WeChat."))
    return image


def image_format(data: bytes) -> str:
    """Pillow's name of the image format (JPEG, PNG, GIF, WEBP, BMP). Raises ContentError."""
    return _open_image(data).format


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels, transparent parts on white (JPEG has no transparency)."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA", "P") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg_under(image: Image.Image, limit: int) -> bytes:
    """The image as a JPEG smaller than `limit` bytes: lower quality first, then smaller."""
    while True:
        for quality in JPEG_QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality, optimize=True)
            if buffer.tell() < limit:
                return buffer.getvalue()
        width, height = image.size
        if max(width, height) <= 64:
            return buffer.getvalue()
        image = image.resize((max(1, width * 3 // 4), max(1, height * 3 // 4)), Image.LANCZOS)


def upload_ready_image(data: bytes) -> tuple[bytes, str]:
    """(bytes, filename) media/uploadimg accepts: a JPEG or PNG under 1 MB is sent as it is;
    anything else (GIF, WebP, BMP, too large) becomes a JPEG under 1 MB. Raises ContentError
    for a file that is not a readable image."""
    image = _open_image(data)
    if image.format in ("JPEG", "PNG") and len(data) < IMAGE_MAX_BYTES:
        return data, "image.jpg" if image.format == "JPEG" else "image.png"
    try:
        image.load()
        return _jpeg_under(_flatten(image), IMAGE_MAX_BYTES), "image.jpg"
    except (OSError, ValueError) as exc:
        raise ContentError(gettext_lazy("An image is damaged and cannot be read.")) from exc


def cover_jpeg(data: bytes) -> bytes:
    """The cover as a JPEG under 1 MB: cut to between 1:1 and 2.35:1 around its centre, the
    long edge at most COVER_MAX_EDGE. Raises ContentError for an unreadable image."""
    image = _open_image(data)
    try:
        image.draft("RGB", (COVER_MAX_EDGE, COVER_MAX_EDGE))
        image = _flatten(image)
    except (OSError, ValueError) as exc:
        raise ContentError(gettext_lazy("The cover image is damaged and cannot be read.")) from exc
    width, height = image.size
    if width / height > COVER_WIDEST:
        cut = round(height * COVER_WIDEST)
        left = (width - cut) // 2
        image = image.crop((left, 0, left + cut, height))
    elif width / height < COVER_TALLEST:
        cut = round(width / COVER_TALLEST)
        top = (height - cut) // 2
        image = image.crop((0, top, width, top + cut))
    image.thumbnail((COVER_MAX_EDGE, COVER_MAX_EDGE), Image.LANCZOS)
    return _jpeg_under(image, COVER_MAX_BYTES)


def concurrently(
    jobs: Mapping[Hashable, Callable[[], object]], *, workers: int
) -> Iterator[list[tuple[Hashable, object]]]:
    """Run `jobs` on at most `workers` threads; yield, in the calling thread, the (key, result)
    pairs of the jobs that finished since the last yield, as soon as any finishes. When a job
    raises, the jobs not started yet are dropped, the running ones finish (their results are
    still yielded) and then the error is raised; an error that retrying cannot fix wins over a
    retryable one."""
    if not jobs:
        return
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        pending = {pool.submit(job): key for key, job in jobs.items()}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            finished = []
            for future in done:
                key = pending.pop(future)
                if future.cancelled():
                    continue
                error = future.exception()
                if error is None:
                    finished.append((key, future.result()))
                    continue
                if failure is None or isinstance(failure, errors.RetryableError):
                    failure = error
                for other in pending:
                    other.cancel()
            if finished:
                yield finished
    if failure is not None:
        raise failure


def _error_text(code: int) -> str:
    return str(errors.USER_MESSAGES[code])


def image_problem(src: str) -> str | None:
    """Why the image at `src` cannot go to WeChat, or None when it can."""
    name = media_name(src)
    short = src.rsplit("/", 1)[-1][:60] or src[:60]
    if name is None:
        return gettext(
            "The image “%(name)s” is not stored on this site; WeChat only shows images uploaded "
            "to it. Upload the image into the article instead."
        ) % {"name": short}
    try:
        image_format(media_open(name))
    except OSError:
        return gettext("The image “%(name)s” is missing from the site's files.") % {"name": short}
    except ContentError as exc:
        return gettext("The image “%(name)s” cannot be used: %(reason)s") % {
            "name": short,
            "reason": str(exc),
        }
    return None


def publication_problems(publication: Publication) -> list[str]:
    """What WeChat would refuse in one publication (lengths, sizes, images, cover)."""
    problems = []
    if len(publication.title) > gateway.TITLE_MAX_CHARS:
        problems.append(_error_text(45003))
    if len(publication.author) > gateway.AUTHOR_MAX_CHARS:
        problems.append(_error_text(45110))
    if len(publication.digest) > gateway.DIGEST_MAX_CHARS:
        problems.append(_error_text(45004))
    if len(publication.url.encode()) > gateway.SOURCE_URL_MAX_BYTES:
        problems.append(_error_text(45005))
    sources = image_sources(publication.content_html)
    bad = {}
    for src in sources:
        problem = image_problem(src)
        if problem:
            bad[src] = problem
    problems += bad.values()
    content = rewrite_html(
        publication.content_html, image_urls={src: UPLOADED_URL_ESTIMATE for src in sources}
    )
    if (
        len(content) >= gateway.CONTENT_MAX_CHARS
        or len(content.encode()) >= gateway.CONTENT_MAX_BYTES
    ):
        problems.append(_error_text(45002))
    if not content.strip():
        problems.append(gettext("The article body is empty; WeChat needs some content."))
    if publication.cover_name:
        try:
            image_format(publication.open_cover())
        except OSError:
            problems.append(gettext("The cover image is missing from the site's files."))
        except ContentError as exc:
            problems.append(gettext("The cover image cannot be used: %(reason)s") % {"reason": exc})
    elif not [src for src in sources if src not in bad]:
        problems.append(
            gettext("WeChat needs a cover image: add a cover, or an image in the body.")
        )
    return problems


def item_problems(item) -> list[str]:
    """The preflight checker registered with editorial.publishing (see WechatConfig.ready)."""
    return publication_problems(item_publication(item))
