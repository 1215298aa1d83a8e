"""Images and drafts: what a push uploads before it sends (uploadimg, add_material, draft/*)."""

import hashlib
import re
import secrets
import time
from email.parser import BytesParser
from email.policy import HTTP
from html.parser import HTMLParser

from .common import ApiError


class _ImageSources(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = dict(attrs).get("src")
            if src is not None:
                self.sources.append(src.strip())


def _image_sources(html: str) -> list[str]:
    parser = _ImageSources()
    parser.feed(html)
    parser.close()
    return parser.sources


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def _multipart_files(body: bytes, content_type: str) -> dict[str, tuple[str, bytes]]:
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    files = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                files[name] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return files


def _first_chars(html: str, n: int) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    return re.sub(r"\s+", " ", text).strip()[:n]


class MediaApi:
    """Uploaded images and materials, and the drafts made of them (CONTRACT.md §3, §4).

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    def _media_file(self, request: dict) -> bytes:
        files = _multipart_files(request["body"], request["content_type"])
        if "media" not in files:
            raise ApiError(41005, "media data missing")
        return files["media"][1]

    def _image_url(self, kind: str, ext: str) -> str:
        key = hashlib.sha1(f"{kind}:{self._next('media')}:{time.time()}".encode()).hexdigest()
        return f"http://{self.config.mmbiz_host}/mmbiz_{ext}/EMU{key[:40]}/0?wx_fmt={ext}"

    def _uploadimg(self, request: dict) -> dict:
        data = self._media_file(request)
        kind = _image_type(data)
        if kind not in ("jpeg", "png"):
            raise ApiError(40005, "invalid file type (uploadimg takes JPG or PNG)")
        if len(data) >= 1024 * 1024:
            raise ApiError(40009, "invalid image size (uploadimg takes < 1 MB)")
        url = self._image_url("img", "jpg" if kind == "jpeg" else "png")
        self.images[url] = {"size": len(data), "type": kind, "created": self.now()}
        return {"url": url, "errcode": 0, "errmsg": "ok"}

    def _add_material(self, request: dict) -> dict:
        media_type = request["query"].get("type", "")
        if media_type not in ("image", "thumb"):
            raise ApiError(40004, "invalid media type (the emulator keeps image and thumb)")
        data = self._media_file(request)
        kind = _image_type(data)
        if media_type == "thumb":
            if kind != "jpeg":
                raise ApiError(40005, "invalid file type (thumb takes JPG)")
            if len(data) > 64 * 1024:
                raise ApiError(40012, "invalid thumb size (≤ 64 KB)")
        else:
            if kind is None:
                raise ApiError(40005, "invalid file type (bmp/png/jpeg/gif)")
            if len(data) > self.config.image_material_max_bytes:
                raise ApiError(40009, "invalid image size")
        media_id = f"EMU_MEDIA_{self._next('media'):08d}_{secrets.token_hex(6)}"
        ext = {"jpeg": "jpg"}.get(kind, kind)
        url = self._image_url("material", ext) if media_type == "image" else ""
        self.materials[media_id] = {
            "type": media_type,
            "url": url,
            "size": len(data),
            "created": self.now(),
        }
        answer = {"media_id": media_id}
        if url:
            answer["url"] = url
        return answer

    def _known_image(self, src: str) -> bool:
        if src in self.images:
            return True
        for a, b in (("http://", "https://"), ("https://", "http://")):
            if src.startswith(a) and b + src[len(a) :] in self.images:
                return True
        return False

    def _article(self, raw) -> dict:
        if not isinstance(raw, dict):
            raise ApiError(47001, "data format error")
        title, content = raw.get("title"), raw.get("content")
        if not isinstance(title, str) or not title.strip():
            raise ApiError(44003, "empty news data (title)")
        if not isinstance(content, str) or not content.strip():
            raise ApiError(44003, "empty news data (content)")
        author = str(raw.get("author") or "")
        digest = str(raw.get("digest") or "")
        source = str(raw.get("content_source_url") or "")
        if len(title) > 32:
            raise ApiError(45003, "title size out of limit")
        if len(author) > 16:
            raise ApiError(45110, "author size out of limit")
        if len(digest) > 128:
            raise ApiError(45004, "description size out of limit")
        if len(content) >= 20_000 or len(content.encode()) >= 1024 * 1024:
            raise ApiError(45002, "content size out of limit")
        if len(source.encode()) > 1024:
            raise ApiError(45005, "url size out of limit")
        thumb = raw.get("thumb_media_id") or ""
        if thumb not in self.materials:
            raise ApiError(40007, "invalid media_id (thumb_media_id)")
        for src in _image_sources(content):
            if not self._known_image(src):
                # Real WeChat silently drops such images; refusing catches the bug early.
                raise ApiError(45166, f"invalid content: image not from uploadimg: {src[:200]}")
        return {
            "title": title,
            "author": author,
            "digest": digest or _first_chars(content, 54),
            "content": content,
            "content_source_url": source,
            "thumb_media_id": thumb,
            "need_open_comment": int(raw.get("need_open_comment") or 0),
            "only_fans_can_comment": int(raw.get("only_fans_can_comment") or 0),
        }

    def _draft(self, media_id) -> dict:
        draft = self.drafts.get(media_id) if isinstance(media_id, str) else None
        if draft is None:
            raise ApiError(40007, "invalid media_id")
        return draft

    def _draft_add(self, request: dict) -> dict:
        articles = request["json"].get("articles")
        if not isinstance(articles, list) or not articles:
            raise ApiError(44003, "empty news data")
        if len(articles) > 8:
            raise ApiError(45008, "article size out of limit")
        cleaned = [self._article(a) for a in articles]
        media_id = f"EMU_DRAFT_{self._next('media'):08d}_{secrets.token_hex(6)}"
        self.drafts[media_id] = {"articles": cleaned, "created": self.now()}
        return {"media_id": media_id}

    def _draft_update(self, request: dict) -> dict:
        data = request["json"]
        draft = self._draft(data.get("media_id"))
        index = data.get("index")
        if not isinstance(index, int) or not 0 <= index < len(draft["articles"]):
            raise ApiError(47003, "argument invalid (index)")
        draft["articles"][index] = self._article(data.get("articles"))
        return {"errcode": 0, "errmsg": "ok"}

    def _draft_get(self, request: dict) -> dict:
        draft = self._draft(request["json"].get("media_id"))
        items = []
        for i, article in enumerate(draft["articles"], 1):
            items.append(
                {
                    **article,
                    "url": f"https://mp.weixin.qq.com/s?__biz=EMU&tempkey=draft&idx={i}",
                    "thumb_url": self.materials.get(article["thumb_media_id"], {}).get("url", ""),
                }
            )
        return {"news_item": items}

    def _draft_delete(self, request: dict) -> dict:
        media_id = request["json"].get("media_id")
        self._draft(media_id)
        del self.drafts[media_id]
        self.consumed[media_id] = "deleted"
        return {"errcode": 0, "errmsg": "ok"}

    def _draft_count(self, request: dict) -> dict:
        return {"total_count": len(self.drafts)}

    def _consume(self, media_id: str, reason: str) -> None:
        del self.drafts[media_id]
        self.consumed[media_id] = reason

    @staticmethod
    def _draft_summary(media_id: str, draft: dict) -> dict:
        return {
            "media_id": media_id,
            "created": draft["created"],
            "articles": [
                {
                    "title": a["title"],
                    "author": a.get("author", ""),
                    "digest": a.get("digest", ""),
                    "thumb_media_id": a["thumb_media_id"],
                    "content_chars": len(a["content"]),
                    "images": _image_sources(a["content"]),
                }
                for a in draft["articles"]
            ],
        }
