"""The custom menu (CONTRACT.md §12): create, get, delete, conditional menus, trymatch.

Limits are checked as WeChat answers them: 40016 button count, 40017 type, 40018 name bytes,
40019 key bytes, 40020 url bytes, 40023 sub-button count, 40024/40025/40026/40027 the same for
sub-buttons, 65303 a conditional menu without a default menu, 65304 an empty match rule,
65320 a rule on personal data, 65301 an unknown menuid, 46003 no menu. Which code WeChat
gives for each field is partly unconfirmed (see wechat/README.md); these follow the global
return-code table.

`menu_edit_in_backend(buttons)` (control API) is someone changing the menu on
mp.weixin.qq.com: followers, trymatch and get_current_selfmenu_info then show what they made
(menu/get keeps answering the API's last menu), until the next menu/create.
"""

from .common import ApiError, index_of

NAME_MAX = 16
SUB_NAME_MAX = 60
KEY_MAX = 128
URL_MAX = 1024
# Rules on personal data are refused since WeChat's privacy change (official page of
# addconditional): only tag_id and client_platform_type remain.
PRIVATE_RULES = ("sex", "country", "province", "city", "language")
CONDITIONAL_MAX = 20  # unconfirmed; not documented, commonly quoted
KEY_TYPES = {
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
}
TYPES = KEY_TYPES | {
    "view",
    "miniprogram",
    "article_id",
    "article_view_limited",
    "media_id",
    "view_limited",
}


def _size(value) -> int:
    return len(value.encode()) if isinstance(value, str) else 0


def _check_action(button: dict, sub: bool) -> None:
    kind = button.get("type")
    if kind not in TYPES:
        raise ApiError(40024 if sub else 40017, "invalid button type")
    if kind in KEY_TYPES and not 0 < _size(button.get("key")) <= KEY_MAX:
        raise ApiError(40026 if sub else 40019, "invalid button key size")
    if kind in ("view", "miniprogram") and not 0 < _size(button.get("url")) <= URL_MAX:
        raise ApiError(40027 if sub else 40020, "invalid button url size")
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise ApiError(40027 if sub else 40020, "invalid miniprogram button (appid, pagepath)")
    if kind in ("article_id", "article_view_limited") and not button.get("article_id"):
        raise ApiError(40007, "invalid media_id (article_id)")


def check_buttons(buttons) -> list:
    """The menu as stored (with WeChat's empty `sub_button` lists). Raises ApiError."""
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise ApiError(40016, "invalid button size")
    stored = []
    for button in buttons:
        if not isinstance(button, dict):
            raise ApiError(47001, "data format error")
        if not 0 < _size(button.get("name")) <= NAME_MAX:
            raise ApiError(40018, "invalid button name size")
        subs = button.get("sub_button") or []
        if subs:
            if not isinstance(subs, list) or len(subs) > 5:
                raise ApiError(40023, "invalid sub button size")
            for sub in subs:
                if not isinstance(sub, dict):
                    raise ApiError(47001, "data format error")
                if not 0 < _size(sub.get("name")) <= SUB_NAME_MAX:
                    raise ApiError(40025, "invalid sub button name size")
                _check_action(sub, sub=True)
            stored.append(
                {"name": button["name"], "sub_button": [{**s, "sub_button": []} for s in subs]}
            )
        else:
            _check_action(button, sub=False)
            stored.append({**button, "sub_button": []})
    return stored


class MenuApi:
    """The account's menus. Mixed into EmulatorState (state.py): handlers run under its lock,
    on its data (`self.menu`, `self.conditional_menus`), with its `_next()`."""

    def _menu_next(self) -> int:
        # Its own counter, so a state file written before menus existed still loads.
        self.seq["menu"] = self.seq.get("menu", 0) + 1
        return self.seq["menu"]

    def _menu_create(self, request: dict) -> dict:
        # What followers see is the API's menu again, whatever the backend had made.
        buttons = check_buttons(request["json"].get("button"))
        self.menu = {"button": buttons, "menuid": self._menu_next(), "backend": None}
        return {"errcode": 0, "errmsg": "ok"}

    def _menu_shown(self) -> list | None:
        """The default menu followers see: one made on the backend since, or the API's."""
        if not self.menu:
            return None
        return self.menu.get("backend") or self.menu.get("button")

    def _menu_get(self, request: dict) -> dict:
        if not self.menu or not self.menu.get("button"):
            raise ApiError(46003, "menu no exist")
        answer = {"menu": {"button": self.menu["button"], "menuid": self.menu["menuid"]}}
        if self.conditional_menus:
            answer["conditionalmenu"] = [
                {"button": m["button"], "matchrule": m["matchrule"], "menuid": m["menuid"]}
                for m in self.conditional_menus
            ]
        return answer

    def _menu_delete(self, request: dict) -> dict:
        self.menu = None
        self.conditional_menus = []
        return {"errcode": 0, "errmsg": "ok"}

    def _menu_addconditional(self, request: dict) -> dict:
        data = request["json"]
        buttons = check_buttons(data.get("button"))
        rule = data.get("matchrule")
        if not isinstance(rule, dict) or not any(v not in ("", None) for v in rule.values()):
            raise ApiError(65304, "match rule empty")
        if any(rule.get(field) not in ("", None) for field in PRIVATE_RULES):
            raise ApiError(65320, "matchrule contains private info (sex, region, language)")
        tag_id = rule.get("tag_id")
        if tag_id not in ("", None):
            try:
                tag_id = int(tag_id)
            except (TypeError, ValueError) as exc:
                raise ApiError(40050, "invalid tag_id") from exc
            if tag_id not in self.tags:
                raise ApiError(40050, "invalid tag_id")
        if not self._menu_shown():
            raise ApiError(65303, "there is no selfmenu, please create selfmenu first")
        if len(self.conditional_menus) >= CONDITIONAL_MAX:
            raise ApiError(65305, "personalized menu size limit")
        menuid = 400_000_000 + self._menu_next()
        self.conditional_menus.append(
            {"button": buttons, "matchrule": {k: str(v) for k, v in rule.items()}, "menuid": menuid}
        )
        return {"menuid": str(menuid)}

    def _menu_delconditional(self, request: dict) -> dict:
        menuid = str(request["json"].get("menuid", ""))
        remaining = [m for m in self.conditional_menus if str(m["menuid"]) != menuid]
        if len(remaining) == len(self.conditional_menus):
            raise ApiError(65301, "no such menuid")
        self.conditional_menus = remaining
        return {"errcode": 0, "errmsg": "ok"}

    def _menu_trymatch(self, request: dict) -> dict:
        index = index_of(request["json"].get("user_id"))
        if index is None or index >= self.follower_count:
            raise ApiError(40003, "invalid openid")
        shown = self._menu_shown()
        if not shown:
            raise ApiError(46003, "menu no exist")
        tags = self.follower_tags.get(index, set())
        for menu in reversed(self.conditional_menus):
            tag_id = menu["matchrule"].get("tag_id")
            if tag_id and int(tag_id) in tags:
                return {"button": menu["button"]}
        return {"button": shown}

    def _menu_selfmenu_info(self, request: dict) -> dict:
        shown = self._menu_shown()
        if not shown:
            return {"is_menu_open": 0}
        buttons = []
        for button in shown:
            if button.get("sub_button"):
                buttons.append(
                    {"name": button["name"], "sub_button": {"list": button["sub_button"]}}
                )
            else:
                buttons.append({k: v for k, v in button.items() if k != "sub_button"})
        return {"is_menu_open": 1, "selfmenu_info": {"button": buttons}}

    def menu_edit_in_backend(self, buttons: list) -> None:
        """Someone changed the menu on mp.weixin.qq.com (control API): followers and
        get_current_selfmenu_info show it; menu/get still answers the API's last menu (the
        backend's own kinds, e.g. `text` with a `value`, are accepted). Raises ValueError."""
        with self.lock:
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
                raise ValueError("1 to 3 buttons")
            if not all(isinstance(b, dict) and b.get("name") for b in buttons):
                raise ValueError("every button needs a name")
            self.menu = {
                **(self.menu or {"button": None, "menuid": self._menu_next()}),
                "backend": [{**b, "sub_button": b.get("sub_button") or []} for b in buttons],
            }
            self._save()
