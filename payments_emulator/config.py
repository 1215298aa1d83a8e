"""What the payment emulator pretends to be (`PayEmulatorConfig`) and what goes wrong on purpose
(`PayFaults`)."""

from dataclasses import asdict, dataclass, field, fields, replace

from payments.constants import EMULATOR_API_V3_KEY, EMULATOR_MCHID, EMULATOR_PLATFORM_SERIAL

# WeChat Pay's notification retry schedule (CONTRACT.md §17), in seconds after the first try.
WECHATPAY_RETRY_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800,
                            10800, 21600, 21600)  # fmt: skip


@dataclass(frozen=True)
class PayEmulatorConfig:
    mchid: str = EMULATOR_MCHID
    appid: str = "wx-emulator-app"
    api_v3_key: str = EMULATOR_API_V3_KEY
    platform_serial: str = EMULATOR_PLATFORM_SERIAL
    # Seconds from a payment to its first notification.
    notify_delay: float = 0.5
    # Seconds between the tries when the site does not answer 200/204 (WeChat's schedule
    # compressed by default; tests shorten it further).
    notify_retries: tuple = (1.0, 2.0, 5.0, 10.0, 30.0)
    notify_timeout: float = 5.0  # [unconfirmed] how long WeChat Pay waits for the answer
    request_max_age: int = 300  # a request's Authorization timestamp this far off: SIGN_ERROR
    payer_openid: str = "o-emulator-payer"  # who pays a Native order by scanning
    timezone: str = "Asia/Shanghai"

    def updated(self, **changes) -> "PayEmulatorConfig":
        """Raises ValueError for an unknown field."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown config fields: {sorted(unknown)}")
        if "notify_retries" in changes:
            changes["notify_retries"] = tuple(float(s) for s in changes["notify_retries"])
        return replace(self, **changes)

    def public(self) -> dict:
        data = asdict(self)
        data["api_v3_key"] = "***"
        return data


@dataclass
class PayFaults:
    """Faults for notifications and API calls.

    - `lose_notifications`: the next N payments are never notified (the site must query).
    - `duplicate_notifications`: each notification is delivered this many extra times, one
      after another.
    - `notify_delay`: extra seconds before each first notification.
    - `bad_signature`: notifications carry a signature that does not verify.
    - `http_status` with `times` and `paths`: the next `times` API calls on those paths (all when
      empty) answer that status (a signed SYSTEM_ERROR body for 5xx).
    - `statement_creating`: the next N trade-bill requests answer 400 STATEMENT_CREATING (the
      bill is not ready yet: WeChat Pay makes it after 10:00 the next day).
    """

    lose_notifications: int = 0
    duplicate_notifications: int = 0
    notify_delay: float = 0.0
    bad_signature: bool = False
    http_status: int | None = None
    times: int = 0
    paths: list[str] = field(default_factory=list)
    statement_creating: int = 0

    @classmethod
    def from_dict(cls, data: dict) -> "PayFaults":
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)

    def as_dict(self) -> dict:
        return asdict(self)
