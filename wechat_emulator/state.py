"""The emulated WeChat account: every API the CMS uses, answered as CONTRACT.md describes.

`EmulatorState.handle()` takes one API request and returns the JSON answer WeChat would give;
it knows nothing of HTTP (server.py does that). All data lives in memory behind one lock and
is optionally mirrored to a JSON file. Followers are numbered: follower i has the openid
`openid_for(i)`, so 200 000 followers cost nothing until they are tagged or unfollow.
"""

import hashlib
import json
import logging
import os
import random
import re
import secrets
import threading
import time
from dataclasses import asdict
from datetime import date, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from . import callbacks
from .config import EmulatorConfig, FaultDecision, Faults, decide

logger = logging.getLogger(__name__)

OPENID_PREFIX = "oEMU"
OPENID_DIGITS = 24  # 4 + 24 = 28 characters, the length of a real openid
MPHELPER_OPENID = "oMPHELPER" + "0" * 19
SYSTEM_TAGS = {0, 1, 2}
STARRED_TAG = 2
MAX_TAGS = 100
MAX_TAGS_PER_FOLLOWER = 20
TAG_DELETE_MAX_FOLLOWERS = 100_000
DATACUBE_SPAN = {"getarticlesummary": 1, "getarticletotal": 1, "getuserread": 3}
DATACUBE_FIRST_DAY = date(2014, 12, 1)
SAMPLE_SIZE = 10
_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u[0-9a-fA-F]{4}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SCENES = ["ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_OTHERS"]
_SOURCES = [(0, 0.55), (1, 0.10), (2, 0.15), (4, 0.05), (5, 0.05), (6, 0.05), (7, 0.05)]


class ApiError(Exception):
    """An answer with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str, **extra):
        super().__init__(errcode, errmsg)
        self.payload = {"errcode": errcode, "errmsg": errmsg, **extra}


def openid_for(index: int) -> str:
    return f"{OPENID_PREFIX}{index:0{OPENID_DIGITS}d}"


def index_of(openid: str) -> int | None:
    if (
        isinstance(openid, str)
        and len(openid) == len(OPENID_PREFIX) + OPENID_DIGITS
        and openid.startswith(OPENID_PREFIX)
        and openid[len(OPENID_PREFIX) :].isdigit()
    ):
        return int(openid[len(OPENID_PREFIX) :])
    return None


class _ImageSources(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = dict(attrs).get("src")
            if src is not None:
                self.sources.append(src.strip())


def _image_sources(html: str) -> list[str]:
    parser = _ImageSources()
    parser.feed(html)
    parser.close()
    return parser.sources


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def _multipart_files(body: bytes, content_type: str) -> dict[str, tuple[str, bytes]]:
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    files = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                files[name] = (part.get_filename() or "", part.get_payload(decode=True) or b"")
    return files


def _hash_fraction(*parts) -> float:
    digest = hashlib.sha1(":".join(str(p) for p in parts).encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF


class EmulatorState:
    """All of the emulated account's data, and the API logic that reads and changes it."""

    def __init__(self, config: EmulatorConfig | None = None, *, state_file: str | None = None):
        self.base_config = config or EmulatorConfig()
        self.state_file = Path(state_file) if state_file else None
        self.lock = threading.RLock()
        self._timers: list[threading.Timer] = []
        self._generation = 0
        self._clear()
        if self.state_file and self.state_file.exists():
            self._load()

    # Control ---------------------------------------------------------------------------------

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
            self.callback_log: list[dict] = []
            self.attempts: dict[str, float] = {}
            self.tags: dict[int, str] = {STARRED_TAG: "星标组"}
            self.tag_members: dict[int, set[int]] = {STARRED_TAG: set()}
            self.follower_tags: dict[int, set[int]] = {}
            self.unsubscribed: set[int] = set()
            self.follower_count = self.config.follower_count
            self.monthly: dict = {"month": "", "all": 0, "tagged": {}}
            self.counters: dict[str, int] = {}
            self.seq = {"media": 0, "msg": 0, "publish": 0, "tag": 100}
            self.oauth_codes: dict[str, dict] = {}

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

    def subscribe(self, openid: str | None = None) -> str:
        """A follower follows (again), and the subscribe event is pushed. Returns the openid."""
        with self.lock:
            index = index_of(openid) if openid else None
            if index is None or index >= self.follower_count:
                index = self.follower_count
                self.follower_count += 1
            self.unsubscribed.discard(index)
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

    # Snapshot and persistence ----------------------------------------------------------------

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
                "tags": [
                    {"id": i, "name": n, "count": len(self.tag_members.get(i, ()))}
                    for i, n in sorted(self.tags.items())
                ],
                "callbacks": list(self.callback_log),
            }

    @staticmethod
    def _draft_summary(media_id: str, draft: dict) -> dict:
        return {
            "media_id": media_id,
            "created": draft["created"],
            "articles": [
                {
                    "title": a["title"],
                    "author": a.get("author", ""),
                    "digest": a.get("digest", ""),
                    "thumb_media_id": a["thumb_media_id"],
                    "content_chars": len(a["content"]),
                    "images": _image_sources(a["content"]),
                }
                for a in draft["articles"]
            ],
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
            "callback_log": self.callback_log,
            "attempts": self.attempts,
            "tags": {str(k): v for k, v in self.tags.items()},
            "tag_members": {str(k): sorted(v) for k, v in self.tag_members.items()},
            "unsubscribed": sorted(self.unsubscribed),
            "follower_count": self.follower_count,
            "monthly": self.monthly,
            "counters": self.counters,
            "seq": self.seq,
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.state_file)

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
                "consumed", "publishes", "sends", "inbox", "callback_log", "attempts",
                "follower_count", "monthly", "counters", "seq",
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

    # Timers ----------------------------------------------------------------------------------

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
        timer.start()

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    # Requests --------------------------------------------------------------------------------

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
    }
    READ_ONLY = {
        "_draft_get", "_draft_count", "_publish_get", "_mass_get", "_user_get", "_user_info",
        "_user_batchget", "_tags_get", "_tags_of", "_tag_followers", "_datacube",
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

    # Tokens ----------------------------------------------------------------------------------

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise ApiError(41001, "access_token missing")
        info = self.tokens.get(token)
        if info is None:
            raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
        if info["expires_at"] <= self.now():
            raise ApiError(42001, "access_token expired")

    def _check_credentials(self, grant_type, appid, secret) -> None:
        if grant_type != "client_credential":
            raise ApiError(40002, "invalid grant_type")
        if not appid:
            raise ApiError(41002, "appid missing")
        if appid != self.config.app_id:
            raise ApiError(40013, "invalid appid")
        if not secret:
            raise ApiError(41004, "appsecret missing")
        if secret != self.config.app_secret:
            raise ApiError(40125, "invalid appsecret")

    def _issue(self, kind: str) -> str:
        token = "EMU" + secrets.token_urlsafe(96)
        self.tokens[token] = {"kind": kind, "expires_at": self.now() + self.config.token_ttl}
        # Forget long-dead tokens so the table stays small.
        dead = [k for k, v in self.tokens.items() if v["expires_at"] < self.now() - 86400]
        for key in dead:
            del self.tokens[key]
        return token

    def _token(self, request: dict) -> dict:
        q = request["query"]
        self._check_credentials(q.get("grant_type"), q.get("appid"), q.get("secret"))
        old = self.tokens.get(self.cgi_token)
        if old:
            old["expires_at"] = min(old["expires_at"], self.now() + self.config.old_token_grace)
        self.cgi_token = self._issue("token")
        return {"access_token": self.cgi_token, "expires_in": self.config.token_ttl}

    def _stable_token(self, request: dict) -> dict:
        data = request["json"]
        self._check_credentials(data.get("grant_type"), data.get("appid"), data.get("secret"))
        current = self.tokens.get(self.stable_token)
        rollover = min(300, self.config.token_ttl // 2)
        if data.get("force_refresh"):
            if current:
                current["expires_at"] = self.now() - 1
            current = None
        if current and current["expires_at"] - self.now() > rollover:
            remaining = int(current["expires_at"] - self.now())
            return {"access_token": self.stable_token, "expires_in": remaining}
        self.stable_token = self._issue("stable")
        return {"access_token": self.stable_token, "expires_in": self.config.token_ttl}

    # Web authorization -----------------------------------------------------------------------

    OAUTH_AUTHORIZE_PATH = "connect/oauth2/authorize"
    OAUTH_SCOPES = ("snsapi_base", "snsapi_userinfo")

    def oauth_authorize(self, query: dict) -> tuple[int, str | dict]:
        """The reader's browser at connect/oauth2/authorize: (302, where WeChat redirects it,
        with a one-time `code` for config.oauth_openid and the `state`), or (400, an error)."""
        with self.lock:
            if query.get("appid") != self.config.app_id:
                return 400, {"errcode": 40013, "errmsg": "invalid appid"}
            redirect_uri = query.get("redirect_uri", "")
            if not redirect_uri.startswith(("http://", "https://")):
                return 400, {"errcode": 10003, "errmsg": "redirect_uri mismatch"}
            if query.get("response_type") != "code" or query.get("scope") not in self.OAUTH_SCOPES:
                return 400, {"errcode": 10005, "errmsg": "invalid scope or response_type"}
            openid = self.config.oauth_openid or openid_for(0)
            code = "EMUCODE" + secrets.token_hex(16)
            self.oauth_codes[code] = {
                "openid": openid,
                "scope": query["scope"],
                "expires_at": self.now() + self.config.oauth_code_ttl,
                "used": False,
            }
            params = urlencode({"code": code, "state": query.get("state", "")})
            separator = "&" if "?" in redirect_uri else "?"
            return 302, f"{redirect_uri}{separator}{params}"

    def _oauth_access_token(self, request: dict) -> dict:
        q = request["query"]
        if q.get("appid") != self.config.app_id:
            raise ApiError(40013, "invalid appid")
        if q.get("secret") != self.config.app_secret:
            raise ApiError(40125, "invalid appsecret")
        if q.get("grant_type") != "authorization_code":
            raise ApiError(40002, "invalid grant_type")
        info = self.oauth_codes.get(q.get("code") or "")
        if info is None or info["expires_at"] <= self.now():
            raise ApiError(40029, "invalid code")
        if info["used"]:
            raise ApiError(40163, "code been used")
        info["used"] = True
        return {
            "access_token": "EMUOAUTH" + secrets.token_urlsafe(48),
            "expires_in": 7200,
            "refresh_token": "EMUREFRESH" + secrets.token_urlsafe(48),
            "openid": info["openid"],
            "scope": info["scope"],
        }

    # Images ----------------------------------------------------------------------------------

    def _media_file(self, request: dict) -> bytes:
        files = _multipart_files(request["body"], request["content_type"])
        if "media" not in files:
            raise ApiError(41005, "media data missing")
        return files["media"][1]

    def _next(self, name: str) -> int:
        self.seq[name] += 1
        return self.seq[name]

    def _image_url(self, kind: str, ext: str) -> str:
        key = hashlib.sha1(f"{kind}:{self._next('media')}:{time.time()}".encode()).hexdigest()
        return f"http://{self.config.mmbiz_host}/mmbiz_{ext}/EMU{key[:40]}/0?wx_fmt={ext}"

    def _uploadimg(self, request: dict) -> dict:
        data = self._media_file(request)
        kind = _image_type(data)
        if kind not in ("jpeg", "png"):
            raise ApiError(40005, "invalid file type (uploadimg takes JPG or PNG)")
        if len(data) >= 1024 * 1024:
            raise ApiError(40009, "invalid image size (uploadimg takes < 1 MB)")
        url = self._image_url("img", "jpg" if kind == "jpeg" else "png")
        self.images[url] = {"size": len(data), "type": kind, "created": self.now()}
        return {"url": url, "errcode": 0, "errmsg": "ok"}

    def _add_material(self, request: dict) -> dict:
        media_type = request["query"].get("type", "")
        if media_type not in ("image", "thumb"):
            raise ApiError(40004, "invalid media type (the emulator keeps image and thumb)")
        data = self._media_file(request)
        kind = _image_type(data)
        if media_type == "thumb":
            if kind != "jpeg":
                raise ApiError(40005, "invalid file type (thumb takes JPG)")
            if len(data) > 64 * 1024:
                raise ApiError(40012, "invalid thumb size (≤ 64 KB)")
        else:
            if kind is None:
                raise ApiError(40005, "invalid file type (bmp/png/jpeg/gif)")
            if len(data) > self.config.image_material_max_bytes:
                raise ApiError(40009, "invalid image size")
        media_id = f"EMU_MEDIA_{self._next('media'):08d}_{secrets.token_hex(6)}"
        ext = {"jpeg": "jpg"}.get(kind, kind)
        url = self._image_url("material", ext) if media_type == "image" else ""
        self.materials[media_id] = {
            "type": media_type,
            "url": url,
            "size": len(data),
            "created": self.now(),
        }
        answer = {"media_id": media_id}
        if url:
            answer["url"] = url
        return answer

    # Drafts ----------------------------------------------------------------------------------

    def _known_image(self, src: str) -> bool:
        if src in self.images:
            return True
        for a, b in (("http://", "https://"), ("https://", "http://")):
            if src.startswith(a) and b + src[len(a) :] in self.images:
                return True
        return False

    def _article(self, raw) -> dict:
        if not isinstance(raw, dict):
            raise ApiError(47001, "data format error")
        title, content = raw.get("title"), raw.get("content")
        if not isinstance(title, str) or not title.strip():
            raise ApiError(44003, "empty news data (title)")
        if not isinstance(content, str) or not content.strip():
            raise ApiError(44003, "empty news data (content)")
        author = str(raw.get("author") or "")
        digest = str(raw.get("digest") or "")
        source = str(raw.get("content_source_url") or "")
        if len(title) > 32:
            raise ApiError(45003, "title size out of limit")
        if len(author) > 16:
            raise ApiError(45110, "author size out of limit")
        if len(digest) > 128:
            raise ApiError(45004, "description size out of limit")
        if len(content) >= 20_000 or len(content.encode()) >= 1024 * 1024:
            raise ApiError(45002, "content size out of limit")
        if len(source.encode()) > 1024:
            raise ApiError(45005, "url size out of limit")
        thumb = raw.get("thumb_media_id") or ""
        if thumb not in self.materials:
            raise ApiError(40007, "invalid media_id (thumb_media_id)")
        for src in _image_sources(content):
            if not self._known_image(src):
                # Real WeChat silently drops such images; refusing catches the bug early.
                raise ApiError(45166, f"invalid content: image not from uploadimg: {src[:200]}")
        return {
            "title": title,
            "author": author,
            "digest": digest or _first_chars(content, 54),
            "content": content,
            "content_source_url": source,
            "thumb_media_id": thumb,
            "need_open_comment": int(raw.get("need_open_comment") or 0),
            "only_fans_can_comment": int(raw.get("only_fans_can_comment") or 0),
        }

    def _draft(self, media_id) -> dict:
        draft = self.drafts.get(media_id) if isinstance(media_id, str) else None
        if draft is None:
            raise ApiError(40007, "invalid media_id")
        return draft

    def _draft_add(self, request: dict) -> dict:
        articles = request["json"].get("articles")
        if not isinstance(articles, list) or not articles:
            raise ApiError(44003, "empty news data")
        if len(articles) > 8:
            raise ApiError(45008, "article size out of limit")
        cleaned = [self._article(a) for a in articles]
        media_id = f"EMU_DRAFT_{self._next('media'):08d}_{secrets.token_hex(6)}"
        self.drafts[media_id] = {"articles": cleaned, "created": self.now()}
        return {"media_id": media_id}

    def _draft_update(self, request: dict) -> dict:
        data = request["json"]
        draft = self._draft(data.get("media_id"))
        index = data.get("index")
        if not isinstance(index, int) or not 0 <= index < len(draft["articles"]):
            raise ApiError(47003, "argument invalid (index)")
        draft["articles"][index] = self._article(data.get("articles"))
        return {"errcode": 0, "errmsg": "ok"}

    def _draft_get(self, request: dict) -> dict:
        draft = self._draft(request["json"].get("media_id"))
        items = []
        for i, article in enumerate(draft["articles"], 1):
            items.append(
                {
                    **article,
                    "url": f"https://mp.weixin.qq.com/s?__biz=EMU&tempkey=draft&idx={i}",
                    "thumb_url": self.materials.get(article["thumb_media_id"], {}).get("url", ""),
                }
            )
        return {"news_item": items}

    def _draft_delete(self, request: dict) -> dict:
        media_id = request["json"].get("media_id")
        self._draft(media_id)
        del self.drafts[media_id]
        self.consumed[media_id] = "deleted"
        return {"errcode": 0, "errmsg": "ok"}

    def _draft_count(self, request: dict) -> dict:
        return {"total_count": len(self.drafts)}

    def _consume(self, media_id: str, reason: str) -> None:
        del self.drafts[media_id]
        self.consumed[media_id] = reason

    # Free publish ----------------------------------------------------------------------------

    def _article_url(self, mid: str, idx: int) -> str:
        sn = hashlib.sha1(f"{self.config.app_id}:{mid}:{idx}".encode()).hexdigest()[:32]
        return (
            f"https://mp.weixin.qq.com/s?__biz=EMU{self.config.app_id}&mid={mid}&idx={idx}&sn={sn}"
        )

    def _publish_submit(self, request: dict) -> dict:
        media_id = request["json"].get("media_id")
        draft = self._draft(media_id)
        publish_id = str(2_247_500_000 + self._next("publish"))
        msg_data_id = str(2_247_600_000 + self.seq["publish"])
        final = self.faults.publish_status if self.faults.publish_status is not None else 0
        n = len(draft["articles"])
        job = {
            "publish_id": publish_id,
            "msg_data_id": msg_data_id,
            "media_id": media_id,
            "titles": [a["title"] for a in draft["articles"]],
            "created": self.now(),
            "finish_at": self.now() + self.config.publish_delay,
            "finished": False,
            "final_status": final,
            "article_id": f"EMU_ARTICLE_{publish_id}" if final == 0 else "",
            "article_urls": [self._article_url(msg_data_id, i) for i in range(1, n + 1)]
            if final == 0
            else [],
            "fail_idx": list(range(1, n + 1)) if final in (2, 4) else [],
        }
        self.publishes[publish_id] = job
        self._consume(media_id, "published")
        self._later(self.config.publish_delay, self._finish_publish, publish_id)
        return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": msg_data_id}

    def _publish_get(self, request: dict) -> dict:
        publish_id = str(request["json"].get("publish_id", ""))
        job = self.publishes.get(publish_id)
        if job is None:
            raise ApiError(47003, "argument invalid (publish_id)")
        done = job["finished"] or self.now() >= job["finish_at"]
        answer = {"publish_id": publish_id, "publish_status": job["final_status"] if done else 1}
        if done and job["final_status"] == 0:
            answer["article_id"] = job["article_id"]
            answer["article_detail"] = {
                "count": len(job["article_urls"]),
                "item": [
                    {"idx": i, "article_url": u} for i, u in enumerate(job["article_urls"], 1)
                ],
            }
        if done:
            answer["fail_idx"] = job["fail_idx"]
        return answer

    def _finish_publish(self, publish_id: str) -> None:
        with self.lock:
            job = self.publishes.get(publish_id)
            if job is None:
                return
            job["finished"] = True
            xml = callbacks.event_xml(
                to_user=self.config.account_id,
                from_user=MPHELPER_OPENID,
                create_time=int(self.now()),
                event="PUBLISHJOBFINISH",
                body=callbacks.publish_finish_body(job),
            )
            self._save()
        self._push(xml, MPHELPER_OPENID, {"event": "PUBLISHJOBFINISH", "publish_id": publish_id})

    # Mass send -------------------------------------------------------------------------------

    def _audience(self, data: dict) -> tuple[bool, int | None]:
        audience = data.get("filter")
        if not isinstance(audience, dict):
            raise ApiError(47001, "data format error (filter)")
        if audience.get("is_to_all"):
            return True, None
        tag_id = audience.get("tag_id")
        if not isinstance(tag_id, int) or tag_id not in self.tags:
            raise ApiError(45159, "invalid tag id")
        return False, tag_id

    def _mass_media(self, data: dict) -> str:
        if data.get("msgtype") != "mpnews":
            raise ApiError(40008, "invalid message type (the emulator sends mpnews)")
        media_id = (data.get("mpnews") or {}).get("media_id")
        if not media_id:
            raise ApiError(40007, "invalid media_id")
        return media_id

    def _mass_sendall(self, request: dict) -> dict:
        data = request["json"]
        client_msg_id = data.get("clientmsgid")
        if client_msg_id is not None and len(str(client_msg_id).encode()) > 64:
            raise ApiError(45067, "clientmsgid size out of limit")
        media_id = self._mass_media(data)
        is_to_all, tag_id = self._audience(data)
        now = self.now()
        key = (
            f"id:{client_msg_id}"
            if client_msg_id
            else f"auto:{media_id}:{'all' if is_to_all else tag_id}"
        )
        window = self.config.clientmsgid_retry_window
        last = self.attempts.get(key)
        if window and last is not None and now - last < window:
            raise ApiError(45066, "clientmsgid retry too fast, please wait 1 minute")
        self.attempts[key] = now
        for send in self.sends.values():
            if send["dedup_key"] == key and now - send["created"] < self.config.dedup_window:
                raise ApiError(45065, "clientmsgid exist", msg_id=int(send["msg_id"]))
        draft = self._draft(media_id)
        self._check_quota(now)
        send = self._deliver(draft, media_id, is_to_all, tag_id, now)
        send.update(dedup_key=key, clientmsgid=client_msg_id or "")
        send["send_ignore_reprint"] = int(data.get("send_ignore_reprint") or 0)
        if self.config.consume_draft_on_send:
            self._consume(media_id, "mass-sent")
        self._later(self.config.callback_delay, self._finish_send, send["msg_id"])
        return {
            "errcode": 0,
            "errmsg": "send job submission success",
            "msg_id": int(send["msg_id"]),
            "msg_data_id": int(send["msg_data_id"]),
        }

    def _check_quota(self, now: float) -> None:
        day = self._day_of(now).isoformat()
        sent_today = sum(1 for s in self.sends.values() if s["day"] == day)
        limit = (
            self.config.subscription_daily_sends
            if self.config.account_type == "subscription"
            else self.config.service_daily_sends
        )
        if sent_today >= limit:
            raise ApiError(45028, "has no masssend quota")

    def _recipients(self, is_to_all: bool, tag_id: int | None):
        """(total, iterator of recipient indexes in openid order)."""
        if is_to_all:
            total = self.follower_count - len(self.unsubscribed)
            return total, (i for i in range(self.follower_count) if i not in self.unsubscribed)
        members = sorted(self.tag_members.get(tag_id, ()))
        return len(members), iter(members)

    def _deliver(self, draft, media_id, is_to_all, tag_id, now) -> dict:
        total, recipients = self._recipients(is_to_all, tag_id)
        capped = 0
        month = self._day_of(now).strftime("%Y-%m")
        if self.config.account_type == "service":
            # Each follower gets at most N mass messages a month; the rest are filtered out.
            if self.monthly["month"] != month:
                self.monthly = {"month": month, "all": 0, "tagged": {}}
            limit, tagged = self.config.service_monthly_per_follower, self.monthly["tagged"]
            if is_to_all:
                if self.monthly["all"] >= limit:
                    capped = total
                else:
                    capped = sum(
                        1
                        for k, v in tagged.items()
                        if self.monthly["all"] + v >= limit and int(k) not in self.unsubscribed
                    )
                self.monthly["all"] += 1
            else:
                members = list(self.tag_members.get(tag_id, ()))
                for index in members:
                    received = self.monthly["all"] + tagged.get(str(index), 0)
                    if received >= limit:
                        capped += 1
                    else:
                        tagged[str(index)] = tagged.get(str(index), 0) + 1
        filter_count = total - capped
        failing = self.faults.send_status
        error_count = (
            filter_count if failing else int(filter_count * self.config.delivery_error_rate)
        )
        sample = []
        for index in recipients:
            if len(sample) >= SAMPLE_SIZE or failing:
                break
            sample.append(openid_for(index))
        msg_no = self._next("msg")
        msg_id, msg_data_id = str(1_000_000_000 + msg_no), str(2_247_480_000 + msg_no)
        articles = [
            {"idx": i, "title": a["title"], "url": self._article_url(msg_data_id, i)}
            for i, a in enumerate(draft["articles"], 1)
        ]
        send = {
            "msg_id": msg_id,
            "msg_data_id": msg_data_id,
            "media_id": media_id,
            "is_to_all": is_to_all,
            "tag_id": tag_id,
            "created": now,
            "day": self._day_of(now).isoformat(),
            "status": "SENDING",
            "finish_status": failing or "send success",
            "articles": articles,
            "total_count": total,
            "filter_count": filter_count,
            "sent_count": filter_count - error_count,
            "error_count": error_count,
        }
        self.sends[msg_id] = send
        self.inbox.append(
            {
                "kind": "mass",
                "msg_id": msg_id,
                "msg_data_id": msg_data_id,
                "at": now,
                "audience": "all" if is_to_all else f"tag {tag_id}",
                "articles": [a["title"] for a in articles],
                "recipients": send["sent_count"],
                "sample_openids": sample,
            }
        )
        return send

    def _finish_send(self, msg_id: str) -> None:
        with self.lock:
            send = self.sends.get(msg_id)
            if send is None:
                return
            send["status"] = (
                "SEND_SUCCESS" if send["finish_status"] == "send success" else "SEND_FAIL"
            )
            xml = callbacks.event_xml(
                to_user=self.config.account_id,
                from_user=MPHELPER_OPENID,
                create_time=int(self.now()),
                event="MASSSENDJOBFINISH",
                body=callbacks.mass_finish_body(send),
            )
            self._save()
        self._push(xml, MPHELPER_OPENID, {"event": "MASSSENDJOBFINISH", "msg_id": msg_id})

    def _mass_send_openids(self, request: dict) -> dict:
        if self.config.account_type == "subscription":
            raise ApiError(48001, "api unauthorized (mass/send by openid needs a service account)")
        raise ApiError(40066, "invalid url (the emulator implements sendall, not send)")

    def _mass_preview(self, request: dict) -> dict:
        data = request["json"]
        media_id = self._mass_media(data)
        openid = data.get("towxname") or data.get("touser")
        if data.get("towxname"):
            openid = f"wxname:{data['towxname']}"
        elif not self._is_follower(index_of(openid)):
            raise ApiError(40003, "invalid openid")
        draft = self._draft(media_id)
        msg_id = str(1_000_000_000 + self._next("msg"))
        self.inbox.append(
            {
                "kind": "preview",
                "msg_id": msg_id,
                "at": self.now(),
                "audience": openid,
                "articles": [a["title"] for a in draft["articles"]],
                "recipients": 1,
                "sample_openids": [openid],
            }
        )
        return {"errcode": 0, "errmsg": "preview success", "msg_id": int(msg_id)}

    def _mass_get(self, request: dict) -> dict:
        msg_id = str(request["json"].get("msg_id", ""))
        send = self.sends.get(msg_id)
        if send is None:
            raise ApiError(40059, "invalid msg id")
        return {"msg_id": int(msg_id), "msg_status": send["status"]}

    # Followers -------------------------------------------------------------------------------

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

    # Tags ------------------------------------------------------------------------------------

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

    # Statistics ------------------------------------------------------------------------------

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

    # Pushes ----------------------------------------------------------------------------------

    def _push_user_event(self, openid: str, event: str) -> None:
        xml = callbacks.event_xml(
            to_user=self.config.account_id,
            from_user=openid,
            create_time=int(self.now()),
            event=event,
            body=callbacks.subscribe_body(event),
        )
        threading.Thread(
            target=self._push, args=(xml, openid, {"event": event, "openid": openid}), daemon=True
        ).start()

    def _push(self, xml: str, openid: str, about: dict) -> None:
        """POST an event to the callback URL; 3 attempts in total, as WeChat makes."""
        with self.lock:
            config = self.config
            entry = {**about, "attempts": 0, "delivered": False, "status": None, "xml": xml}
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


def _first_chars(html: str, n: int) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    return re.sub(r"\s+", " ", text).strip()[:n]
