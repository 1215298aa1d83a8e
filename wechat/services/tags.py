"""The account's WeChat tags, for choosing a push's audience."""

import logging

from django.conf import settings
from django.core.cache import cache

from ..errors import WeChatError
from ..gateway import WeChatGateway

logger = logging.getLogger(__name__)


def tag_choices() -> list[tuple[int, str]]:
    """(id, name) of the account's WeChat tags, for choosing a push's audience; listed through
    the gateway and cached for WECHAT_TAGS_CACHE_SECONDS. [] when WeChat cannot be reached."""
    key = f"wechat:tags:{settings.WECHAT_APP_ID}"
    tags = cache.get(key)
    if tags is None:
        try:
            tags = [(tag.id, tag.name) for tag in WeChatGateway().tags_list()]
        except WeChatError as exc:
            # Remembered too, so a page listing the tags does not wait for WeChat every time.
            logger.warning("Could not list the WeChat tags: %s", exc)
            tags = []
        cache.set(key, tags, settings.WECHAT_TAGS_CACHE_SECONDS)
    return [(int(tag_id), name) for tag_id, name in tags]


def tag_choices_forget() -> None:
    """Forget the cached tag list (after tags were created, renamed or deleted)."""
    cache.delete(f"wechat:tags:{settings.WECHAT_APP_ID}")
