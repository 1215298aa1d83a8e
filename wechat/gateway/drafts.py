"""Images, drafts and free publishing (CONTRACT.md §3-§5): the calls and the data they carry."""

from dataclasses import dataclass, field

from .. import errors
from ..urlcheck import wechat_url_or_empty

# WeChat's limits (CONTRACT.md §4): checked here so a bad article never leaves the site.
TITLE_MAX_CHARS = 32
AUTHOR_MAX_CHARS = 16
DIGEST_MAX_CHARS = 128
CONTENT_MAX_CHARS = 20_000  # exclusive
CONTENT_MAX_BYTES = 1024 * 1024  # exclusive
SOURCE_URL_MAX_BYTES = 1024
ARTICLES_MAX = 8


@dataclass(frozen=True)
class ArticleFields:
    """One article of a draft, as draft/add and draft/update take it."""

    title: str
    content: str
    thumb_media_id: str
    author: str = ""
    digest: str = ""
    content_source_url: str = ""
    need_open_comment: int = 0
    only_fans_can_comment: int = 0

    def as_payload(self) -> dict:
        return {
            "article_type": "news",
            "title": self.title,
            "author": self.author,
            "digest": self.digest,
            "content": self.content,
            "content_source_url": self.content_source_url,
            "thumb_media_id": self.thumb_media_id,
            "need_open_comment": int(self.need_open_comment),
            "only_fans_can_comment": int(self.only_fans_can_comment),
        }

    def check(self) -> None:
        """Check WeChat's documented limits. Raises InvalidRequestError with WeChat's errcode."""
        if len(self.title) > TITLE_MAX_CHARS:
            raise errors.InvalidRequestError(45003, "title too long (checked locally)")
        if len(self.author) > AUTHOR_MAX_CHARS:
            raise errors.InvalidRequestError(45110, "author too long (checked locally)")
        if len(self.digest) > DIGEST_MAX_CHARS:
            raise errors.InvalidRequestError(45004, "digest too long (checked locally)")
        if (
            len(self.content) >= CONTENT_MAX_CHARS
            or len(self.content.encode()) >= CONTENT_MAX_BYTES
        ):
            raise errors.InvalidRequestError(45002, "content too long (checked locally)")
        if len(self.content_source_url.encode()) > SOURCE_URL_MAX_BYTES:
            raise errors.InvalidRequestError(45005, "url too long (checked locally)")

    @classmethod
    def from_payload(cls, data: dict) -> "ArticleFields":
        return cls(
            title=data.get("title", ""),
            content=data.get("content", ""),
            thumb_media_id=data.get("thumb_media_id", ""),
            author=data.get("author", ""),
            digest=data.get("digest", ""),
            content_source_url=data.get("content_source_url", ""),
            need_open_comment=int(data.get("need_open_comment", 0) or 0),
            only_fans_can_comment=int(data.get("only_fans_can_comment", 0) or 0),
        )


@dataclass(frozen=True)
class MaterialResult:
    """A permanent image material: `media_id` for thumb_media_id, `url` only shows in WeChat."""

    media_id: str
    url: str


@dataclass(frozen=True)
class PublishStatus:
    """The state of a free-publish job (CONTRACT.md §5.2)."""

    SUCCESS = 0
    PUBLISHING = 1

    publish_id: str
    status: int
    article_id: str = ""
    article_urls: list[str] = field(default_factory=list)
    fail_idx: list[int] = field(default_factory=list)

    @property
    def is_pending(self) -> bool:
        return self.status == self.PUBLISHING

    @property
    def is_success(self) -> bool:
        return self.status == self.SUCCESS


class DraftsAPI:
    """The gateway's image, draft and free-publish calls (mixed into WeChatGateway)."""

    def upload_content_image(self, data: bytes, filename: str) -> str:
        """Upload an image for use inside article HTML (media/uploadimg); return its URL.

        JPG or PNG, under 1 MB. Raises InvalidRequestError (40005 type, 40009 size).
        """
        media = (filename, data, _content_type(filename))
        return self._call(
            "POST", "cgi-bin/media/uploadimg", files={"media": media}, parse=lambda r: str(r["url"])
        )

    def add_image_material(self, data: bytes, filename: str) -> MaterialResult:
        """Upload a permanent image (material/add_material?type=image), e.g. a draft's cover.

        Raises InvalidRequestError (40005 type, 40009 size).
        """
        media = (filename, data, _content_type(filename))
        return self._call(
            "POST",
            "cgi-bin/material/add_material",
            params={"type": "image"},
            files={"media": media},
            parse=lambda r: MaterialResult(media_id=str(r["media_id"]), url=str(r.get("url", ""))),
        )

    def add_draft(self, articles: list[ArticleFields]) -> str:
        """Create a draft of 1 to 8 articles; return its media_id.

        Checks the documented limits first. Raises InvalidRequestError: 44003 (no articles),
        45008 (more than 8), 45002-45005/45110 (lengths), 40007 (thumb_media_id), 45166
        (an <img> not uploaded with upload_content_image).
        """
        if not articles:
            raise errors.InvalidRequestError(44003, "no articles (checked locally)")
        if len(articles) > ARTICLES_MAX:
            raise errors.InvalidRequestError(45008, "too many articles (checked locally)")
        for article in articles:
            article.check()
        payload = {"articles": [a.as_payload() for a in articles]}
        return self._call(
            "POST", "cgi-bin/draft/add", body=payload, parse=lambda r: str(r["media_id"])
        )

    def update_draft(self, *, media_id: str, index: int, article: ArticleFields) -> None:
        """Replace the article at `index` (0-based) of a draft. Raises as add_draft."""
        article.check()
        payload = {"media_id": media_id, "index": index, "articles": article.as_payload()}
        self._call("POST", "cgi-bin/draft/update", body=payload)

    def get_draft(self, media_id: str) -> list[ArticleFields]:
        """The articles of a draft. Raises InvalidRequestError 40007 when it is gone."""
        return self._call(
            "POST",
            "cgi-bin/draft/get",
            body={"media_id": media_id},
            parse=lambda r: [ArticleFields.from_payload(i) for i in r.get("news_item", [])],
        )

    def delete_draft(self, media_id: str) -> None:
        """Delete a draft. Raises InvalidRequestError 40007 when it is gone."""
        self._call("POST", "cgi-bin/draft/delete", body={"media_id": media_id})

    def publish_submit(self, media_id: str) -> str:
        """Start publishing a draft (no push to followers); return the publish_id.

        The draft is consumed. The outcome arrives as PUBLISHJOBFINISH or through
        publish_status. Raises InvalidRequestError (40007 unknown or consumed draft, 48001,
        53503-53505).
        """
        return self._call(
            "POST",
            "cgi-bin/freepublish/submit",
            body={"media_id": media_id},
            parse=lambda r: str(r["publish_id"]),
        )

    def publish_status(self, publish_id: str) -> PublishStatus:
        """Poll a free-publish job. Raises InvalidRequestError for an unknown publish_id."""
        return self._call(
            "POST",
            "cgi-bin/freepublish/get",
            body={"publish_id": publish_id},
            parse=_publish_status,
        )


def _publish_status(result: dict) -> PublishStatus:
    detail = result.get("article_detail") or {}
    return PublishStatus(
        publish_id=str(result["publish_id"]),
        status=int(result["publish_status"]),
        article_id=str(result.get("article_id", "") or ""),
        # Stored on the push items and linked in the admin: WeChat's own https URLs only.
        article_urls=[
            wechat_url_or_empty(item.get("article_url")) for item in detail.get("item", [])
        ],
        fail_idx=[int(i) for i in result.get("fail_idx", []) or []],
    )


def _content_type(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".png"):
        return "image/png"
    if lower.endswith(".gif"):
        return "image/gif"
    return "image/jpeg"
