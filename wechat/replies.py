"""Automatic replies inside the callback (CONTRACT.md §13): the welcome on follow, keyword
rules and the default reply, rendered as WeChat's passive-reply XML.

The callback answers within WeChat's 5 seconds and reads no table for it: the rules live in
this process's memory, compiled, under a version number kept in Django's cache (one cache read
per callback). Saving or deleting a rule, or publishing or withdrawing an item a news card
shows, sets a new version (`replies_changed()`), and every process rebuilds its copy on its
next callback (one query, plus one per news card).

Regular expressions are staff input run against follower input: a pattern is at most
PATTERN_MAX_CHARS characters, refused when a quantified group holds a quantifier or an
alternation (`(a+)+`, `(a|aa)*`: catastrophic backtracking) or a backreference, and is run by
the `regex` module with a timeout on at most TEXT_MAX_CHARS characters of the message.
"""

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime

import regex
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

VERSION_KEY = "wechat:replies:version"
PATTERN_MAX_CHARS = 100
TEXT_MAX_CHARS = 2048
REGEX_TIMEOUT = 0.02  # seconds; a pattern that passed the check finishes in microseconds
# WeChat's limit on a passive text reply is 2048 bytes [unconfirmed]; 600 characters stay below.
REPLY_TEXT_MAX_CHARS = 600


@dataclass(frozen=True)
class Reply:
    """One passive reply: text, an image (permanent material media_id) or one news card."""

    kind: str
    text: str = ""
    media_id: str = ""
    title: str = ""
    description: str = ""
    pic_url: str = ""
    url: str = ""
    rule_id: int | None = None

    def summary(self) -> str:
        """One line for the inbox: what the follower was answered."""
        if self.kind == "image":
            return _("[image]")
        if self.kind == "news":
            return _("[news] %(title)s") % {"title": self.title}
        return self.text[:255]


@dataclass(frozen=True)
class Rule:
    id: int
    trigger: str
    match: str
    pattern: str
    priority: int
    active_from: dtime | None
    active_until: dtime | None
    reply: Reply
    text_bound: str = ""
    compiled: object = field(default=None, compare=False)

    def active_at(self, moment: datetime) -> bool:
        if self.active_from is None and self.active_until is None:
            return True
        now = timezone.localtime(moment).time()
        start = self.active_from or dtime.min
        end = self.active_until or dtime.max
        if start <= end:
            return start <= now <= end
        return now >= start or now <= end  # a window past midnight, e.g. 22:00–07:00

    def matches(self, text: str) -> bool:
        if self.match == "exact":
            return text.strip().casefold() == self.pattern.strip().casefold()
        if self.match == "contains":
            return self.pattern.strip().casefold() in text.casefold()
        try:
            return self.compiled.search(text[:TEXT_MAX_CHARS], timeout=REGEX_TIMEOUT) is not None
        except TimeoutError:
            logger.warning("Reply rule %s: its pattern ran out of time; skipped", self.id)
            return False


# Regex safety: a scan of the pattern (no private parser API), conservative on purpose.
_QUANTIFIER_AFTER = re.compile(r"[*+?]|\{\d*,?\d*\}")


def pattern_problem(pattern: str) -> str:
    """Why `pattern` may not be a reply rule's regular expression, or "" when it may."""
    if len(pattern) > PATTERN_MAX_CHARS:
        return _("A pattern has at most %(max)d characters.") % {"max": PATTERN_MAX_CHARS}
    try:
        regex.compile(pattern)
    except regex.error as exc:
        return _("This is not a valid regular expression: %(error)s") % {"error": exc}
    if re.search(r"\\[1-9]|\(\?P=|\\g<|\(\?[0-9R&]|\(\?\(", pattern):
        return _("Backreferences and recursion are not allowed in a reply pattern.")
    # stack of [has_quantifier, has_alternation] per open group
    stack: list[list[bool]] = [[False, False]]
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            i += 1
            continue
        if char == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif char == "(":
            stack.append([False, False])
        elif char == "|":
            stack[-1][1] = True
        elif char == ")" and len(stack) > 1:
            inner_quantified, inner_alternation = stack.pop()
            following = _QUANTIFIER_AFTER.match(pattern, i + 1)
            repeated = following and following.group() not in ("?", "{0,1}", "{1}", "{,1}")
            if repeated and (inner_quantified or inner_alternation):
                return _(
                    "A repeated group may not hold a repetition or an alternative "
                    "(like (a+)+ or (a|b)*): such patterns can take minutes to fail."
                )
            stack[-1][0] = stack[-1][0] or inner_quantified or bool(following)
            i += 1
            continue
        elif _QUANTIFIER_AFTER.match(pattern, i):
            stack[-1][0] = True
        i += 1
    return ""


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY) or version
    return version


def replies_changed() -> None:
    """Make every process rebuild its rules on its next callback."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


_memo: dict = {"version": None, "rules": ()}
_memo_lock = threading.Lock()


def _news_reply(rule) -> Reply | None:
    from editorial.publishing import item_by_key, item_publication, item_publishable

    try:
        item = item_by_key(rule.item_key)
    except LookupError:
        return None
    if not item_publishable(item):
        return None
    publication = item_publication(item)
    pic_url = ""
    if publication.cover_name:
        pic_url = default_storage.url(publication.cover_name)
        if pic_url.startswith("/"):
            pic_url = settings.SITE_URL.rstrip("/") + pic_url
    return Reply(
        kind="news",
        title=publication.title,
        description=publication.digest,
        pic_url=pic_url,
        url=publication.url,
        rule_id=rule.pk,
    )


def _compile(row) -> Rule | None:
    if row.kind == "image":
        if not row.image_media_id:
            return None
        reply = Reply(kind="image", media_id=row.image_media_id, rule_id=row.pk)
    elif row.kind == "news":
        reply = _news_reply(row)
        if reply is None:
            return None
    else:
        if not row.text.strip():
            return None
        reply = Reply(kind="text", text=row.text[:REPLY_TEXT_MAX_CHARS], rule_id=row.pk)
    compiled = None
    if row.trigger == "keyword":
        if not row.pattern.strip():
            return None
        if row.match == "regex":
            if pattern_problem(row.pattern):
                return None
            compiled = regex.compile(row.pattern, regex.IGNORECASE)
    return Rule(
        id=row.pk,
        trigger=row.trigger,
        match=row.match,
        pattern=row.pattern,
        priority=row.priority,
        active_from=row.active_from,
        active_until=row.active_until,
        reply=reply,
        text_bound=row.text_bound[:REPLY_TEXT_MAX_CHARS],
        compiled=compiled,
    )


def active_rules() -> tuple[Rule, ...]:
    """The active rules, compiled, in the order they are tried (this process's copy)."""
    version = _version()
    memo = _memo
    if memo["version"] == version:
        return memo["rules"]
    with _memo_lock:
        if _memo["version"] == version:
            return _memo["rules"]
        from .models import ReplyRule

        rules = []
        for row in ReplyRule.objects.filter(active=True).order_by("-priority", "pk"):
            rule = _compile(row)
            if rule is not None:
                rules.append(rule)
        _memo["rules"] = tuple(rules)
        _memo["version"] = version
        return _memo["rules"]


def forget() -> None:
    """Drop this process's copy (tests)."""
    with _memo_lock:
        _memo["version"] = None
        _memo["rules"] = ()


def _first(
    trigger: str, moment: datetime, text: str | None = None, rules: tuple[Rule, ...] | None = None
) -> Rule | None:
    for rule in active_rules() if rules is None else rules:
        if rule.trigger != trigger or not rule.active_at(moment):
            continue
        if text is None or rule.matches(text):
            return rule
    return None


def reply_for_message(*, msg_type: str, content: str, moment: datetime | None = None):
    """The reply to a follower's message: the first keyword rule a text matches, else the
    default reply, else None (answer "success": nothing)."""
    moment = moment or timezone.now()
    # One look at the rules' version for both tries: a cache round trip per message, not two.
    rules = active_rules()
    rule = None
    if msg_type == "text" and content:
        rule = _first("keyword", moment, content, rules)
    rule = rule or _first("default", moment, rules=rules)
    return rule.reply if rule else None


def reply_for_click(*, key: str, moment: datetime | None = None) -> Reply | None:
    """The reply to a menu button of type click: the first keyword rule its key matches (a
    rule "exact" on the key, e.g. CONTACT_US), else None."""
    if not key:
        return None
    rule = _first("keyword", moment or timezone.now(), key)
    return rule.reply if rule else None


def reply_for_subscribe(*, name: str = "", moment: datetime | None = None) -> Reply | None:
    """The welcome: its bound-alumni text with {name} when `name` (the bound record's name) is
    given and the rule has one, else its text, image or card."""
    rule = _first("welcome", moment or timezone.now())
    if rule is None:
        return None
    if name and rule.text_bound:
        return Reply(kind="text", text=rule.text_bound.replace("{name}", name), rule_id=rule.id)
    return rule.reply


def _cdata(value: str) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def reply_xml(reply: Reply, *, to_user: str, from_user: str, create_time: int | None = None):
    """The passive-reply XML (plaintext) of `reply` to follower `to_user` from the account
    `from_user` (the push's ToUserName, gh_…)."""
    head = (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time or time.time())}</CreateTime>"
        f"<MsgType>{_cdata(reply.kind)}</MsgType>"
    )
    if reply.kind == "image":
        body = f"<Image><MediaId>{_cdata(reply.media_id)}</MediaId></Image>"
    elif reply.kind == "news":
        # One article only: WeChat shows no more in a passive reply since 2018 (§13).
        body = (
            "<ArticleCount>1</ArticleCount><Articles><item>"
            f"<Title>{_cdata(reply.title)}</Title>"
            f"<Description>{_cdata(reply.description)}</Description>"
            f"<PicUrl>{_cdata(reply.pic_url)}</PicUrl><Url>{_cdata(reply.url)}</Url>"
            "</item></Articles>"
        )
    else:
        body = f"<Content>{_cdata(reply.text)}</Content>"
    return head + body + "</xml>"
