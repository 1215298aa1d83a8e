"""The account's custom menus: validate, save, approve, publish, read back, roll back.

A change is a `MenuVersion` awaiting approval; anyone with `wechat.change_menu` edits it, and
a reviewer who did not edit it approves it (four eyes, as for pushes). Approval hands the
version to `menu_publish_task` after commit; `menu_publish` creates the default menu or
replaces the tag's conditional menu on WeChat and records the answer. `menu_drift` compares
what we last published with what WeChat holds now (someone may have edited the menu on
mp.weixin.qq.com); `menu_adopt_wechat` takes WeChat's version as ours, `menu_republish`
publishes ours again. Rollback is a new version copied from an older one, approved like any.
"""

import difflib
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.queueing import enqueue
from editorial.actors import is_person, is_reviewer
from editorial.errors import InvalidValueError, NotAllowedError, TransitionError

from ..errors import InvalidRequestError, RetryableError, WeChatError
from ..gateway import WeChatGateway, menu_normalized
from ..gateway.menu import (
    MENU_BUTTONS_MAX,
    MENU_KEY_MAX_BYTES,
    MENU_NAME_MAX_BYTES,
    MENU_PAGEPATH_MAX_BYTES,
    MENU_SUB_BUTTONS_MAX,
    MENU_SUB_NAME_MAX_BYTES,
    MENU_TYPES,
    MENU_URL_MAX_BYTES,
)
from ..models import Menu, MenuVersion, MenuVersionState

logger = logging.getLogger(__name__)

DEFAULT_MENU_NAME = "默认菜单"
# The kinds of button the editor offers; a menu taken from WeChat may hold others, which are
# kept as they are.
EDITOR_TYPES = ("view", "click", "miniprogram")
APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")
KEY_RE = re.compile(r"^[A-Za-z0-9_\-.:]+$")


def _size(value: str) -> int:
    return len(value.encode())


def _label(top: int, sub: int | None) -> str:
    if sub is None:
        return gettext("Button %(n)s") % {"n": top + 1}
    return gettext("Button %(n)s, item %(m)s") % {"n": top + 1, "m": sub + 1}


def menu_url_hosts() -> set[str]:
    """The hosts a menu link may open: the site's own and WECHAT_MENU_URL_HOSTS."""
    hosts = {h.lower() for h in settings.WECHAT_MENU_URL_HOSTS}
    site = urlsplit(settings.SITE_URL).hostname
    if site:
        hosts.add(site.lower())
    return hosts


def menu_url_problem(url: str) -> str | None:
    """Why `url` may not be a menu link, or None. https on an allowed host; a link to the site
    itself may use SITE_URL's own scheme (http while developing)."""
    if _size(url) > MENU_URL_MAX_BYTES:
        return gettext("The link is longer than %(max)s bytes.") % {"max": MENU_URL_MAX_BYTES}
    if not url.isascii() or not url.isprintable() or any(c in url for c in " \\@"):
        return gettext("The link contains characters a link may not contain.")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return gettext("The link is not a valid address.")
    site = urlsplit(settings.SITE_URL)
    own_site = host == (site.hostname or "").lower() and parts.scheme == site.scheme
    if parts.scheme != "https" and not own_site:
        return gettext("The link must start with https://.")
    if host not in menu_url_hosts():
        return gettext("Links may only open %(hosts)s.") % {
            "hosts": "、".join(sorted(menu_url_hosts()))
        }
    return None


def _action_problems(button: dict, where: str) -> list[str]:
    problems = []
    kind = button.get("type")
    if kind == "click":
        key = str(button.get("key") or "")
        if not key:
            problems.append(gettext("%(where)s: enter a key.") % {"where": where})
        elif _size(key) > MENU_KEY_MAX_BYTES:
            problems.append(
                gettext("%(where)s: the key may be at most %(max)s bytes, it has %(n)s.")
                % {"where": where, "max": MENU_KEY_MAX_BYTES, "n": _size(key)}
            )
        elif not KEY_RE.match(key):
            problems.append(
                gettext("%(where)s: a key uses letters, digits and _ - . : only.")
                % {"where": where}
            )
    elif kind in ("view", "miniprogram"):
        url = str(button.get("url") or "")
        if not url:
            if kind == "view":
                problems.append(gettext("%(where)s: enter a link.") % {"where": where})
            else:
                problems.append(
                    gettext("%(where)s: enter the link older WeChat versions open instead.")
                    % {"where": where}
                )
        else:
            problem = menu_url_problem(url)
            if problem:
                problems.append(f"{where}: {problem}")
        if kind == "miniprogram":
            if not APPID_RE.match(str(button.get("appid") or "")):
                problems.append(
                    gettext("%(where)s: the mini program's AppID looks like wx and 16 letters.")
                    % {"where": where}
                )
            pagepath = str(button.get("pagepath") or "")
            if not pagepath or _size(pagepath) > MENU_PAGEPATH_MAX_BYTES:
                problems.append(
                    gettext("%(where)s: enter the mini program's page path.") % {"where": where}
                )
    elif kind is None or kind == "":
        problems.append(gettext("%(where)s: choose what the button does.") % {"where": where})
    elif not isinstance(kind, str) or not kind.isascii():
        problems.append(gettext("%(where)s: unknown kind of button.") % {"where": where})
    return problems


def menu_problems(buttons) -> list[str]:
    """What WeChat would refuse in `buttons`, in the user's language ([] when none): 1 to 3
    buttons, each an action or 1 to 5 items; names ≤ 16 bytes (items ≤ 60), keys ≤ 128 bytes,
    links ≤ 1024 bytes, https on an allowed host; mini programs need AppID and page path."""
    if not isinstance(buttons, list) or not buttons:
        return [gettext("A menu needs at least one button.")]
    if len(buttons) > MENU_BUTTONS_MAX:
        return [gettext("A menu has at most %(max)s buttons.") % {"max": MENU_BUTTONS_MAX}]
    problems = []
    for i, button in enumerate(buttons):
        where = _label(i, None)
        name = str(button.get("name") or "")
        if not name:
            problems.append(gettext("%(where)s: enter a name.") % {"where": where})
        elif _size(name) > MENU_NAME_MAX_BYTES:
            problems.append(
                gettext(
                    "%(where)s: the name may be at most %(max)s bytes (4 Chinese characters), "
                    "“%(name)s” has %(n)s."
                )
                % {"where": where, "max": MENU_NAME_MAX_BYTES, "name": name, "n": _size(name)}
            )
        subs = button.get("sub_button") or []
        if len(subs) > MENU_SUB_BUTTONS_MAX:
            problems.append(
                gettext("%(where)s: at most %(max)s items.")
                % {"where": where, "max": MENU_SUB_BUTTONS_MAX}
            )
        if not subs:
            problems += _action_problems(button, where)
        for j, sub in enumerate(subs):
            where_sub = _label(i, j)
            sub_name = str(sub.get("name") or "")
            if not sub_name:
                problems.append(gettext("%(where)s: enter a name.") % {"where": where_sub})
            elif _size(sub_name) > MENU_SUB_NAME_MAX_BYTES:
                problems.append(
                    gettext(
                        "%(where)s: the name may be at most %(max)s bytes, “%(name)s” has %(n)s."
                    )
                    % {
                        "where": where_sub,
                        "max": MENU_SUB_NAME_MAX_BYTES,
                        "name": sub_name,
                        "n": _size(sub_name),
                    }
                )
            problems += _action_problems(sub, where_sub)
    return problems


# Reading


def menu_default() -> Menu:
    """The account's default menu (made on first use)."""
    menu = Menu.objects.filter(tag_id__isnull=True).order_by("pk").first()
    if menu is None:
        menu, _created = Menu.objects.get_or_create(tag_id=None, name=DEFAULT_MENU_NAME)
    return menu


def menu_published(menu: Menu) -> MenuVersion | None:
    """The version WeChat should hold now (the last one published or being published)."""
    return (
        menu.versions.filter(state__in=(MenuVersionState.PUBLISHED, MenuVersionState.APPROVED))
        .order_by("-number")
        .first()
    )


def menu_open_version(menu: Menu) -> MenuVersion | None:
    """The version awaiting approval, if any (there is at most one)."""
    return menu.versions.filter(state=MenuVersionState.DRAFT).order_by("-number").first()


def menu_changers(version: MenuVersion) -> set[int]:
    """Ids of whoever created or changed the version: none of them may approve it."""
    ids = {int(i) for i in version.editor_ids or [] if str(i).isdigit()}
    if version.created_by_id:
        ids.add(version.created_by_id)
    return ids


# Changing


def _may_edit(by) -> None:
    if not (is_person(by) and by.has_perm("wechat.change_menu")):
        raise NotAllowedError(_("You may not change the WeChat menu."))


def _next_number(menu: Menu) -> int:
    return (menu.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def menu_save(*, menu: Menu, buttons: list, by, note: str = "") -> MenuVersion:
    """Save `buttons` as the menu's version awaiting approval (the open one is changed; else a
    new one is made). Raises NotAllowedError and InvalidValueError (the problems, joined)."""
    _may_edit(by)
    problems = menu_problems(buttons)
    if problems:
        raise InvalidValueError(" ".join(problems))
    with transaction.atomic():
        menu = Menu.objects.select_for_update().get(pk=menu.pk)
        version = menu_open_version(menu)
        if version is None:
            version = MenuVersion(menu=menu, number=_next_number(menu), created_by=by, note=note)
        version.buttons = buttons
        version.editor_ids = sorted(set(version.editor_ids or []) | {by.pk})
        version.updated_at = timezone.now()
        if note:
            version.note = note
        version.save()
    return version


def menu_discard(*, version: MenuVersion, by) -> MenuVersion:
    """Drop a version awaiting approval. Raises NotAllowedError, TransitionError."""
    if not (is_reviewer(by) or by.pk in menu_changers(version)):
        raise NotAllowedError(_("Only its editors or a reviewer can discard this version."))
    with transaction.atomic():
        version = MenuVersion.objects.select_for_update().get(pk=version.pk)
        if version.state != MenuVersionState.DRAFT:
            raise TransitionError(_("This version is no longer awaiting approval."))
        version.state = MenuVersionState.DISCARDED
        version.save(update_fields=["state"])
    return version


def menu_rollback(*, version: MenuVersion, by) -> MenuVersion:
    """A new version awaiting approval with the buttons of the older `version`. Raises
    NotAllowedError, TransitionError (another version already awaits approval)."""
    _may_edit(by)
    with transaction.atomic():
        menu = Menu.objects.select_for_update().get(pk=version.menu_id)
        if menu_open_version(menu) is not None:
            raise TransitionError(
                _("Another version awaits approval: approve or discard it first.")
            )
        return MenuVersion.objects.create(
            menu=menu,
            number=_next_number(menu),
            buttons=version.buttons,
            created_by=by,
            editor_ids=[by.pk],
            note=gettext("Back to version %(n)s") % {"n": version.number},
        )


def _may_approve(version: MenuVersion, by) -> None:
    if not is_reviewer(by):
        raise NotAllowedError(_("Only reviewers can approve the WeChat menu."))
    # Four eyes, strictly: the menu is the account's front door, so nobody who made or
    # changed this version approves it, whatever EDITORIAL_ALLOW_SELF_APPROVAL says.
    if by.pk in menu_changers(version):
        raise NotAllowedError(
            _("You edited this version of the menu: another reviewer has to approve it.")
        )


def _enqueue_publish(version_id: int) -> None:
    from ..tasks import menu_publish_task

    transaction.on_commit(lambda: enqueue(menu_publish_task, version_id))


def menu_approve(*, version: MenuVersion, by) -> MenuVersion:
    """Approve a version awaiting approval and queue its publishing after commit.
    Raises NotAllowedError (not a reviewer, or one of its editors), TransitionError."""
    _may_approve(version, by)
    with transaction.atomic():
        version = MenuVersion.objects.select_for_update().get(pk=version.pk)
        if version.state != MenuVersionState.DRAFT:
            raise TransitionError(_("This version is no longer awaiting approval."))
        _may_approve(version, by)  # its editors as read under the lock
        version.state = MenuVersionState.APPROVED
        version.approved_by = by
        version.approved_at = timezone.now()
        version.save(update_fields=["state", "approved_by", "approved_at"])
        _enqueue_publish(version.pk)
    return version


def menu_republish(*, menu: Menu, by) -> MenuVersion:
    """Publish the menu's current version again (after WeChat's menu drifted, or when its
    publishing failed or never left the queue). Raises NotAllowedError, TransitionError."""
    if not is_reviewer(by):
        raise NotAllowedError(_("Only reviewers can publish the WeChat menu."))
    with transaction.atomic():
        menu = Menu.objects.select_for_update().get(pk=menu.pk)
        version = (
            menu.versions.filter(
                state__in=(
                    MenuVersionState.PUBLISHED,
                    MenuVersionState.APPROVED,
                    MenuVersionState.FAILED,
                )
            )
            .order_by("-number")
            .first()
        )
        if version is None or not version.approved_at:
            raise TransitionError(_("This menu has no approved version to publish."))
        version.state = MenuVersionState.APPROVED
        version.error_code, version.error_message = None, ""
        version.save(update_fields=["state", "error_code", "error_message"])
        _enqueue_publish(version.pk)
    return version


def menu_adopt_wechat(*, menu: Menu, by, buttons: list) -> MenuVersion:
    """Record WeChat's current menu (`buttons`, as read back) as the menu's published version:
    WeChat already shows it, so nothing is sent. Raises NotAllowedError, InvalidValueError."""
    if not is_reviewer(by):
        raise NotAllowedError(_("Only reviewers can take WeChat's menu as ours."))
    if not buttons:
        raise InvalidValueError(_("WeChat holds no menu to take."))
    if any(
        button.get("type") not in MENU_TYPES
        for top in buttons
        for button in (top.get("sub_button") or [top])
    ):
        raise InvalidValueError(
            _(
                "WeChat's menu has buttons only its own backend makes (a text, a picture, a "
                "news card): make them here as keys or links instead, then publish ours."
            )
        )
    with transaction.atomic():
        menu = Menu.objects.select_for_update().get(pk=menu.pk)
        now = timezone.now()
        menu.versions.filter(state=MenuVersionState.PUBLISHED).update(
            state=MenuVersionState.SUPERSEDED
        )
        return MenuVersion.objects.create(
            menu=menu,
            number=_next_number(menu),
            buttons=buttons,
            state=MenuVersionState.PUBLISHED,
            created_by=by,
            editor_ids=[by.pk],
            approved_by=by,
            approved_at=now,
            published_at=now,
            note=gettext("Taken from WeChat"),
        )


def menu_remove(*, menu: Menu, by, gateway: WeChatGateway | None = None) -> None:
    """Remove a conditional menu: from WeChat first (already gone counts as done), then here
    with its versions. Raises NotAllowedError (not a reviewer; the default menu is never
    removed) and WeChatError (WeChat kept it; nothing is removed here)."""
    if not is_reviewer(by):
        raise NotAllowedError(_("Only reviewers can remove a conditional menu."))
    if menu.is_default:
        raise NotAllowedError(_("The default menu cannot be removed."))
    if menu.wechat_menuid:
        try:
            (gateway or WeChatGateway()).menu_delete_conditional(menu.wechat_menuid)
        except InvalidRequestError as exc:
            if exc.errcode != 65301:
                raise
    menu.delete()


# Publishing


def _publish_to_wechat(menu: Menu, buttons: list, gateway: WeChatGateway) -> str:
    if menu.is_default:
        gateway.menu_create(buttons)
        return ""
    current = gateway.menu_get()
    if not current.buttons:
        raise InvalidRequestError(65303, "there is no selfmenu (checked before addconditional)")
    # Replace the tag's conditional menu, ours or one a run that lost WeChat's answer made:
    # deleting by tag first keeps a second run from leaving two.
    for conditional in current.conditional:
        if str(conditional.matchrule.get("tag_id", "")) == str(menu.tag_id):
            try:
                gateway.menu_delete_conditional(conditional.menuid)
            except InvalidRequestError as exc:
                if exc.errcode != 65301:  # already gone
                    raise
    return gateway.menu_add_conditional(buttons, matchrule={"tag_id": str(menu.tag_id)})


def menu_publish(*, version_id: int, gateway: WeChatGateway | None = None) -> MenuVersion | None:
    """Publish an approved version to WeChat. Safe to run twice: a version not APPROVED
    returns at once, and WeChat's menu calls replace rather than add. Final refusals are
    stored on the version (FAILED); RetryableError is raised for the task to retry."""
    gateway = gateway or WeChatGateway()
    with transaction.atomic():
        version = (
            MenuVersion.objects.select_for_update().select_related("menu").filter(pk=version_id)
        ).first()
        if version is None or version.state != MenuVersionState.APPROVED:
            return version
        newer = version.menu.versions.filter(
            number__gt=version.number,
            state__in=(MenuVersionState.APPROVED, MenuVersionState.PUBLISHED),
        )
        if newer.exists():
            # A later version was approved while this one waited for a retry: publishing this
            # one now would put the older menu back on WeChat.
            version.state = MenuVersionState.SUPERSEDED
            version.save(update_fields=["state"])
            return version
        # The row stays locked during the (short, idempotent) calls: two runs at once would
        # otherwise both add the tag's conditional menu.
        try:
            menuid = _publish_to_wechat(version.menu, version.buttons, gateway)
        except RetryableError:
            raise
        except WeChatError as exc:
            logger.warning("WeChat refused menu version %s: %s", version.pk, exc)
            version.state = MenuVersionState.FAILED
            version.error_code = exc.errcode
            version.error_message = exc.user_message
            version.save(update_fields=["state", "error_code", "error_message"])
            return version
        menu = version.menu
        if menuid:
            menu.wechat_menuid = menuid
            menu.save(update_fields=["wechat_menuid"])
        menu.versions.filter(state=MenuVersionState.PUBLISHED).exclude(pk=version.pk).update(
            state=MenuVersionState.SUPERSEDED
        )
        version.state = MenuVersionState.PUBLISHED
        version.published_at = timezone.now()
        version.error_code, version.error_message = None, ""
        version.save(update_fields=["state", "published_at", "error_code", "error_message"])
    return version


def menu_publish_failed(*, version_id: int, error: WeChatError) -> None:
    """Record that publishing gave up after its retries (the task's last word)."""
    MenuVersion.objects.filter(pk=version_id, state=MenuVersionState.APPROVED).update(
        state=MenuVersionState.FAILED, error_code=error.errcode, error_message=error.user_message
    )


# Drift


@dataclass(frozen=True)
class MenuDrift:
    """Our published buttons beside WeChat's, and the lines that differ."""

    ours: list
    theirs: list
    diff: list[tuple[str, str]]  # ("-" ours only / "+" WeChat only / " " both, line)

    @property
    def differs(self) -> bool:
        return any(sign != " " for sign, _line in self.diff)


def _describe(button: dict) -> str:
    kind = button.get("type", "")
    if kind == "view":
        return f"{gettext('link')} {button.get('url', '')}"
    if kind == "miniprogram":
        return (
            f"{gettext('mini program')} {button.get('appid', '')} {button.get('pagepath', '')}"
            f" ({button.get('url', '')})"
        )
    if kind == "click":
        return f"{gettext('key')} {button.get('key', '')}"
    if "key" in button:
        return f"{kind} {gettext('key')} {button.get('key', '')}"
    if "value" in button:  # made on WeChat's backend: a text, a picture, a voice…
        return f"{kind} {button.get('value', '')}"
    if "article_id" in button:
        return f"{kind} {button.get('article_id', '')}"
    return kind


def menu_lines(buttons: list) -> list[str]:
    """The menu as lines a person compares: `name — action`, items indented."""
    lines = []
    for button in menu_normalized(buttons):
        if button.get("sub_button"):
            lines.append(button.get("name", ""))
            lines += [
                f"    {sub.get('name', '')} — {_describe(sub)}" for sub in button["sub_button"]
            ]
        else:
            lines.append(f"{button.get('name', '')} — {_describe(button)}")
    return lines


def menu_drift(*, menu: Menu, gateway: WeChatGateway | None = None) -> MenuDrift:
    """Compare the menu's published version with what WeChat holds now. Raises WeChatError."""
    gateway = gateway or WeChatGateway()
    if menu.is_default:
        # What followers see: a menu made on mp.weixin.qq.com is not in menu/get.
        theirs = gateway.menu_shown().buttons
    else:
        state = gateway.menu_get()
        theirs = next(
            (
                c.buttons
                for c in state.conditional
                if str(c.matchrule.get("tag_id", "")) == str(menu.tag_id)
            ),
            [],
        )
    published = menu_published(menu)
    ours = menu_normalized(published.buttons) if published else []
    diff = [
        (line[0], line[2:])
        for line in difflib.ndiff(menu_lines(ours), menu_lines(theirs))
        if line[:1] in ("-", "+", " ")
    ]
    return MenuDrift(ours=ours, theirs=theirs, diff=diff)
