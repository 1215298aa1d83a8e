"""The custom menu (自定义菜单, CONTRACT.md §12): create, read back, delete, conditional menus.

Buttons go and come as WeChat's own JSON (`{"type", "name", "key"|"url"|…, "sub_button"}`),
plain dicts and lists. `menu_buttons_check` applies the contract's limits locally with WeChat's
errcodes, so a menu WeChat would refuse never leaves; the admin's validation (wechat.services
.menu) says the same in Chinese before it gets here.
"""

from dataclasses import dataclass, field

from .. import errors

MENU_BUTTONS_MAX = 3
MENU_SUB_BUTTONS_MAX = 5
MENU_NAME_MAX_BYTES = 16  # 4 Chinese characters
MENU_SUB_NAME_MAX_BYTES = 60  # unconfirmed: older pages say 40, the community measures 60
MENU_KEY_MAX_BYTES = 128
MENU_URL_MAX_BYTES = 1024
MENU_PAGEPATH_MAX_BYTES = 1024  # not documented; the same bound as url keeps it sane
# Button types that carry a `key` (an event comes back with it as EventKey).
KEY_TYPES = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
ARTICLE_TYPES = frozenset({"article_id", "article_view_limited", "media_id", "view_limited"})
MENU_TYPES = KEY_TYPES | ARTICLE_TYPES | {"view", "miniprogram"}
# WeChat's answer to menu/get when no menu was made through the API.
NO_MENU = 46003


@dataclass(frozen=True)
class ConditionalMenu:
    """A conditional (personalised) menu as WeChat holds it."""

    menuid: str
    buttons: list
    matchrule: dict


@dataclass(frozen=True)
class MenuState:
    """What menu/get answers: the default menu (empty: none) and the conditional menus."""

    buttons: list
    menuid: str = ""
    conditional: list[ConditionalMenu] = field(default_factory=list)


@dataclass(frozen=True)
class MenuShown:
    """What get_current_selfmenu_info answers: whether a menu is on, and the default menu
    followers see, whether made through the API or on mp.weixin.qq.com."""

    is_open: bool
    buttons: list


def _bytes(value) -> int:
    return len(str(value).encode())


def _check_action(button: dict, *, sub: bool) -> None:
    type_code, key_code, url_code = (40024, 40026, 40027) if sub else (40017, 40019, 40020)
    kind = button.get("type")
    if kind not in MENU_TYPES:
        raise errors.InvalidRequestError(type_code, "invalid button type (checked locally)")
    if kind in KEY_TYPES:
        key = button.get("key")
        if not isinstance(key, str) or not key or _bytes(key) > MENU_KEY_MAX_BYTES:
            raise errors.InvalidRequestError(key_code, "invalid button key size (checked locally)")
    if kind in ("view", "miniprogram"):
        url = button.get("url")
        if not isinstance(url, str) or not url or _bytes(url) > MENU_URL_MAX_BYTES:
            raise errors.InvalidRequestError(url_code, "invalid button url size (checked locally)")
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise errors.InvalidRequestError(40027 if sub else 40020, "miniprogram needs appid")


def menu_buttons_check(buttons) -> None:
    """Raise InvalidRequestError with WeChat's errcode when `buttons` breaks §12's limits."""
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MENU_BUTTONS_MAX:
        raise errors.InvalidRequestError(40016, "invalid button size (checked locally)")
    for button in buttons:
        if not isinstance(button, dict):
            raise errors.InvalidRequestError(47001, "data format error (checked locally)")
        name = button.get("name")
        if not isinstance(name, str) or not name or _bytes(name) > MENU_NAME_MAX_BYTES:
            raise errors.InvalidRequestError(40018, "invalid button name size (checked locally)")
        subs = button.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > MENU_SUB_BUTTONS_MAX:
                raise errors.InvalidRequestError(40023, "invalid sub button size (checked locally)")
            for sub in subs:
                if not isinstance(sub, dict):
                    raise errors.InvalidRequestError(47001, "data format error (checked locally)")
                name = sub.get("name")
                if not isinstance(name, str) or not name or _bytes(name) > MENU_SUB_NAME_MAX_BYTES:
                    raise errors.InvalidRequestError(
                        40025, "invalid sub button name size (checked locally)"
                    )
                _check_action(sub, sub=True)
        else:
            _check_action(button, sub=False)


def menu_normalized(buttons) -> list:
    """`buttons` as a comparable list: WeChat's read-back adds empty `sub_button` lists and may
    order keys differently; a top button with sub-buttons carries no action of its own."""
    result = []
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        subs = button.get("sub_button") or []
        if isinstance(subs, dict):  # get_current_selfmenu_info's `{"list": [...]}` form
            subs = subs.get("list") or []
        subs = menu_normalized([sub for sub in subs if isinstance(sub, dict)])
        clean = {k: v for k, v in button.items() if k != "sub_button" and v not in ("", None)}
        if subs:
            clean = {"name": clean.get("name", ""), "sub_button": subs}
        result.append(clean)
    return result


def _menu_shown(answer: dict) -> MenuShown:
    info = answer.get("selfmenu_info") or {}
    return MenuShown(
        is_open=bool(int(answer.get("is_menu_open", 0) or 0)),
        buttons=menu_normalized(info.get("button")),
    )


def _menu_state(answer: dict) -> MenuState:
    menu = answer.get("menu") or {}
    conditional = [
        ConditionalMenu(
            menuid=str(item.get("menuid", "")),
            buttons=menu_normalized(item.get("button")),
            matchrule=dict(item.get("matchrule") or {}),
        )
        for item in answer.get("conditionalmenu") or []
    ]
    return MenuState(
        buttons=menu_normalized(menu.get("button")),
        menuid=str(menu.get("menuid", "")),
        conditional=conditional,
    )


class MenuAPI:
    """The gateway's custom-menu calls (mixed into WeChatGateway)."""

    def menu_create(self, buttons: list) -> None:
        """Replace the account's default menu with `buttons` (1–3 buttons, each an action or
        1–5 sub-buttons). Raises InvalidRequestError (40016–40027 limits, checked locally
        first; 40054/40055 a URL domain WeChat refuses) and RetryableError."""
        menu_buttons_check(buttons)
        self._call("POST", "cgi-bin/menu/create", body={"button": buttons})

    def menu_get(self) -> MenuState:
        """The menu made through the API and its conditional menus (empty when there is none).
        Raises RetryableError."""
        try:
            return self._call("GET", "cgi-bin/menu/get", parse=_menu_state)
        except errors.InvalidRequestError as exc:
            if exc.errcode == NO_MENU:
                return MenuState(buttons=[])
            raise

    def menu_shown(self) -> MenuShown:
        """The default menu followers see now, also when someone made it on mp.weixin.qq.com
        (get_current_selfmenu_info). Raises RetryableError."""
        return self._call("GET", "cgi-bin/get_current_selfmenu_info", parse=_menu_shown)

    def menu_delete(self) -> None:
        """Delete the default menu and every conditional menu. Raises RetryableError."""
        self._call("GET", "cgi-bin/menu/delete")

    def menu_add_conditional(self, buttons: list, *, matchrule: dict) -> str:
        """Add a conditional menu shown to followers matching `matchrule` (e.g. `{"tag_id":
        "101"}`); return its menuid. Raises InvalidRequestError (65303: no default menu yet,
        65304/65307: empty rule, 40016–40027 limits) and RetryableError."""
        menu_buttons_check(buttons)
        rule = {k: str(v) for k, v in matchrule.items() if v not in ("", None)}
        if not rule:
            raise errors.InvalidRequestError(65304, "matchrule empty (checked locally)")
        return self._call(
            "POST",
            "cgi-bin/menu/addconditional",
            body={"button": buttons, "matchrule": rule},
            parse=lambda r: str(r["menuid"]),
        )

    def menu_delete_conditional(self, menuid: str) -> None:
        """Delete one conditional menu. Raises InvalidRequestError (65301: no such menu)."""
        self._call("POST", "cgi-bin/menu/delconditional", body={"menuid": str(menuid)})

    def menu_try_match(self, openid: str) -> list:
        """The buttons the follower `openid` sees (their conditional menu, or the default).
        Raises InvalidRequestError (40003/46003) and RetryableError."""
        return self._call(
            "POST",
            "cgi-bin/menu/trymatch",
            body={"user_id": openid},
            parse=lambda r: menu_normalized(r["button"]),
        )
