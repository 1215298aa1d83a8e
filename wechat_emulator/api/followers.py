"""Followers and tags: user/get, user/info, batchget, tags/*, user/tag/get."""

from .common import ApiError, index_of, openid_for

SYSTEM_TAGS = {0, 1, 2}
STARRED_TAG = 2
MAX_TAGS = 100
MAX_TAGS_PER_FOLLOWER = 20
TAG_DELETE_MAX_FOLLOWERS = 100_000
_SCENES = ["ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_OTHERS"]


class FollowerApi:
    """The numbered followers (some unfollowed) and the tags they carry (CONTRACT.md §7, §8).

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    def _is_follower(self, index: int | None) -> bool:
        return index is not None and index < self.follower_count and index not in self.unsubscribed

    def _page(self, indexes, after: int | None) -> dict:
        """A user/get-style page from sorted `indexes` (an iterable), starting after `after`."""
        size = self.config.page_size
        page, more = [], False
        for index in indexes:
            if after is not None and index <= after:
                continue
            if len(page) == size:
                more = True
                break
            page.append(index)
        if not page:
            return {"count": 0, "next_openid": ""}
        last = openid_for(page[-1])
        if not more and self.config.user_get_end == "empty_next_openid":
            last = ""
        return {
            "count": len(page),
            "data": {"openid": [openid_for(i) for i in page]},
            "next_openid": last,
        }

    def _cursor(self, next_openid) -> int | None:
        if not next_openid:
            return None
        index = index_of(next_openid)
        if index is None or index >= self.follower_count:
            raise ApiError(40003, "invalid next_openid")
        return index

    def _user_get(self, request: dict) -> dict:
        after = self._cursor(request["query"].get("next_openid"))
        start = 0 if after is None else after + 1
        indexes = (i for i in range(start, self.follower_count) if i not in self.unsubscribed)
        return {"total": self.follower_count - len(self.unsubscribed), **self._page(indexes, None)}

    def _info(self, index: int, lang: str = "zh_CN") -> dict:
        openid = openid_for(index)
        if index in self.unsubscribed:
            return {"subscribe": 0, "openid": openid}
        return {
            "subscribe": 1,
            "openid": openid,
            "language": lang or "zh_CN",
            "subscribe_time": 1_600_000_000 + index * 600,
            "remark": "",
            "groupid": 0,
            "tagid_list": sorted(self.follower_tags.get(index, ())),
            "subscribe_scene": _SCENES[index % len(_SCENES)],
            "qr_scene": 0,
            "qr_scene_str": "",
        }

    def _known(self, openid) -> int:
        index = index_of(openid)
        if index is None or index >= self.follower_count:
            raise ApiError(40003, "invalid openid")
        return index

    def _user_info(self, request: dict) -> dict:
        q = request["query"]
        return self._info(self._known(q.get("openid")), q.get("lang", "zh_CN"))

    def _user_batchget(self, request: dict) -> dict:
        users = request["json"].get("user_list")
        if not isinstance(users, list) or not users or len(users) > 100:
            raise ApiError(40032, "invalid openid list size (1 to 100)")
        answer = []
        for user in users:
            if not isinstance(user, dict):
                raise ApiError(47001, "data format error")
            answer.append(self._info(self._known(user.get("openid")), user.get("lang", "zh_CN")))
        return {"user_info_list": answer}

    def _tag_name(self, name, *, tag_id: int | None = None) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(45157, "invalid tag name")
        if len(name.encode()) > 30:
            raise ApiError(45158, "tag name too long")
        if any(n == name and i != tag_id for i, n in self.tags.items()):
            raise ApiError(45157, "invalid tag name (duplicate)")
        return name

    def _tag_id(self, data: dict, *, system_ok: bool) -> int:
        tag = data.get("tag") if "tag" in data else {"id": data.get("tagid")}
        tag_id = (tag or {}).get("id")
        if not system_ok and tag_id in SYSTEM_TAGS:
            raise ApiError(45058, "can't modify sys tag")
        if not isinstance(tag_id, int) or tag_id not in self.tags:
            raise ApiError(45159, "invalid tag id")
        return tag_id

    def _tag_create(self, request: dict) -> dict:
        name = self._tag_name((request["json"].get("tag") or {}).get("name"))
        if len([i for i in self.tags if i not in SYSTEM_TAGS]) >= MAX_TAGS:
            raise ApiError(45056, "too many tags")
        tag_id = self._next("tag")
        self.tags[tag_id] = name
        self.tag_members[tag_id] = set()
        return {"tag": {"id": tag_id, "name": name}}

    def _tags_get(self, request: dict) -> dict:
        return {
            "tags": [
                {"id": i, "name": n, "count": len(self.tag_members.get(i, ()))}
                for i, n in sorted(self.tags.items())
            ]
        }

    def _tag_update(self, request: dict) -> dict:
        data = request["json"]
        tag_id = self._tag_id(data, system_ok=False)
        self.tags[tag_id] = self._tag_name((data.get("tag") or {}).get("name"), tag_id=tag_id)
        return {"errcode": 0, "errmsg": "ok"}

    def _tag_delete(self, request: dict) -> dict:
        tag_id = self._tag_id(request["json"], system_ok=False)
        if len(self.tag_members.get(tag_id, ())) > TAG_DELETE_MAX_FOLLOWERS:
            raise ApiError(45057, "can't delete the tag that has too many fans")
        for index in self.tag_members.pop(tag_id, set()):
            self.follower_tags.get(index, set()).discard(tag_id)
        del self.tags[tag_id]
        return {"errcode": 0, "errmsg": "ok"}

    def _member_indexes(self, data: dict) -> list[int]:
        openids = data.get("openid_list")
        if not isinstance(openids, list) or not openids or len(openids) > 50:
            raise ApiError(40032, "invalid openid list size (1 to 50)")
        indexes = []
        for openid in openids:
            index = index_of(openid)
            if not self._is_follower(index):
                raise ApiError(40003, "invalid openid")
            indexes.append(index)
        return indexes

    def _tag_members_add(self, request: dict) -> dict:
        data = request["json"]
        tag_id = self._tag_id(data, system_ok=True)
        indexes = self._member_indexes(data)
        for index in indexes:
            tags = self.follower_tags.get(index, set())
            if tag_id not in tags and len(tags) >= MAX_TAGS_PER_FOLLOWER:
                raise ApiError(45059, "fans already has too many tags")
        for index in indexes:
            self.follower_tags.setdefault(index, set()).add(tag_id)
            self.tag_members[tag_id].add(index)
        return {"errcode": 0, "errmsg": "ok"}

    def _tag_members_remove(self, request: dict) -> dict:
        data = request["json"]
        tag_id = self._tag_id(data, system_ok=True)
        for index in self._member_indexes(data):
            self.follower_tags.get(index, set()).discard(tag_id)
            self.tag_members[tag_id].discard(index)
        return {"errcode": 0, "errmsg": "ok"}

    def _tags_of(self, request: dict) -> dict:
        index = index_of(request["json"].get("openid"))
        if not self._is_follower(index):
            raise ApiError(40003, "invalid openid")
        return {"tagid_list": sorted(self.follower_tags.get(index, ()))}

    def _tag_followers(self, request: dict) -> dict:
        data = request["json"]
        tag_id = self._tag_id(data, system_ok=True)
        after = self._cursor(data.get("next_openid"))
        return self._page(sorted(self.tag_members.get(tag_id, ())), after)
