"""The emulated WeChat account: its data, its control surface and the routing of API calls.

`EmulatorState.handle()` takes one API request and returns the JSON answer WeChat would give;
it knows nothing of HTTP (server.py does that). All data lives in memory behind one lock and
is optionally mirrored to a JSON file. The API itself is answered by one mixin per subject
(api/: tokens, oauth, media, publish, mass, followers, datacube), as CONTRACT.md describes it.
"""

import json
import logging
import random
import re
import threading
import time
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from emulator_kit import Background, write_json_atomically

from . import callbacks
from .api.common import ApiError, index_of, openid_for
from .api.conversation import ConversationApi
from .api.datacube import DatacubeApi
from .api.followers import STARRED_TAG, FollowerApi
from .api.mass import MassSendApi
from .api.media import MediaApi
from .api.menu import MenuApi
from .api.messages import TemplateMessageApi
from .api.oauth import OAuthApi
from .api.publish import PublishApi
from .api.qrcode import QRCodeApi
from .api.subscribe import SubscribeMessageApi
from .api.tokens import TokenApi
from .config import EmulatorConfig, FaultDecision, Faults, decide

logger = logging.getLogger(__name__)

_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9a-fA-F]{4}")


class EmulatorState(
    TokenApi,
    OAuthApi,
    MediaApi,
    PublishApi,
    MassSendApi,
    FollowerApi,
    DatacubeApi,
    TemplateMessageApi,
    ConversationApi,
    MenuApi,
    QRCodeApi,
    SubscribeMessageApi,
):
    """All of the emulated account's data, and the API logic that reads and changes it."""

    def __init__(self, config: EmulatorConfig | None = None, *, state_file: str | None = None):
        self.base_config = config or EmulatorConfig()
        self.state_file = Path(state_file) if state_file else None
        self.lock = threading.RLock()
        self._timers: list[threading.Timer] = []
        self.background = Background()  # timers and callback deliveries, for settle()
        self._generation = 0
        self._clear()
        if self.state_file and self.state_file.exists():
            self._load()

    def reset(self, **config_changes) -> None:
        """Forget everything; start again from the base config with `config_changes`."""
        with self.lock:
            self._clear(**config_changes)
            self._save()

    def _clear(self, **config_changes) -> None:
        with self.lock:
            self._cancel_timers()
            self._generation += 1
            self.config = self.base_config.updated(**config_changes)
            self.faults = Faults()
            self.rng = random.Random()
            self.clock_offset = 0.0
            self.tokens: dict[str, dict] = {}
            self.cgi_token = ""
            self.stable_token = ""
            self.images: dict[str, dict] = {}
            self.materials: dict[str, dict] = {}
            self.drafts: dict[str, dict] = {}
            self.consumed: dict[str, str] = {}
            self.publishes: dict[str, dict] = {}
            self.sends: dict[str, dict] = {}
            self.inbox: list[dict] = []
            self.template_messages: list[dict] = []
            self.callback_log: list[dict] = []
            self.attempts: dict[str, float] = {}
            self.tags: dict[int, str] = {STARRED_TAG: "星标组"}
            self.tag_members: dict[int, set[int]] = {STARRED_TAG: set()}
            self.follower_tags: dict[int, set[int]] = {}
            self.unsubscribed: set[int] = set()
            self.follower_count = self.config.follower_count
            self.monthly: dict = {"month": "", "all": 0, "tagged": {}}
            self.counters: dict[str, int] = {}
            self.seq = {"media": 0, "msg": 0, "publish": 0, "tag": 100, "qrcode": 0}
            self.oauth_codes: dict[str, dict] = {}
            self.follower_messages: list[dict] = []
            self.custom_messages: list[dict] = []
            self.last_interaction: dict[str, float] = {}
            self.custom_until: dict[str, float] = {}  # when the open window closes
            self.custom_left: dict[str, int] = {}  # messages it still allows
            self.menu: dict | None = None
            self.conditional_menus: list[dict] = []
            self.qrcodes: dict[str, dict] = {}
            self.subscribe_optins: dict[str, int] = {}
            self.subscribe_messages: list[dict] = []
            self.jsapi_tickets: list[str] = []

    def configure(self, **changes) -> None:
        """Change config fields now (kept until the next reset). Raises ValueError."""
        with self.lock:
            self.config = self.config.updated(**changes)
            if "follower_count" in changes:
                self.follower_count = self.config.follower_count

    def set_faults(self, **faults) -> None:
        """Replace the injected faults (no arguments: no faults). Raises ValueError."""
        with self.lock:
            self.faults = Faults.from_dict(faults)
            self.rng = random.Random(self.faults.seed)

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward (token expiry, daily quota, datacube days)."""
        with self.lock:
            self.clock_offset += seconds

    def expire_tokens(self) -> None:
        """Make every issued access token expired (calls then answer 42001)."""
        with self.lock:
            for info in self.tokens.values():
                info["expires_at"] = min(info["expires_at"], self.now() - 1)

    def logs_trim(self, older_than_seconds: float) -> int:
        """Drop inbox and callback-log entries older than that (the site's retention task asks
        nightly; entries without a time are kept). Returns how many went."""
        cutoff = self.now() - float(older_than_seconds)
        with self.lock:
            before = len(self.inbox) + len(self.callback_log)
            self.inbox[:] = [entry for entry in self.inbox if entry.get("at", cutoff) >= cutoff]
            self.callback_log[:] = [
                entry for entry in self.callback_log if entry.get("at", cutoff) >= cutoff
            ]
            removed = before - len(self.inbox) - len(self.callback_log)
            if removed:
                self._save()
        return removed

    def subscribe(self, openid: str | None = None) -> str:
        """A follower follows (again), and the subscribe event is pushed. Returns the openid."""
        with self.lock:
            index = index_of(openid) if openid else None
            if index is None or index >= self.follower_count:
                index = self.follower_count
                self.follower_count += 1
            self.unsubscribed.discard(index)
            self.touch_follower(index, message=False)
            self._save()
        self._push_user_event(openid_for(index), "subscribe")
        return openid_for(index)

    def unsubscribe(self, openid: str) -> None:
        """A follower unfollows, and the unsubscribe event is pushed. Raises ValueError."""
        with self.lock:
            if not self._is_follower(index_of(openid)):
                raise ValueError(f"{openid} is not a follower")
            index = index_of(openid)
            self.unsubscribed.add(index)
            for tag_id in self.follower_tags.pop(index, set()):
                self.tag_members.get(tag_id, set()).discard(index)
            self._save()
        self._push_user_event(openid, "unsubscribe")

    def fault_for(self, path: str) -> FaultDecision:
        """Count the call and decide which fault, if any, it meets."""
        with self.lock:
            key = path.lstrip("/")
            self.counters[key] = self.counters.get(key, 0) + 1
            return decide(self.faults, key, self.rng)

    def close(self) -> None:
        with self.lock:
            self._generation += 1
            self._cancel_timers()

    def now(self) -> float:
        return time.time() + self.clock_offset

    def today(self) -> date:
        return datetime.fromtimestamp(self.now(), ZoneInfo(self.config.timezone)).date()

    def _day_of(self, timestamp: float) -> date:
        return datetime.fromtimestamp(timestamp, ZoneInfo(self.config.timezone)).date()

    def snapshot(self) -> dict:
        """Everything an admin or a test wants to see, as JSON-ready data."""
        with self.lock:
            return {
                "config": self.config.public(),
                "clock": {
                    "now": datetime.fromtimestamp(
                        self.now(), ZoneInfo(self.config.timezone)
                    ).isoformat(timespec="seconds"),
                    "offset_seconds": self.clock_offset,
                },
                "followers": {
                    "total": self.follower_count - len(self.unsubscribed),
                    "unsubscribed": len(self.unsubscribed),
                },
                "counters": dict(self.counters),
                "faults": self.faults.as_dict(),
                "tokens": len(self.tokens),
                "images": sorted(self.images),
                "materials": [{"media_id": k, **v} for k, v in self.materials.items()],
                "drafts": [self._draft_summary(k, v) for k, v in self.drafts.items()],
                "consumed_drafts": dict(self.consumed),
                "publishes": list(self.publishes.values()),
                "sends": list(self.sends.values()),
                "inbox": list(self.inbox),
                "template_messages": list(self.template_messages),
                "tags": [
                    {"id": i, "name": n, "count": len(self.tag_members.get(i, ()))}
                    for i, n in sorted(self.tags.items())
                ],
                "callbacks": list(self.callback_log),
                "follower_messages": list(self.follower_messages),
                "custom_messages": list(self.custom_messages),
                "menu": self.menu,
                "conditional_menus": list(self.conditional_menus),
                "qrcodes": list(self.qrcodes.values()),
                "subscribe_optins": dict(self.subscribe_optins),
                "subscribe_messages": list(self.subscribe_messages),
                "jsapi_tickets": list(self.jsapi_tickets),
            }

    def _save(self) -> None:
        if not self.state_file:
            return
        data = {
            "config": asdict(self.config),
            "clock_offset": self.clock_offset,
            "tokens": self.tokens,
            "cgi_token": self.cgi_token,
            "stable_token": self.stable_token,
            "images": self.images,
            "materials": self.materials,
            "drafts": self.drafts,
            "consumed": self.consumed,
            "publishes": self.publishes,
            "sends": self.sends,
            "inbox": self.inbox,
            "template_messages": self.template_messages,
            "callback_log": self.callback_log,
            "attempts": self.attempts,
            "tags": {str(k): v for k, v in self.tags.items()},
            "tag_members": {str(k): sorted(v) for k, v in self.tag_members.items()},
            "unsubscribed": sorted(self.unsubscribed),
            "follower_count": self.follower_count,
            "monthly": self.monthly,
            "counters": self.counters,
            "seq": self.seq,
            "follower_messages": self.follower_messages,
            "custom_messages": self.custom_messages,
            "last_interaction": self.last_interaction,
            "custom_until": self.custom_until,
            "custom_left": self.custom_left,
            "menu": self.menu,
            "conditional_menus": self.conditional_menus,
            "qrcodes": self.qrcodes,
            "subscribe_optins": self.subscribe_optins,
            "subscribe_messages": self.subscribe_messages,
        }
        write_json_atomically(self.state_file, data)

    def _load(self) -> None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            logger.warning("Ignoring unreadable emulator state file %s", self.state_file)
            return
        with self.lock:
            self.clock_offset = data.get("clock_offset", 0.0)
            for name in (
                "tokens", "cgi_token", "stable_token", "images", "materials", "drafts",
                "consumed", "publishes", "sends", "inbox", "template_messages", "callback_log",
                "attempts",
                "follower_count", "monthly", "counters", "seq",
                "menu", "conditional_menus", "qrcodes", "subscribe_optins",
                "subscribe_messages",
                "follower_messages", "custom_messages", "last_interaction", "custom_until",
                "custom_left",
            ):  # fmt: skip
                if name in data:
                    setattr(self, name, data[name])
            self.tags = {int(k): v for k, v in data.get("tags", {}).items()} or self.tags
            self.tag_members = {int(k): set(v) for k, v in data.get("tag_members", {}).items()}
            self.follower_tags = {}
            for tag_id, members in self.tag_members.items():
                for index in members:
                    self.follower_tags.setdefault(index, set()).add(tag_id)
            self.unsubscribed = set(data.get("unsubscribed", []))
            # Jobs that were running when the emulator stopped finish now, without a push.
            for send in self.sends.values():
                if send["status"] == "SENDING":
                    send["status"] = (
                        "SEND_SUCCESS" if send["finish_status"] == "send success" else "SEND_FAIL"
                    )
            for job in self.publishes.values():
                job["finished"] = True

    def _later(self, delay: float, fn, *args) -> None:
        generation = self._generation

        def run():
            with self.lock:
                if generation != self._generation:
                    return
            fn(*args)

        timer = threading.Timer(max(0.0, delay), run)
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        self.background.start(timer)

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until no timer is pending and no callback is being delivered; True when idle."""
        return self.background.settle(timeout)

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    ROUTES = {
        "cgi-bin/token": ("GET", "_token", False),
        "cgi-bin/stable_token": ("POST", "_stable_token", False),
        "cgi-bin/media/uploadimg": ("POST", "_uploadimg", True),
        "cgi-bin/material/add_material": ("POST", "_add_material", True),
        "cgi-bin/draft/add": ("POST", "_draft_add", True),
        "cgi-bin/draft/update": ("POST", "_draft_update", True),
        "cgi-bin/draft/get": ("POST", "_draft_get", True),
        "cgi-bin/draft/delete": ("POST", "_draft_delete", True),
        "cgi-bin/draft/count": ("GET", "_draft_count", True),
        "cgi-bin/freepublish/submit": ("POST", "_publish_submit", True),
        "cgi-bin/freepublish/get": ("POST", "_publish_get", True),
        "cgi-bin/message/mass/sendall": ("POST", "_mass_sendall", True),
        "cgi-bin/message/mass/send": ("POST", "_mass_send_openids", True),
        "cgi-bin/message/mass/preview": ("POST", "_mass_preview", True),
        "cgi-bin/message/mass/get": ("POST", "_mass_get", True),
        "cgi-bin/message/template/send": ("POST", "_template_send", True),
        "cgi-bin/message/custom/send": ("POST", "_custom_send", True),
        "cgi-bin/qrcode/create": ("POST", "_qrcode_create", True),
        "cgi-bin/message/subscribe/bizsend": ("POST", "_subscribe_send", True),
        "cgi-bin/ticket/getticket": ("GET", "_jsapi_ticket", True),
        "cgi-bin/user/get": ("GET", "_user_get", True),
        "cgi-bin/user/info": ("GET", "_user_info", True),
        "cgi-bin/user/info/batchget": ("POST", "_user_batchget", True),
        "cgi-bin/tags/create": ("POST", "_tag_create", True),
        "cgi-bin/tags/get": ("GET", "_tags_get", True),
        "cgi-bin/tags/update": ("POST", "_tag_update", True),
        "cgi-bin/tags/delete": ("POST", "_tag_delete", True),
        "cgi-bin/tags/members/batchtagging": ("POST", "_tag_members_add", True),
        "cgi-bin/tags/members/batchuntagging": ("POST", "_tag_members_remove", True),
        "cgi-bin/tags/getidlist": ("POST", "_tags_of", True),
        "cgi-bin/user/tag/get": ("POST", "_tag_followers", True),
        "datacube/getarticlesummary": ("POST", "_datacube", True),
        "datacube/getarticletotal": ("POST", "_datacube", True),
        "datacube/getuserread": ("POST", "_datacube", True),
        "sns/oauth2/access_token": ("GET", "_oauth_access_token", False),
        "cgi-bin/menu/create": ("POST", "_menu_create", True),
        "cgi-bin/menu/get": ("GET", "_menu_get", True),
        "cgi-bin/menu/delete": ("GET", "_menu_delete", True),
        "cgi-bin/menu/addconditional": ("POST", "_menu_addconditional", True),
        "cgi-bin/menu/delconditional": ("POST", "_menu_delconditional", True),
        "cgi-bin/menu/trymatch": ("POST", "_menu_trymatch", True),
        "cgi-bin/get_current_selfmenu_info": ("GET", "_menu_selfmenu_info", True),
    }
    READ_ONLY = {
        "_draft_get", "_draft_count", "_publish_get", "_mass_get", "_user_get", "_user_info",
        "_user_batchget", "_tags_get", "_tags_of", "_tag_followers", "_datacube", "_menu_get",
        "_menu_trymatch", "_menu_selfmenu_info",
    }  # fmt: skip

    def handle(
        self, method: str, path: str, query: dict, body: bytes, content_type: str = ""
    ) -> dict:
        """WeChat's JSON answer to one API request (errors included, as WeChat answers them)."""
        path = path.strip("/")
        route = self.ROUTES.get(path)
        if route is None:
            return {"errcode": 40066, "errmsg": f"invalid url (the emulator has no {path})"}
        expected_method, handler_name, needs_token = route
        try:
            with self.lock:
                if method != expected_method:
                    if expected_method == "POST":
                        raise ApiError(43002, "require POST method")
                    raise ApiError(43001, "require GET method")
                if needs_token:
                    self._check_token(query.get("access_token"))
                request = {"query": query, "body": body, "content_type": content_type}
                if expected_method == "POST" and handler_name not in (
                    "_uploadimg",
                    "_add_material",
                ):
                    request["json"] = self._json(body)
                request["path"] = path
                answer = getattr(self, handler_name)(request)
                if handler_name not in self.READ_ONLY:
                    self._save()
                return answer
        except ApiError as exc:
            return exc.payload

    @staticmethod
    def _json(body: bytes) -> dict:
        if not body.strip():
            raise ApiError(44002, "empty post data")
        if _ESCAPE.search(body):
            raise ApiError(40033, "invalid charset. please check your request (\\uxxxx)")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(47001, "data format error") from exc
        if not isinstance(data, dict):
            raise ApiError(47001, "data format error")
        return data

    def _next(self, name: str) -> int:
        # A state file written before a sequence existed has no entry for it.
        self.seq[name] = self.seq.get(name, 0) + 1
        return self.seq[name]

    def _push_user_event(self, openid: str, event: str) -> None:
        xml = callbacks.event_xml(
            to_user=self.config.account_id,
            from_user=openid,
            create_time=int(self.now()),
            event=event,
            body=callbacks.subscribe_body(event),
        )
        self.background.run(self._push, xml, openid, {"event": event, "openid": openid})

    def _push(self, xml: str, openid: str, about: dict) -> None:
        """POST an event to the callback URL; 3 attempts in total, as WeChat makes."""
        with self.lock:
            config = self.config
            entry = {
                **about,
                "at": self.now(),
                "attempts": 0,
                "delivered": False,
                "status": None,
                "xml": xml,
            }
            self.callback_log.append(entry)
            generation = self._generation
        if not config.callback_url:
            with self.lock:
                entry["status"] = "no callback URL configured"
            return
        url, body = callbacks.signed_request(
            url=config.callback_url,
            xml=xml,
            openid=openid,
            token=config.token,
            encoding_aes_key=config.encoding_aes_key,
            app_id=config.app_id,
            to_user=config.account_id,
        )
        for attempt in range(1, config.callback_attempts + 1):
            status = callbacks.post_once(url, body, config.callback_timeout)
            with self.lock:
                if generation != self._generation:
                    return
                entry.update(attempts=attempt, status=status, delivered=status == 200)
                self._save()
            if status == 200:
                return
            if attempt < config.callback_attempts:
                time.sleep(config.callback_retry_interval)
