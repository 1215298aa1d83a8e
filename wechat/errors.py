"""The errors WeChat calls raise, mapped once from WeChat's errcodes (CONTRACT.md §1).

Callers decide by class, never by number:

- `RetryableError`: try the same request again later (same `clientmsgid` for a mass send);
  `retry_after` suggests how many seconds to wait. Network failures, timeouts, HTTP 5xx and
  connections dropped before an answer are retryable too: WeChat may have acted on the request.
- `TokenError`: the access token was still refused after one refresh (a subclass of
  `RetryableError`; the gateway already refreshed and retried once).
- `QuotaError` (45028): no mass-send quota left today; do not retry today.
- `DuplicateSendError` (45065): a send with this `clientmsgid` already exists; `msg_id` is the
  existing send's id, so the caller treats it as success.
- `InvalidRequestError`: everything else; retrying the same request cannot help.

Every error carries `errcode` (None for network failures), `errmsg` (WeChat's text) and
`user_message`, a plain zh-hans sentence for editors and the admin.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

TOKEN_CODES = frozenset({40001, 40014, 42001})
RETRYABLE_CODES = frozenset({-1, 45009, 45011, 45066})
QUOTA_CODES = frozenset({45028})
DUPLICATE_SEND_CODE = 45065
CUSTOM_WINDOW_CLOSED_CODE = 45015  # customer-service message after the 48-hour window

# Seconds to wait before the same request is worth trying again (CONTRACT.md §1).
RETRY_AFTER = {-1: 5, 45009: 3600, 45011: 60, 45066: 60}

_RETRY_SOON = _("WeChat is busy. The system will try again shortly.")
_CONFIGURATION = _(
    "The WeChat account settings (AppID or AppSecret) are wrong. "
    "Ask the site administrator to check them."
)
_IMAGE_TOO_LARGE = _("The image is too large for WeChat.")
_UNREADABLE = _("WeChat could not read the request.")
_PUBLISH_REFUSED = _(
    "WeChat refused to publish this draft. Open it on mp.weixin.qq.com to see why."
)

_MENU_REFUSED = _("WeChat refused the menu (a name, key or link is too long, or too many buttons).")

USER_MESSAGES = {
    -1: _RETRY_SOON,
    40001: _("WeChat refused the access token even after a refresh. Try again later."),
    40014: _("WeChat refused the access token even after a refresh. Try again later."),
    42001: _("WeChat refused the access token even after a refresh. Try again later."),
    40002: _CONFIGURATION,
    40013: _CONFIGURATION,
    40125: _CONFIGURATION,
    41002: _CONFIGURATION,
    41004: _CONFIGURATION,
    40164: _(
        "This server's IP address is not in the WeChat account's IP whitelist. "
        "Ask the site administrator to add it."
    ),
    40243: _("The WeChat AppSecret is frozen. Ask the site administrator to unfreeze it."),
    41001: _("The request to WeChat carried no access token."),
    45009: _("Today's WeChat API call quota is used up. The system will try again later."),
    45011: _("Too many WeChat calls this minute. The system will try again in a minute."),
    45028: _("Today's mass-send quota of the WeChat account is used up. Send again tomorrow."),
    45065: _("This message was already sent in the last 24 hours."),
    45066: _("The same send was retried too quickly. The system will try again in a minute."),
    45067: _("The send identifier is too long for WeChat (at most 64 bytes)."),
    40007: _("The image or draft is no longer valid on WeChat. It has to be uploaded again."),
    40004: _("WeChat does not accept this file type. Use a JPG or PNG image."),
    40005: _("WeChat does not accept this file type. Use a JPG or PNG image."),
    40006: _IMAGE_TOO_LARGE,
    40009: _IMAGE_TOO_LARGE,
    40012: _IMAGE_TOO_LARGE,
    45001: _IMAGE_TOO_LARGE,
    41005: _("The upload to WeChat contained no file."),
    40003: _("A follower id is not valid for this WeChat account."),
    49003: _("A follower id is not valid for this WeChat account."),
    40032: _("Too many followers in one request to WeChat."),
    43004: _("The recipient does not follow the WeChat account (any more)."),
    40037: _("WeChat does not know this message template. Check WECHAT_TEMPLATE_SIGNUP."),
    40033: _UNREADABLE,
    40059: _("WeChat does not know this message."),
    43002: _UNREADABLE,
    44002: _UNREADABLE,
    47001: _UNREADABLE,
    47003: _("WeChat refused a value in the request."),
    44003: _("The draft has no articles."),
    45002: _("The article body is too long for WeChat (under 20,000 characters and 1 MB)."),
    45003: _("The title is too long for WeChat (at most 32 characters)."),
    45004: _("The summary is too long for WeChat (at most 128 characters)."),
    45005: _("The “read original” link is too long for WeChat."),
    45110: _("The author name is too long for WeChat (at most 16 characters)."),
    45008: _("Too many articles in one WeChat draft (at most 8)."),
    45166: _("WeChat refused the article body. Check that every image was uploaded to WeChat."),
    45056: _("The WeChat account already has 100 tags."),
    45057: _("This tag has more than 100,000 followers and cannot be deleted directly."),
    45058: _("WeChat's system tags cannot be changed."),
    45059: _("A follower already carries the maximum of 20 tags."),
    45157: _("The tag name is invalid or already used."),
    45158: _("The tag name is too long (at most 30 bytes)."),
    45159: _("WeChat does not know this tag."),
    45015: _(
        "More than 48 hours have passed since the follower's last message: WeChat no longer "
        "lets the office answer until they write again."
    ),
    45047: _("Too many answers to this follower since their last message. Wait for them."),
    48001: _("This WeChat account is not allowed to use this function."),
    50002: _("This WeChat account is restricted by WeChat."),
    53503: _PUBLISH_REFUSED,
    53504: _PUBLISH_REFUSED,
    53505: _PUBLISH_REFUSED,
    61500: _("The statistics date is not a valid date."),
    61501: _("The statistics date range is not allowed (too long, or not before today)."),
    # The custom menu (CONTRACT.md §12).
    40016: _MENU_REFUSED,
    40017: _MENU_REFUSED,
    40018: _MENU_REFUSED,
    40019: _MENU_REFUSED,
    40020: _MENU_REFUSED,
    40023: _MENU_REFUSED,
    40024: _MENU_REFUSED,
    40025: _MENU_REFUSED,
    40026: _MENU_REFUSED,
    40027: _MENU_REFUSED,
    40054: _("WeChat refused a menu link's domain. Check the links of the menu."),
    40055: _("WeChat refused a menu link's domain. Check the links of the menu."),
    40050: _("WeChat does not know the tag of this conditional menu."),
    46003: _("WeChat holds no menu made through the API."),
    65301: _("WeChat does not know this conditional menu."),
    65303: _("Publish the default menu before a conditional menu."),
    65304: _("A conditional menu needs a tag."),
    65305: _("The WeChat account has as many conditional menus as it may."),
}
NETWORK_MESSAGE = _("WeChat could not be reached. The system will try again shortly.")
REFUSED_MESSAGE = _("WeChat refused the request.")


class WeChatError(Exception):
    """Base class of every error a WeChat call raises."""

    def __init__(self, errcode: int | None = None, errmsg: str = "", **extra):
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg)

    @property
    def user_message(self) -> str:
        """A plain sentence in the active language, for editors and the admin."""
        if self.errcode is None:
            return str(NETWORK_MESSAGE if isinstance(self, RetryableError) else REFUSED_MESSAGE)
        message = USER_MESSAGES.get(self.errcode)
        if message is None:
            return gettext("WeChat refused the request (error %(code)s).") % {"code": self.errcode}
        return str(message)


class RetryableError(WeChatError):
    """Try the same request again later; WeChat may or may not have acted on it."""

    @property
    def retry_after(self) -> int:
        """Suggested seconds to wait before the next attempt."""
        return RETRY_AFTER.get(self.errcode, 5)


class TokenError(RetryableError):
    """The access token was refused again after one refresh and one retry."""


class QuotaError(WeChatError):
    """No mass-send quota left today (45028)."""


class DuplicateSendError(WeChatError):
    """A mass send with the same `clientmsgid` exists (45065); `msg_id` is that send's id."""

    def __init__(self, errcode: int | None = None, errmsg: str = "", **extra):
        super().__init__(errcode, errmsg, **extra)
        msg_id = extra.get("msg_id")
        self.msg_id = "" if msg_id is None else str(msg_id)


class InvalidRequestError(WeChatError):
    """WeChat refused the request for a reason retrying cannot fix."""


class CustomWindowClosedError(InvalidRequestError):
    """45015: a customer-service message more than 48 hours after the follower's last
    interaction (CONTRACT.md §14)."""


class CallbackSignatureError(Exception):
    """A callback's signature (or msg_signature) does not match our token."""


class CallbackPayloadError(Exception):
    """A callback's body could not be decrypted or read."""


def error_for(errcode: int, errmsg: str = "", **extra) -> WeChatError:
    """The error instance for a WeChat answer carrying `errcode` (not 0)."""
    if errcode in TOKEN_CODES:
        cls = TokenError
    elif errcode in RETRYABLE_CODES:
        cls = RetryableError
    elif errcode in QUOTA_CODES:
        cls = QuotaError
    elif errcode == DUPLICATE_SEND_CODE:
        cls = DuplicateSendError
    elif errcode == CUSTOM_WINDOW_CLOSED_CODE:
        cls = CustomWindowClosedError
    else:
        cls = InvalidRequestError
    return cls(errcode, errmsg, **extra)
