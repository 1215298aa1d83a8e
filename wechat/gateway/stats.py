"""Article and reading statistics (datacube, CONTRACT.md §9)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ArticleCounters:
    """Read, share and favourite counters of one article or one day."""

    int_page_read_user: int = 0
    int_page_read_count: int = 0
    ori_page_read_user: int = 0
    ori_page_read_count: int = 0
    share_user: int = 0
    share_count: int = 0
    add_to_fav_user: int = 0
    add_to_fav_count: int = 0

    @classmethod
    def from_payload(cls, data: dict) -> dict:
        return {name: int(data.get(name, 0) or 0) for name in cls.__dataclass_fields__}


@dataclass(frozen=True)
class ArticleSummary(ArticleCounters):
    """getarticlesummary: one mass-sent article's numbers on `ref_date`."""

    ref_date: str = ""
    msgid: str = ""  # "<msg_data_id>_<article index>"
    title: str = ""

    @property
    def msg_data_id(self) -> str:
        return self.msgid.rsplit("_", 1)[0]

    @property
    def article_index(self) -> int:
        return int(self.msgid.rsplit("_", 1)[1]) if "_" in self.msgid else 1


@dataclass(frozen=True)
class ArticleTotalDay(ArticleCounters):
    stat_date: str = ""
    target_user: int = 0


@dataclass(frozen=True)
class ArticleTotal:
    """getarticletotal: one article sent on `ref_date`, with cumulative numbers per day."""

    ref_date: str
    msgid: str
    title: str
    details: list[ArticleTotalDay]

    @property
    def msg_data_id(self) -> str:
        return self.msgid.rsplit("_", 1)[0]


@dataclass(frozen=True)
class UserRead(ArticleCounters):
    """getuserread: the account's reading on `ref_date` from one `user_source`."""

    ref_date: str = ""
    user_source: int = 99999999


class StatsAPI:
    """The gateway's datacube calls (mixed into WeChatGateway).

    Each raises InvalidRequestError 61500 (date) or 61501 (range, or not before today).
    """

    def article_summary(self, day: date) -> list[ArticleSummary]:
        """Each mass-sent article's numbers on `day` (≤ yesterday)."""
        return self._datacube("getarticlesummary", day, day, _article_summary)

    def article_total(self, day: date) -> list[ArticleTotal]:
        """Articles sent on `day`, with cumulative numbers for each day since (≤ 7 days)."""
        return self._datacube("getarticletotal", day, day, _article_total)

    def user_read(self, begin: date, end: date) -> list[UserRead]:
        """The account's reading per day and source; at most 3 days, `end` ≤ yesterday."""
        return self._datacube("getuserread", begin, end, _user_read)

    def _datacube(
        self, name: str, begin: date, end: date, parse_row: Callable[[dict], T]
    ) -> list[T]:
        body = {"begin_date": begin.strftime("%Y-%m-%d"), "end_date": end.strftime("%Y-%m-%d")}
        return self._call(
            "POST",
            f"datacube/{name}",
            body=body,
            parse=lambda r: [parse_row(row) for row in r["list"]],
        )


def _article_summary(row: dict) -> ArticleSummary:
    return ArticleSummary(
        ref_date=row.get("ref_date", ""),
        msgid=str(row.get("msgid", "")),
        title=row.get("title", ""),
        **ArticleCounters.from_payload(row),
    )


def _user_read(row: dict) -> UserRead:
    return UserRead(
        ref_date=row.get("ref_date", ""),
        user_source=int(row.get("user_source", 99999999)),
        **ArticleCounters.from_payload(row),
    )


def _article_total(row: dict) -> ArticleTotal:
    return ArticleTotal(
        ref_date=row.get("ref_date", ""),
        msgid=str(row.get("msgid", "")),
        title=row.get("title", ""),
        details=[
            ArticleTotalDay(
                stat_date=d.get("stat_date", ""),
                target_user=int(d.get("target_user", 0) or 0),
                **ArticleCounters.from_payload(d),
            )
            for d in row.get("details", [])
        ],
    )
