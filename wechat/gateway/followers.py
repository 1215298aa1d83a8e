"""Followers, their basic information and tags (CONTRACT.md §7, §8)."""

from collections.abc import Iterator
from dataclasses import dataclass, field

USERS_INFO_BATCH = 100
TAG_MEMBERS_BATCH = 50


@dataclass(frozen=True)
class FollowerPage:
    """One page of user/get (or user/tag/get). Pass `next_openid` to get the next page."""

    total: int
    count: int
    openids: list[str]
    next_openid: str

    @property
    def is_last(self) -> bool:
        """True when no further page needs fetching (CONTRACT.md §7.1: any of three signs)."""
        return self.count == 0 or not self.openids or not self.next_openid


@dataclass(frozen=True)
class FollowerInfo:
    """What user/info/batchget still returns (no nickname or avatar since 2021)."""

    openid: str
    subscribed: bool
    language: str = ""
    subscribe_time: int = 0
    unionid: str = ""
    remark: str = ""
    tag_ids: list[int] = field(default_factory=list)
    subscribe_scene: str = ""


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    count: int = 0


class FollowersAPI:
    """The gateway's follower and tag calls (mixed into WeChatGateway)."""

    def followers_page(self, next_openid: str | None = None) -> FollowerPage:
        """One page (≤ 10 000) of the follower list; pass the previous page's next_openid.

        Raises InvalidRequestError 40003 for an unknown next_openid.
        """
        params = {"next_openid": next_openid} if next_openid else {}
        return self._call("GET", "cgi-bin/user/get", params=params, parse=_follower_page)

    def iter_followers(self) -> Iterator[str]:
        """Every follower's openid, page by page; stops on any of WeChat's end signs."""
        next_openid = None
        while True:
            page = self.followers_page(next_openid)
            yield from page.openids
            if page.is_last:
                return
            next_openid = page.next_openid

    def users_info(self, openids: list[str]) -> list[FollowerInfo]:
        """Basic information of followers, fetched 100 at a time (user/info/batchget).

        Raises InvalidRequestError 40003 when an openid does not belong to the account.
        """
        infos = []
        for start in range(0, len(openids), USERS_INFO_BATCH):
            users = [
                {"openid": o, "lang": "zh_CN"} for o in openids[start : start + USERS_INFO_BATCH]
            ]
            infos += self._call(
                "POST",
                "cgi-bin/user/info/batchget",
                body={"user_list": users},
                parse=lambda r: [_follower_info(i) for i in r.get("user_info_list", [])],
            )
        return infos

    def tags_list(self) -> list[Tag]:
        """Every tag of the account, with its follower count."""
        return self._call(
            "GET", "cgi-bin/tags/get", parse=lambda r: [_tag(t) for t in r.get("tags", [])]
        )

    def tag_create(self, name: str) -> Tag:
        """Create a tag (name ≤ 30 bytes). Raises InvalidRequestError 45056/45157/45158."""
        return self._call(
            "POST",
            "cgi-bin/tags/create",
            body={"tag": {"name": name}},
            parse=lambda r: _tag(r["tag"]),
        )

    def tag_update(self, tag_id: int, name: str) -> None:
        """Rename a tag. Raises InvalidRequestError 45058 (system tag), 45157-45159."""
        self._call("POST", "cgi-bin/tags/update", body={"tag": {"id": int(tag_id), "name": name}})

    def tag_delete(self, tag_id: int) -> None:
        """Delete a tag. Raises InvalidRequestError 45057 (> 100 000 followers), 45058, 45159."""
        self._call("POST", "cgi-bin/tags/delete", body={"tag": {"id": int(tag_id)}})

    def tag_members_add(self, tag_id: int, openids: list[str]) -> None:
        """Tag followers, 50 per call. Raises InvalidRequestError 40003, 45059, 45159."""
        self._tag_members("cgi-bin/tags/members/batchtagging", tag_id, openids)

    def tag_members_remove(self, tag_id: int, openids: list[str]) -> None:
        """Untag followers, 50 per call. Raises InvalidRequestError 40003, 45159."""
        self._tag_members("cgi-bin/tags/members/batchuntagging", tag_id, openids)

    def _tag_members(self, path: str, tag_id: int, openids: list[str]) -> None:
        for start in range(0, len(openids), TAG_MEMBERS_BATCH):
            batch = openids[start : start + TAG_MEMBERS_BATCH]
            self._call("POST", path, body={"openid_list": batch, "tagid": int(tag_id)})

    def tags_of(self, openid: str) -> list[int]:
        """The tag ids one follower carries. Raises InvalidRequestError 40003."""
        return self._call(
            "POST",
            "cgi-bin/tags/getidlist",
            body={"openid": openid},
            parse=lambda r: [int(t) for t in r.get("tagid_list", [])],
        )

    def tag_followers_page(self, tag_id: int, next_openid: str | None = None) -> FollowerPage:
        """One page of the followers carrying a tag. Raises InvalidRequestError 45159."""
        body = {"tagid": int(tag_id)}
        if next_openid:
            body["next_openid"] = next_openid
        return self._call("POST", "cgi-bin/user/tag/get", body=body, parse=_follower_page)


def _follower_page(result: dict) -> FollowerPage:
    openids = [str(o) for o in (result.get("data") or {}).get("openid", [])]
    return FollowerPage(
        total=int(result.get("total", 0) or 0),
        count=int(result.get("count", len(openids)) or 0),
        openids=openids,
        next_openid=str(result.get("next_openid", "") or ""),
    )


def _follower_info(item: dict) -> FollowerInfo:
    return FollowerInfo(
        openid=str(item.get("openid", "")),
        subscribed=bool(int(item.get("subscribe", 0) or 0)),
        language=item.get("language", ""),
        subscribe_time=int(item.get("subscribe_time", 0) or 0),
        unionid=item.get("unionid", ""),
        remark=item.get("remark", ""),
        tag_ids=[int(t) for t in item.get("tagid_list", [])],
        subscribe_scene=item.get("subscribe_scene", ""),
    )


def _tag(item: dict) -> Tag:
    return Tag(id=int(item["id"]), name=str(item["name"]), count=int(item.get("count", 0) or 0))
