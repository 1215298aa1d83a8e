"""Settings for alumni-cms.

Everything that differs between a laptop and production comes from the environment; every
value has an embedded default that needs no server (SQLite, a filesystem broker, a file cache,
the bundled WeChat emulator). See README.md for the full list.
"""

import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from payments import constants as wechatpay_constants
from wechat.constants import EMULATOR_PUSH_TEMPLATE, EMULATOR_SIGNUP_TEMPLATE, EMULATOR_TOKEN

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Paths
DATA_DIR = Path(env("DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = env("MEDIA_URL", default="/media/")
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]


def _secret_key() -> str:
    """The environment's SECRET_KEY, else one generated once into DATA_DIR (as pretix does)."""
    if env("SECRET_KEY", default=""):
        return env("SECRET_KEY")
    path = DATA_DIR / ".secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


# Security
SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "SAMEORIGIN"  # the admin previews an item inside a frame of its own origin
# A refused CSRF token shows the site's own page (core/errors.py), not Django's English one.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
# django-ckeditor bundles CKEditor 4, whose free line is no longer maintained upstream; the
# editor only runs for logged-in staff and its output is sanitized with nh3 before storage.
SILENCED_SYSTEM_CHECKS = ["ckeditor.W001"]

# Applications
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ckeditor",
    "ckeditor_uploader",
    "core",
    "alumni_cms",
    "editorial",
    "alumni",
    "articles",
    "activities",
    "donations",
    "surveys",
    "wechat",
    "wechat.channels",
    "audience",
    "notifications",
    "import_export",
    "axes",
    "stats",
    "search",
    "payments",
]

MIDDLEWARE = [
    # First: a load balancer's health check answers before host checks, redirects or sessions.
    "alumni_cms.health.HealthMiddleware",
    # Every log line of a request carries its id (nginx's X-Request-ID, or a new one).
    "core.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside everything else, so a page served from a whole-page cache is still counted.
    "stats.middleware.ViewCountMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A null character anywhere, or a number beyond 64 bits: the 400 page, not a 500.
    "core.middleware.BadInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alumni_cms.urls"
WSGI_APPLICATION = "alumni_cms.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    },
]

# Database and cache
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process, a worker and the scheduler share one file: wait for locks, don't fail.
    # IMMEDIATE: a transaction takes the write lock when it begins. Begun deferred, one that reads
    # and then writes (every select_for_update() and save) while another process holds the write
    # lock fails at once with "database is locked" (SQLite's deadlock rule skips the timeout).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # surveys.Answer's covering index (INCLUDE, for PostgreSQL): SQLite makes it without the
    # extra columns. Said as a warning by the first `dev.py run`'s migrate, to a newcomer.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
# Each web or Celery process keeps its connection between requests for this long (seconds; 0:
# a new one per request). Opening a PostgreSQL connection starts a server process, which costs
# more than any page's queries; a connection that went bad is replaced before it is used.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A file cache by default, so the web process, the worker and the scheduler share one cache
# (the WeChat access token lives there) without a server; Redis when CACHE_URL says so.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}

# Authentication
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "liaison:login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins to the admin and the liaison portal: AXES_FAILURE_LIMIT wrong passwords for one
# username from one client address lock that pair out for AXES_COOLOFF_TIME (each further try
# restarts it). By the pair, not the address alone: a campus or a carrier NAT puts many people
# behind one address, and nobody must be able to lock every account out from one machine.
# Guessing from one address across many usernames is held by the login throttle below.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

# Throttles (core/throttle.py): each limit is (window seconds, at most requests).
# The cache that holds the counters; every web process must share it (Redis in production).
THROTTLE_CACHE = "default"
# Login attempts (admin and liaison portal) from one client address, right or wrong.
LOGIN_IP_LIMITS = [(900, 30)]

# Language and time
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Email (console by default; EMAIL_URL=smtp+tls://user:pass@host:587 in production)
vars().update(env.email("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="alumni-office@localhost")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SITE_NAME = env("SITE_NAME", default="")

# Uploads
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
CKEDITOR_UPLOAD_PATH = "uploads/"


def _static(path: str) -> str:
    from django.templatetags.static import static  # the template machinery, once it is set up

    return static(path)


_lazy_static = lazy(_static, str)

CKEDITOR_IMAGE_BACKEND = "pillow"
CKEDITOR_ALLOW_NONIMAGE_FILES = False
CKEDITOR_CONFIGS = {
    "default": {
        "toolbar": "Custom",
        "toolbar_Custom": [
            ["Format", "Bold", "Italic", "Underline", "Blockquote"],
            ["NumberedList", "BulletedList", "JustifyLeft", "JustifyCenter"],
            ["Link", "Unlink", "Image", "Table", "HorizontalRule"],
            ["RemoveFormat", "Source"],
        ],
        "width": "100%",
        "height": 360,
        # Pasted and dropped images go to our upload view (uploadimage, JSON answer); without
        # uploadUrl CKEditor appends "&responseType=json" to a URL that has no query string.
        # clipboard_handleImages off: uploadimage handles images, and says so in the console
        # when the clipboard plugin is left to handle them too.
        "uploadUrl": reverse_lazy("ckeditor_upload"),
        "clipboard_handleImages": False,
        # Images fit the column: the dialog and uploads leave out pixel sizes (also dropped by
        # editorial.html.sanitize_html), and the editor's own page scales them down.
        "image_prefillDimensions": False,
        "disallowedContent": "img{width,height}; img[width,height]",
        "contentsCss": [
            _lazy_static("ckeditor/ckeditor/contents.css"),
            _lazy_static("css/editor-contents.css"),
        ],
        # exportpdf needs a CKEditor cloud token; the version check calls CKEditor's servers
        # and warns about the free line's end of support (see ckeditor.W001 above).
        "removePlugins": "exportpdf",
        "versionCheck": False,
    }
}

# Celery (a filesystem broker by default: no server process; Redis or RabbitMQ when set)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Where `celery beat` keeps its last-run times (its working directory otherwise).
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(DATA_DIR / "celerybeat-schedule")
)
# The scheduler sends a heartbeat task this often; `manage.py heartbeat` checks its stamp.
HEARTBEAT_INTERVAL_SECONDS = env.int("HEARTBEAT_INTERVAL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "alumni-cms-heartbeat": {
        "task": "alumni_cms.tasks.heartbeat_task",
        "schedule": timedelta(seconds=HEARTBEAT_INTERVAL_SECONDS),
    },
    "editorial-publish-due": {
        "task": "editorial.tasks.items_publish_due_task",
        "schedule": timedelta(minutes=1),
    },
    "stats-views-flush": {
        "task": "stats.tasks.views_flush_task",
        "schedule": timedelta(minutes=1),
    },
    "wechat-pushes-dispatch": {
        "task": "wechat.tasks.pushes_dispatch_due_task",
        "schedule": timedelta(minutes=1),
    },
    "wechat-drafts-cleanup": {
        "task": "wechat.tasks.push_drafts_cleanup_task",
        "schedule": timedelta(hours=1),
    },
    "ops-failures-notify": {
        "task": "alumni_cms.tasks.failures_notify_task",
        "schedule": timedelta(minutes=1),
    },
    "ops-media-usage": {
        "task": "alumni_cms.tasks.media_usage_task",
        "schedule": timedelta(minutes=30),
    },
    "ops-retention-nightly": {
        "task": "alumni_cms.tasks.retention_task",
        "schedule": crontab(hour=2, minute=47),
    },
    "stats-wechat-sync-daily": {
        # WeChat publishes a day's datacube numbers after 08:00 the next morning (CELERY_TIMEZONE
        # is Asia/Shanghai); the task also catches up days a stopped worker missed.
        "task": "stats.tasks.wechat_stats_sync_task",
        "schedule": crontab(hour=8, minute=40),
    },
    "audience-followers-sync-nightly": {
        "task": "audience.tasks.followers_sync_task",
        "schedule": crontab(hour=3, minute=17),
        "kwargs": {"trigger": "nightly", "mode": "incremental"},
    },
    "audience-segments-sync-nightly": {
        "task": "audience.tasks.segments_sync_all_task",
        "schedule": crontab(hour=4, minute=17),
    },
    "notifications-dispatch": {
        "task": "notifications.tasks.notifications_dispatch_due_task",
        "schedule": timedelta(minutes=1),
    },
    "activities-reminders": {
        "task": "activities.tasks.reminders_send_due_task",
        "schedule": timedelta(minutes=1),
    },
}

# Activities: public sign-ups per client address and per phone number (the waitlist included).
ACTIVITIES_SIGNUP_IP_LIMITS = [(60, 10), (3600, 60)]
ACTIVITIES_SIGNUP_PHONE_LIMITS = [(3600, 5)]

# Surveys: answers to an anonymous survey per client address (a reunion's guests share one
# network, so the limits are wide); the most one answer may hold (characters of its JSON) and
# the largest answer form accepted, refused before it is read.
SURVEYS_ANONYMOUS_LIMITS = [(60, 20), (3600, 300)]
SURVEYS_MAX_ANSWER_CHARS = 60_000
SURVEYS_MAX_POST_BYTES = 256 * 1024

# Exports: django-import-export drops a leading "=" from every exported cell; our resources
# also quote every cell a spreadsheet would run (core/spreadsheet.py).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# Editorial workflow
EDITORIAL_ALLOW_SELF_APPROVAL = env.bool("EDITORIAL_ALLOW_SELF_APPROVAL", default=False)
# Longest rich-text body (characters of HTML, after sanitizing) an item may have: longer ones
# are refused when saved, so pages, revisions and their diffs stay a size the site can serve.
EDITORIAL_BODY_MAX_CHARS = env.int("EDITORIAL_BODY_MAX_CHARS", default=200_000)
LIAISON_MAX_PHOTOS = 9
LIAISON_PHOTO_MAX_BYTES = 10 * 1024 * 1024
LIAISON_PHOTO_MAX_PIXELS = 40_000_000
LIAISON_PHOTO_MAX_EDGE = 2048

# Donations: gifts are finance records, kept within these bounds (yuan, two decimal places).
DONATIONS_GIFT_MAX_AMOUNT = Decimal(env("DONATIONS_GIFT_MAX_AMOUNT", default="10000000.00"))
DONATIONS_PROJECT_MAX_GOAL = Decimal(env("DONATIONS_PROJECT_MAX_GOAL", default="1000000000.00"))
# How to give, shown on every project page unless the project says otherwise (its "how to give"):
# the office's bank account and a contact (one line: person, phone, e-mail). Demo values under
# DEBUG only; with DEBUG off and nothing set, the page asks the visitor to contact the office.
DONATIONS_BANK_ACCOUNT_NAME = env(
    "DONATIONS_BANK_ACCOUNT_NAME", default="示例大学教育基金会（演示）" if DEBUG else ""
)
DONATIONS_BANK_NAME = env(
    "DONATIONS_BANK_NAME", default="中国工商银行北京海淀支行（演示）" if DEBUG else ""
)
DONATIONS_BANK_ACCOUNT = env(
    "DONATIONS_BANK_ACCOUNT", default="0200 0000 0000 0000 000" if DEBUG else ""
)
DONATIONS_CONTACT = env(
    "DONATIONS_CONTACT",
    default="校友办林老师 · 010-6200 0000 · giving@alumni.example.edu.cn" if DEBUG else "",
)

# WeChat (the bundled emulator under DEBUG, as `dev.py run` sets it; real credentials otherwise)
# Off by default with DEBUG off: a production process with nothing set never signs callbacks
# with the emulator's public token or sends to the emulator. Setting it true outside DEBUG (the
# test suite does, through pytest-env) is an explicit choice that `check --deploy` refuses.
WECHAT_EMULATOR = env.bool("WECHAT_EMULATOR", default=DEBUG)
WECHAT_EMULATOR_HOST = env("WECHAT_EMULATOR_HOST", default="127.0.0.1")
WECHAT_EMULATOR_PORT = env.int("WECHAT_EMULATOR_PORT", default=8765)
WECHAT_API_BASE_URL = env(
    "WECHAT_API_BASE_URL",
    default=(
        f"http://{WECHAT_EMULATOR_HOST}:{WECHAT_EMULATOR_PORT}"
        if WECHAT_EMULATOR
        else "https://api.weixin.qq.com"
    ),
)
WECHAT_APP_ID = env("WECHAT_APP_ID", default="wx-emulator-app" if WECHAT_EMULATOR else "")
WECHAT_APP_SECRET = env("WECHAT_APP_SECRET", default="emulator-secret" if WECHAT_EMULATOR else "")
# The emulator's token is public: outside DEBUG the callback refuses it (wechat.callbacks).
WECHAT_TOKEN = env("WECHAT_TOKEN", default=EMULATOR_TOKEN if WECHAT_EMULATOR else "")
WECHAT_ENCODING_AES_KEY = env("WECHAT_ENCODING_AES_KEY", default="")
WECHAT_ACCOUNT_TYPE = env("WECHAT_ACCOUNT_TYPE", default="subscription")  # or "service"
WECHAT_TIMEOUT = env.float("WECHAT_TIMEOUT", default=10.0)
# How long one process may hold the access-token refresh lock (others wait that long at most).
WECHAT_TOKEN_LOCK_TIMEOUT = env.float("WECHAT_TOKEN_LOCK_TIMEOUT", default=15.0)
# WeChat's event pushes are a few hundred bytes; anything this large is refused with 400.
WECHAT_CALLBACK_MAX_BYTES = env.int("WECHAT_CALLBACK_MAX_BYTES", default=64 * 1024)
# A callback whose `timestamp` is further than this from our clock (either side) is refused
# (403), and its (timestamp, nonce, signature) is remembered this long against replays. WeChat
# retries within seconds (5 s timeout, 3 attempts); the rest allows for clock skew.
WECHAT_CALLBACK_MAX_AGE = env.int("WECHAT_CALLBACK_MAX_AGE", default=300)
WECHAT_EMULATOR_STATE_FILE = env(
    "WECHAT_EMULATOR_STATE_FILE", default=str(DATA_DIR / "wechat-emulator.json")
)
WECHAT_EMULATOR_CALLBACK_URL = env(
    "WECHAT_EMULATOR_CALLBACK_URL", default=f"{SITE_URL.rstrip('/')}/wechat/callback/"
)
WECHAT_EMULATOR_FOLLOWERS = env.int("WECHAT_EMULATOR_FOLLOWERS", default=23_000)
# The emulator's Django side (its admin page, `manage.py wechat_emulator`) is installed only
# while it is on: a process without it never imports wechat_emulator.
if WECHAT_EMULATOR:
    INSTALLED_APPS.append("wechat_emulator")

# WeChat Pay API v3 (payments/: the gateway is the only caller). Under the emulator every value
# defaults to the bundled payment emulator's: public merchant number and APIv3 key, RSA keys
# generated into WECHATPAY_EMULATOR_KEY_DIR. `check --deploy` refuses all of them with DEBUG off.
WECHATPAY_EMULATOR = env.bool("WECHATPAY_EMULATOR", default=WECHAT_EMULATOR)
WECHATPAY_EMULATOR_HOST = env("WECHATPAY_EMULATOR_HOST", default="127.0.0.1")
WECHATPAY_EMULATOR_PORT = env.int("WECHATPAY_EMULATOR_PORT", default=8766)
WECHATPAY_EMULATOR_KEY_DIR = Path(
    env("WECHATPAY_EMULATOR_KEY_DIR", default=str(DATA_DIR / "wechatpay-emulator"))
)
# The payment emulator's orders, refunds and notification log across restarts ('' for memory).
WECHATPAY_EMULATOR_STATE_FILE = env(
    "WECHATPAY_EMULATOR_STATE_FILE", default=str(DATA_DIR / "wechatpay-emulator.json")
)
_pay_emulated = WECHATPAY_EMULATOR
WECHATPAY_BASE_URL = env(
    "WECHATPAY_BASE_URL",
    default=(
        f"http://{WECHATPAY_EMULATOR_HOST}:{WECHATPAY_EMULATOR_PORT}"
        if _pay_emulated
        else "https://api.mch.weixin.qq.com"
    ),
)
WECHATPAY_MCHID = env(
    "WECHATPAY_MCHID", default=wechatpay_constants.EMULATOR_MCHID if _pay_emulated else ""
)
# JSAPI payments are made by the Official Account's followers: its AppID, bound to the merchant.
WECHATPAY_APPID = env("WECHATPAY_APPID", default=WECHAT_APP_ID)
WECHATPAY_API_V3_KEY = env(
    "WECHATPAY_API_V3_KEY",
    default=wechatpay_constants.EMULATOR_API_V3_KEY if _pay_emulated else "",
)
WECHATPAY_PRIVATE_KEY_PATH = env(
    "WECHATPAY_PRIVATE_KEY_PATH",
    default=(
        str(WECHATPAY_EMULATOR_KEY_DIR / wechatpay_constants.MERCHANT_PRIVATE_KEY_FILE)
        if _pay_emulated
        else ""
    ),
)
WECHATPAY_SERIAL_NO = env(
    "WECHATPAY_SERIAL_NO",
    default=wechatpay_constants.EMULATOR_SERIAL_NO if _pay_emulated else "",
)
WECHATPAY_PLATFORM_PUBLIC_KEY_PATH = env(
    "WECHATPAY_PLATFORM_PUBLIC_KEY_PATH",
    default=(
        str(WECHATPAY_EMULATOR_KEY_DIR / wechatpay_constants.PLATFORM_PUBLIC_KEY_FILE)
        if _pay_emulated
        else ""
    ),
)
# The platform public key's ID (PUB_KEY_ID_…): answers and notifications signed with another
# key (Wechatpay-Serial) are refused. Empty: not compared.
WECHATPAY_PLATFORM_SERIAL = env(
    "WECHATPAY_PLATFORM_SERIAL",
    default=wechatpay_constants.EMULATOR_PLATFORM_SERIAL if _pay_emulated else "",
)
WECHATPAY_NOTIFY_URL = env(
    "WECHATPAY_NOTIFY_URL", default=f"{SITE_URL.rstrip('/')}/payments/notify/"
)
WECHATPAY_TIMEOUT = env.float("WECHATPAY_TIMEOUT", default=10.0)
# A notification whose Wechatpay-Timestamp is further than this from our clock is refused.
WECHATPAY_NOTIFY_MAX_AGE = env.int("WECHATPAY_NOTIFY_MAX_AGE", default=300)
WECHATPAY_NOTIFY_MAX_BYTES = 64 * 1024
# An order still unpaid this long after it was made is queried (its notification may be lost);
# one unpaid after WECHATPAY_ORDER_TTL is closed (a prepay_id is valid two hours).
WECHATPAY_QUERY_AFTER = timedelta(seconds=env.int("WECHATPAY_QUERY_AFTER_SECONDS", default=60))
WECHATPAY_ORDER_TTL = timedelta(minutes=env.int("WECHATPAY_ORDER_TTL_MINUTES", default=120))
# Orders made from one client address (each asks WeChat Pay for an order): (seconds, at most).
PAYMENTS_ORDER_IP_LIMITS = [(600, 20), (86400, 100)]
# Donors' messages from the give page go onto the public donor wall at once (true), or stay on
# the order for the donations officer to copy onto the gift after reading them (false).
PAYMENTS_PUBLISH_MESSAGES = env.bool("PAYMENTS_PUBLISH_MESSAGES", default=False)
# The give page's preset amounts (yuan); any amount from ¥0.01 to DONATIONS_GIFT_MAX_AMOUNT.
DONATIONS_ONLINE_PRESETS = [
    Decimal(v) for v in env.list("DONATIONS_ONLINE_PRESETS", default=["50", "100", "200", "500"])
]
# A CJK font for the donor's certificate image (payments/certificate.py); empty: the usual
# Noto CJK / WenQuanYi paths are tried, and without any font no certificate is offered.
WECHATPAY_CERTIFICATE_FONT = env("WECHATPAY_CERTIFICATE_FONT", default="")
# The payment emulator's Django side (`manage.py wechatpay_emulator`): installed only while on.
if WECHATPAY_EMULATOR:
    INSTALLED_APPS.append("payments_emulator")
CELERY_BEAT_SCHEDULE["payments-orders-query-late"] = {
    "task": "payments.tasks.orders_query_late_task",
    "schedule": timedelta(minutes=1),
}
# An approved refund WeChat Pay did not answer is sent again (same number: never twice).
CELERY_BEAT_SCHEDULE["payments-refunds-resend"] = {
    "task": "payments.tasks.refunds_resend_task",
    "schedule": timedelta(minutes=5),
}
# WeChat Pay makes a day's trade bill after 10:00 the next morning (STATEMENT_CREATING until
# then): yesterday is asked for every half hour from 10:00 until it has been compared once.
CELERY_BEAT_SCHEDULE["payments-reconcile-daily"] = {
    "task": "payments.tasks.reconcile_yesterday_task",
    "schedule": crontab(hour="10-16", minute="0,30"),
}

# WeChat pushes (wechat/services/)
# The account asks its administrator to confirm every send to all followers in WeChat (API
# mass-send protection); a send not confirmed within WECHAT_PUSH_CONFIRM_TIMEOUT has failed.
WECHAT_MASS_SEND_PROTECTION = env.bool("WECHAT_MASS_SEND_PROTECTION", default=False)
WECHAT_PUSH_CONFIRM_TIMEOUT = timedelta(minutes=30)
# How often a publication in progress is polled when its PUBLISHJOBFINISH has not arrived.
WECHAT_PUSH_POLL_INTERVAL = timedelta(minutes=1)
# Images of one push uploaded at once.
WECHAT_UPLOAD_CONCURRENCY = env.int("WECHAT_UPLOAD_CONCURRENCY", default=8)
# A push run holds its push this long, renewed at every step and every finished upload; a run
# that died is resumed by the scheduler (beat, every minute) once it has passed. It must outlast
# the longest single WeChat call: WECHAT_TIMEOUT twice (a token refresh retries the call once)
# plus WECHAT_TOKEN_LOCK_TIMEOUT, 35 s with the defaults.
WECHAT_PUSH_LEASE_SECONDS = env.int("WECHAT_PUSH_LEASE_SECONDS", default=60)
# A mass send whose answer never came is asked about again (the same clientmsgid: WeChat answers
# 45065 with the msg_id if it went through) only while WeChat still deduplicates it (24 h).
WECHAT_PUSH_RESEND_WINDOW = timedelta(hours=23)
# A preview's draft is kept this long for a push awaiting its send (the reviewer may reopen the
# preview); it goes as soon as the push's run starts sending or fails, and the hourly cleanup
# (wechat-drafts-cleanup) deletes the rest: old previews, cancelled pushes, failed deletions.
WECHAT_PREVIEW_DRAFT_TTL = timedelta(hours=24)
# How long the QR code a staff member scans to link their WeChat for previews stays valid (it
# works once, for the person who made it).
WECHAT_PREVIEW_LINK_TTL = timedelta(minutes=10)
# Retries of a WeChat call that may succeed later: exponential backoff with jitter from this
# base (seconds), capped at the max, never sooner than WeChat asks (45066: a minute), at most
# WECHAT_RETRY_MAX times; then the push fails, unless WeChat may have taken its send (see
# wechat.services.push_fail): such a push is left to the scheduler, which asks WeChat again.
WECHAT_RETRY_BACKOFF_BASE = env.int("WECHAT_RETRY_BACKOFF_BASE", default=5)
WECHAT_RETRY_BACKOFF_MAX = env.int("WECHAT_RETRY_BACKOFF_MAX", default=600)
WECHAT_RETRY_MAX = env.int("WECHAT_RETRY_MAX", default=8)
# "" (nothing happens), "mass" or "publish": approving an item composes a one-item push in that
# mode, which still needs its own approval.
WECHAT_PUSH_ON_APPROVAL = env("WECHAT_PUSH_ON_APPROVAL", default="")
WECHAT_TAGS_CACHE_SECONDS = 60
# Hosts a custom-menu link may open besides SITE_URL's own (https only; issue 13).
WECHAT_MENU_URL_HOSTS = env.list("WECHAT_MENU_URL_HOSTS", default=["mp.weixin.qq.com"])

# Audience (WeChat followers, binding to alumni records, segments as WeChat tags)
# Dotted path of the class that delivers binding codes; the default e-mails them and prints
# phone codes to the console. An SMS provider plugs in here (see audience/senders.py).
AUDIENCE_CODE_SENDER = env("AUDIENCE_CODE_SENDER", default="audience.senders.DefaultCodeSender")
AUDIENCE_CODE_TTL = timedelta(minutes=10)
AUDIENCE_CODE_MAX_ATTEMPTS = 5
# Codes one follower may ask for, and one record may be sent: (window seconds, at most).
AUDIENCE_CODE_RATE_LIMITS = [(60, 1), (3600, 5)]
# Record look-ups (name and class year) one follower may make.
AUDIENCE_LOOKUP_RATE_LIMITS = [(3600, 20)]
# Requests for a new record one follower may send (each is a row the office has to handle).
AUDIENCE_REQUEST_RATE_LIMITS = [(86400, 3)]
# A full follower sync whose worker shows no progress for this long is taken over.
AUDIENCE_SYNC_LEASE = timedelta(minutes=10)
AUDIENCE_SYNC_UPSERT_CHUNK = 1000  # followers per user/info round (10 calls) and per upsert
# The incremental sync (nightly) fetches again the details of a follower it knows only when
# they are older than this many days (tags or remarks changed in WeChat's console); 0: never.
AUDIENCE_SYNC_REFRESH_DAYS = env.int("AUDIENCE_SYNC_REFRESH_DAYS", default=30)
# The admin's "Sync to WeChat" runs at once for a segment up to this many followers (50
# tagging calls); a larger one goes to the worker.
AUDIENCE_SEGMENT_SYNC_INLINE_MAX = 2500

# Notifications (notifications/): confirmations of sign-ups by e-mail and WeChat
# The template message (模板消息, verified service accounts only) of a sign-up's confirmation,
# with the keywords keyword1 activity, keyword2 time, keyword3 place, keyword4 status; empty:
# no WeChat messages (e-mail still goes). The emulator's service account has one.
WECHAT_TEMPLATE_SIGNUP = env(
    "WECHAT_TEMPLATE_SIGNUP",
    default=(
        EMULATOR_SIGNUP_TEMPLATE if WECHAT_EMULATOR and WECHAT_ACCOUNT_TYPE == "service" else ""
    ),
)
# The template that tells a push's author it was approved, sent or failed (keyword1 push,
# keyword2 what happened, keyword3 when, keyword4 detail), to the WeChat they linked for
# previews; empty: by e-mail. On a subscription account (WECHAT_ACCOUNT_TYPE) this and
# WECHAT_TEMPLATE_SIGNUP name subscription-notification templates (订阅通知, keywords thing1…
# thing4), sent only to followers who opted in to them.
WECHAT_TEMPLATE_PUSH = env(
    "WECHAT_TEMPLATE_PUSH", default=EMULATOR_PUSH_TEMPLATE if WECHAT_EMULATOR else ""
)
# The template of an online donor's thank-you (keyword1 project, keyword2 amount or 不公开,
# keyword3 date, keyword4 donor), sent to the payer's openid; empty: e-mail only (payments).
WECHAT_TEMPLATE_GIFT = env("WECHAT_TEMPLATE_GIFT", default="")
# Attempts of one notification while the mail server or WeChat is down, waiting from BASE
# seconds, doubling up to MAX; a notification claimed by a worker that died is retried after
# the lease.
NOTIFICATIONS_RETRY_MAX = env.int("NOTIFICATIONS_RETRY_MAX", default=8)
NOTIFICATIONS_RETRY_BACKOFF_BASE = 30
NOTIFICATIONS_RETRY_BACKOFF_MAX = 3600
NOTIFICATIONS_SENDING_LEASE = timedelta(minutes=10)

# Finding one's sign-ups by phone number (/activities/mine/): a code sent by this class (the
# same contract as AUDIENCE_CODE_SENDER, and by default the same class), valid TTL, burnt after
# MAX_ATTEMPTS wrong tries; codes asked per number and per client address, and verifications per
# client address, limited as (window seconds, at most); the list stays open for SESSION.
ACTIVITIES_CODE_SENDER = env("ACTIVITIES_CODE_SENDER", default=AUDIENCE_CODE_SENDER)
ACTIVITIES_LOOKUP_CODE_TTL = timedelta(minutes=10)
ACTIVITIES_LOOKUP_CODE_MAX_ATTEMPTS = 5
ACTIVITIES_LOOKUP_CODE_PHONE_LIMITS = [(60, 1), (3600, 5)]
ACTIVITIES_LOOKUP_CODE_IP_LIMITS = [(3600, 20)]
ACTIVITIES_LOOKUP_VERIFY_IP_LIMITS = [(3600, 30)]
ACTIVITIES_LOOKUP_SESSION = timedelta(minutes=30)

# Statistics (page views: counted in Redis and flushed every minute by the beat task, or
# added to the database at once where there is no Redis; stats/counters.py)
STATS_COUNT_VIEWS = env.bool("STATS_COUNT_VIEWS", default=True)
# The Redis server holding the view counts; empty: the default cache's when CACHE_URL is
# redis://, else none (each counted view is then a database write).
STATS_REDIS_URL = env("STATS_REDIS_URL", default="")
# URL name of each public detail page whose views are counted -> the model it shows (by `pk`).
STATS_COUNTED_VIEWS = {
    "articles:detail": "articles.Article",
    "activities:detail": "activities.Activity",
    "donations:detail": "donations.DonationProject",
    "alumni:profile_detail": "alumni.AlumniProfile",
}
STATS_REPEAT_WINDOW = timedelta(minutes=30)  # the same visitor again within it is not counted
# The request header carrying the client address behind a reverse proxy (its last entry is
# used), e.g. HTTP_X_FORWARDED_FOR; empty: REMOTE_ADDR.
STATS_CLIENT_IP_HEADER = env("STATS_CLIENT_IP_HEADER", default="")
# Public pages served whole from the cache to anonymous visitors for this long (0: off); any
# content change drops them at once (core/pagecache.py).
STATS_PAGE_CACHE_SECONDS = env.int("STATS_PAGE_CACHE_SECONDS", default=120)
# The daily WeChat statistics sync fetches each of this many past days not stored yet.
STATS_WECHAT_CATCH_UP_DAYS = 7

# Logging: one console handler (the service manager keeps it) whose filter masks registration
# tokens, query strings (callback signatures, OAuth codes, searches), e-mail addresses and
# mobile numbers in every record (core/redaction.py). Django's own loggers hand their
# records to it too, instead of to DEFAULT_LOGGING's handlers, and so does the Celery worker.
# LOG_FORMAT: "text" (readable), "keyvalue" (ts=… level=… request_id=… msg="…") or "json"
# (one object a line); every line carries the request's id, or a Celery task's (core/logformat.py).
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "core.redaction.RedactFilter"},
        "request_id": {"()": "core.requestid.RequestIdFilter"},
        "health": {"()": "alumni_cms.health.HealthLogFilter"},
    },
    "formatters": {
        "line": {"()": "core.logformat.line_formatter", "kind": LOG_FORMAT},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["health", "redact", "request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Operations: health check, system status, failure mails, retention, error reports
# `/healthz` for load balancers (alumni_cms/health.py): each part gets this many seconds; the
# broker's answer is kept this long in each process.
HEALTH_PATH = "/healthz"
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=2.0)
HEALTH_BROKER_CACHE_SECONDS = env.int("HEALTH_BROKER_CACHE_SECONDS", default=5)
# A database or Redis that stopped answering fails a request (and /healthz) within seconds
# instead of holding a web thread: PostgreSQL's connect, the Redis cache's connect and replies.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    _cache_timeout = env.float("CACHE_SOCKET_TIMEOUT", default=5.0)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": _cache_timeout, "socket_timeout": _cache_timeout}
    )
# The system status page (/admin/status/) calls a push "stuck" when it has not reached a final
# state this long after its last change, and a sync when it shows no progress for this long.
OPS_STUCK_AFTER = timedelta(minutes=env.int("OPS_STUCK_AFTER_MINUTES", default=30))
# The nightly follower sync and the daily reading-statistics sync are overdue (status page,
# `manage.py status`, mail) when they have not succeeded this long after their scheduled time
# (their retries take up to an hour).
OPS_SYNC_OVERDUE_AFTER = timedelta(minutes=env.int("OPS_SYNC_OVERDUE_MINUTES", default=180))
# The disk holding MEDIA_ROOT this full (percent, as measured every 30 minutes) is a problem
# for the status page and the office admins' mail (once a day while it lasts).
OPS_DISK_ALERT_PERCENT = env.int("OPS_DISK_ALERT_PERCENT", default=90)
# Whether MEDIA_ROOT is on storage every web host and worker sees (true), or the deployment is
# one host (false). Unset with DEBUG off, `check --deploy` warns (alumni_cms.W004).
MEDIA_ROOT_SHARED = env.bool("MEDIA_ROOT_SHARED", default=None)
# Retention (alumni_cms/retention.py, nightly): rows older than this many days are deleted in
# batches of RETENTION_BATCH_SIZE; 0 keeps them forever.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
RETENTION_CALLBACK_EVENT_DAYS = env.int("RETENTION_CALLBACK_EVENT_DAYS", default=90)
RETENTION_INBOX_DAYS = env.int("RETENTION_INBOX_DAYS", default=365)
RETENTION_FOLLOWER_SYNC_DAYS = env.int("RETENTION_FOLLOWER_SYNC_DAYS", default=180)
RETENTION_STATS_BATCH_DAYS = env.int("RETENTION_STATS_BATCH_DAYS", default=7)
RETENTION_LOGIN_LOG_DAYS = env.int("RETENTION_LOGIN_LOG_DAYS", default=180)
RETENTION_EMULATOR_LOG_DAYS = env.int("RETENTION_EMULATOR_LOG_DAYS", default=7)
RETENTION_ALERT_DAYS = env.int("RETENTION_ALERT_DAYS", default=90)
# Revisions kept per item beyond those the workflow still needs (see alumni_cms/retention.py).
RETENTION_REVISIONS_PER_ITEM = env.int("RETENTION_REVISIONS_PER_ITEM", default=50)
# Error reports: sentry-sdk starts only with a DSN (alumni_cms/sentry.py); no personal data.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
if SENTRY_DSN:
    from alumni_cms.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
