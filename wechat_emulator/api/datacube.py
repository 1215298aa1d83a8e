"""Article statistics: datacube/getarticlesummary, getarticletotal and getuserread."""

import hashlib
import re
from datetime import date, timedelta

from .common import ApiError

DATACUBE_SPAN = {"getarticlesummary": 1, "getarticletotal": 1, "getuserread": 3}
DATACUBE_FIRST_DAY = date(2014, 12, 1)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SOURCES = [(0, 0.55), (1, 0.10), (2, 0.15), (4, 0.05), (5, 0.05), (6, 0.05), (7, 0.05)]


def _hash_fraction(*parts) -> float:
    digest = hashlib.sha1(":".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF


_COUNTER_KEYS = (
    "int_page_read_user",
    "int_page_read_count",
    "ori_page_read_user",
    "ori_page_read_count",
    "share_user",
    "share_count",
    "add_to_fav_user",
    "add_to_fav_count",
)


def _counters(totals: dict) -> dict:
    return {k: totals.get(k, 0) for k in _COUNTER_KEYS}


def _date(value) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise ApiError(61500, "date format error")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(61500, "date format error") from exc


class DatacubeApi:
    """Deterministic read figures for the delivered sends' articles (CONTRACT.md §9).

    Mixed into EmulatorState (state.py): the handlers run under its lock, on its data, and
    use its `config`, `now()` and `_next()`.
    """

    def _datacube(self, request: dict) -> dict:
        name = request["path"].rsplit("/", 1)[1]
        data = request["json"]
        begin, end = _date(data.get("begin_date")), _date(data.get("end_date"))
        yesterday = self.today() - timedelta(days=1)
        span = (end - begin).days
        if begin < DATACUBE_FIRST_DAY or end > yesterday or span < 0 or span >= DATACUBE_SPAN[name]:
            raise ApiError(61501, "date range error")
        return {"list": getattr(self, "_" + name)(begin, end, yesterday)}

    def _delivered(self):
        return [s for s in self.sends.values() if s["finish_status"] == "send success"]

    @staticmethod
    def _daily(send: dict, idx: int, days_after: int) -> dict:
        """Deterministic numbers for one article `days_after` days after its send."""
        rate = 0.10 + 0.20 * _hash_fraction(send["msg_data_id"], idx)
        users = max(3, round(send["sent_count"] * rate / (2**days_after)))
        return {
            "int_page_read_user": users,
            "int_page_read_count": round(users * 1.3),
            "ori_page_read_user": users // 10,
            "ori_page_read_count": users // 8,
            "share_user": users // 8,
            "share_count": users // 6,
            "add_to_fav_user": users // 20,
            "add_to_fav_count": users // 18,
        }

    def _getarticlesummary(self, begin: date, end: date, yesterday: date) -> list[dict]:
        rows = []
        for send in self._delivered():
            days_after = (begin - date.fromisoformat(send["day"])).days
            if 0 <= days_after <= 6:
                for article in send["articles"]:
                    rows.append(
                        {
                            "ref_date": begin.isoformat(),
                            "msgid": f"{send['msg_data_id']}_{article['idx']}",
                            "title": article["title"],
                            **self._daily(send, article["idx"], days_after),
                        }
                    )
        return rows

    def _getarticletotal(self, begin: date, end: date, yesterday: date) -> list[dict]:
        rows = []
        for send in self._delivered():
            if send["day"] != begin.isoformat():
                continue
            for article in send["articles"]:
                details, totals = [], {}
                for days_after in range(7):
                    day = begin + timedelta(days=days_after)
                    if day > yesterday:
                        break
                    for key, value in self._daily(send, article["idx"], days_after).items():
                        totals[key] = totals.get(key, 0) + value
                    details.append(
                        {"stat_date": day.isoformat(), "target_user": send["sent_count"], **totals}
                    )
                rows.append(
                    {
                        "ref_date": begin.isoformat(),
                        "msgid": f"{send['msg_data_id']}_{article['idx']}",
                        "title": article["title"],
                        "details": details,
                    }
                )
        return rows

    def _getuserread(self, begin: date, end: date, yesterday: date) -> list[dict]:
        rows = []
        day = begin
        while day <= end:
            totals: dict[str, int] = {}
            for send in self._delivered():
                days_after = (day - date.fromisoformat(send["day"])).days
                if 0 <= days_after <= 6:
                    for article in send["articles"]:
                        for key, value in self._daily(send, article["idx"], days_after).items():
                            totals[key] = totals.get(key, 0) + value
            rows.append({"ref_date": day.isoformat(), "user_source": 99999999, **_counters(totals)})
            for source, share in _SOURCES:
                part = {k: int(v * share) for k, v in _counters(totals).items()}
                rows.append({"ref_date": day.isoformat(), "user_source": source, **part})
            day += timedelta(days=1)
        return rows
