"""What the emulator pretends to be (`EmulatorConfig`) and what goes wrong on purpose (`Faults`)."""

import random
from dataclasses import asdict, dataclass, field, fields, replace

from wechat.constants import EMULATOR_PUSH_TEMPLATE, EMULATOR_SIGNUP_TEMPLATE, EMULATOR_TOKEN


@dataclass(frozen=True)
class EmulatorConfig:
    """The emulated account and the emulator's timings. Every field can be changed at runtime
    (`EmulatorState.configure`, POST /_emulator/config) or per reset (POST /_emulator/reset)."""

    app_id: str = "wx-emulator-app"
    app_secret: str = "emulator-secret"
    token: str = EMULATOR_TOKEN  # signs the callbacks, as the console's "Token"
    encoding_aes_key: str = ""  # 43 chars: callbacks go out in safe mode (AES)
    account_type: str = "subscription"  # or "service"
    account_id: str = "gh_emulator00001"  # ToUserName of the callbacks
    callback_url: str | None = None
    callback_delay: float = 2.0  # seconds from mass send / publish to the *JOBFINISH push
    callback_attempts: int = 3  # WeChat tries 3 times in total
    callback_retry_interval: float = 2.0
    callback_timeout: float = 5.0  # WeChat gives up waiting for an answer after 5 s
    publish_delay: float = 2.0  # seconds a free-publish job stays "publishing"
    token_ttl: int = 7200
    old_token_grace: int = 300  # a cgi-bin/token token keeps working this long after a new one
    follower_count: int = 23_000
    page_size: int = 10_000  # user/get and user/tag/get
    # "empty_page": the last page still carries next_openid and one more call returns count 0
    # (what wechatpy documents); "empty_next_openid": the last page has next_openid "".
    user_get_end: str = "empty_page"
    dedup_window: int = 24 * 3600  # clientmsgid dedup (45065)
    clientmsgid_retry_window: float = 10.0  # same clientmsgid again within this → 45066
    subscription_daily_sends: int = 1
    service_daily_sends: int = 100
    service_monthly_per_follower: int = 4
    delivery_error_rate: float = 0.0  # share of recipients counted in ErrorCount
    consume_draft_on_send: bool = True  # CONTRACT.md §4: a sent or published draft is gone
    image_material_max_bytes: int = 2 * 1024 * 1024  # the older, stricter limit (CONTRACT §3.2)
    timezone: str = "Asia/Shanghai"
    mmbiz_host: str = "mmbiz.qpic.cn"
    # Web authorization (connect/oauth2/authorize): the reader who "opens the page in WeChat"
    # ("" = follower 0), and how long the code it hands out stays valid.
    oauth_openid: str = ""
    oauth_code_ttl: int = 300
    # The account's template messages (模板消息, service accounts): the template ids it has
    # added; any other id answers 40037.
    template_ids: tuple[str, ...] = (EMULATOR_SIGNUP_TEMPLATE, EMULATOR_PUSH_TEMPLATE)
    # Its subscription-notification templates (订阅通知, both account types).
    subscribe_template_ids: tuple[str, ...] = (EMULATOR_SIGNUP_TEMPLATE, EMULATOR_PUSH_TEMPLATE)
    # Permanent QR codes the account may create (WeChat: 100,000; lower it to test the limit).
    qrcode_permanent_max: int = 100_000

    def updated(self, **changes) -> "EmulatorConfig":
        """A copy with `changes` applied. Raises ValueError for an unknown field."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown config fields: {sorted(unknown)}")
        return replace(self, **changes)

    def public(self) -> dict:
        data = asdict(self)
        data["app_secret"] = "***"
        return data


@dataclass
class Faults:
    """Failures to inject into API calls (never into /_emulator/ control calls).

    For each call whose path matches `paths` (all API paths when empty): wait `latency_ms`,
    then at most one of: answer HTTP `http_status` (rate `http_error_rate`), answer one of
    `error_codes` with `error_extra` merged in (rate `error_rate`), or perform the call and
    close the connection without answering (rate `drop_after_commit_rate`). `times` caps how
    many failures are still injected (None: no cap). `send_status` makes the next mass sends
    fail review (e.g. "err(20001)"); `publish_status` makes publish jobs end with that status;
    `template_status` is the Status of the TEMPLATESENDJOBFINISH pushed after each template
    message (default "success"; e.g. "failed:user block", "failed: system failed").
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    error_codes: list[int] = field(default_factory=lambda: [-1])
    error_extra: dict = field(default_factory=dict)
    http_error_rate: float = 0.0
    http_status: int = 503
    drop_after_commit_rate: float = 0.0
    paths: list[str] = field(default_factory=list)
    times: int | None = None
    seed: int | None = None
    send_status: str | None = None
    publish_status: int | None = None
    template_status: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "Faults":
        """Raises ValueError for an unknown field."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)

    def as_dict(self) -> dict:
        return asdict(self)

    def applies_to(self, path: str) -> bool:
        path = path.lstrip("/")
        if not self.paths:
            return True
        return any(path == p.lstrip("/") or path.endswith("/" + p.lstrip("/")) for p in self.paths)


@dataclass(frozen=True)
class FaultDecision:
    latency: float = 0.0
    http_status: int | None = None
    errcode: int | None = None
    extra: dict = field(default_factory=dict)
    drop_after_commit: bool = False


def decide(faults: Faults, path: str, rng: random.Random) -> FaultDecision:
    """What happens to one API call under `faults` (mutates `faults.times`)."""
    if not faults.applies_to(path):
        return FaultDecision()
    latency = faults.latency_ms / 1000
    if faults.times is not None and faults.times <= 0:
        return FaultDecision(latency=latency)
    decision = None
    if faults.http_error_rate and rng.random() < faults.http_error_rate:
        decision = FaultDecision(latency=latency, http_status=faults.http_status)
    elif faults.error_rate and faults.error_codes and rng.random() < faults.error_rate:
        decision = FaultDecision(
            latency=latency, errcode=rng.choice(faults.error_codes), extra=faults.error_extra
        )
    elif faults.drop_after_commit_rate and rng.random() < faults.drop_after_commit_rate:
        decision = FaultDecision(latency=latency, drop_after_commit=True)
    if decision is None:
        return FaultDecision(latency=latency)
    if faults.times is not None:
        faults.times -= 1
    return decision
