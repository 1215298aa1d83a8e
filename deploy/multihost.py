#!/usr/bin/env python3
"""Several hosts, one truth (issue 16): the smoke test's multi-host round. deploy/smoke.py runs
it after its web round (SMOKE_ONLY=multihost runs it alone, after the shared setup).

Two gunicorn processes on two ports and two Celery workers (and one beat) on one PostgreSQL
and one Redis, nginx balancing between the two gunicorns (deploy/nginx/alumni-cms.conf with
both in its upstream), the WeChat emulator standing in for WeChat. Each process has a DATA_DIR
of its own, as separate hosts would; only MEDIA_ROOT and STATIC_ROOT are shared (the storage
README.md asks a multi-host deployment to share). Checked:

- an article published through instance A is on the news list read through B and through
  nginx at once, though both had the list in the page cache (no stale page);
- the login throttle (LOGIN_IP_LIMITS) counts one address's attempts across A and B;
- the WeChat access token one instance fetched is the one the other uses (the emulator counts
  one token call for the whole arrangement);
- views counted on A and on B add up once flushed;
- a push approved on A is sent exactly once with two workers (the emulator counts one send);
- two follower syncs asked for at once through A and B make one run (the other worker exits);
- nginx passes requests to both instances.

Standard library only, like smoke.py, whose helpers it uses.
"""

import http.client
import json
import os
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import smoke  # noqa: E402
from smoke import HOST, Processes, SmokeError, expect, free_port, port_open, say  # noqa: E402

BATCHGET = "cgi-bin/user/info/batchget"
LOGIN_LIMIT = 30  # settings.LOGIN_IP_LIMITS: 30 POSTs per address in 15 minutes
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0.40"

EMULATOR = """
import sys
from wechat_emulator import EmulatorConfig, EmulatorServer
config = EmulatorConfig(app_id=sys.argv[2], app_secret=sys.argv[3], follower_count=50)
EmulatorServer(host="127.0.0.1", port=int(sys.argv[1]), config=config).serve_forever()
"""

# Run once with `manage.py shell`: the people and content the checks act on.
SETUP = """
import json, io
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from articles.models import Article, Category, Department
from editorial.models import State
from wechat.models import Push, PushItem
from django.contrib.contenttypes.models import ContentType

User = get_user_model()
admin = User.objects.create_superuser("mh-admin", "mh-admin@example.edu.cn", "{password}")
editor = User.objects.create_user("mh-editor", "mh-editor@example.edu.cn", "{password}")
category, _ = Category.objects.get_or_create(name="多主机")
department, _ = Department.objects.get_or_create(name="校友办")

def cover():
    buffer = io.BytesIO()
    Image.new("RGB", (900, 500), (20, 40, 120)).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="cover.jpg")

common = dict(body="<p>正文内容。</p>", author="校友办", category=category,
              department=department, created_by=editor, digest="多主机检查")
scheduled = Article.objects.create(title="多主机发布检查{tag}", state=State.SCHEDULED,
                                   publish_at=timezone.now() + timezone.timedelta(days=1),
                                   **common)
viewed = Article.objects.create(title="多主机阅读检查{tag}", state=State.PUBLISHED,
                                published_at=timezone.now(), cover=cover(), **common)
push = Push.objects.create(title="多主机推送{tag}", mode="mass", created_by=editor)
PushItem.objects.create(push=push, position=1, title=viewed.title, object_id=viewed.pk,
                        content_type=ContentType.objects.get_for_model(Article))
print("MULTIHOST " + json.dumps({{"scheduled": scheduled.pk, "viewed": viewed.pk,
                                  "push": push.pk}}))
"""

FLUSH_AND_READ = """
import json
from django.db.models import Sum
from stats.models import DailyViews
from stats.services import views_flush
from wechat.models import Push
views_flush()
views = DailyViews.objects.filter(object_id={viewed}).aggregate(n=Sum("views"))["n"] or 0
push = Push.objects.get(pk={push})
from audience.models import FollowerSyncRun
print("MULTIHOST " + json.dumps({{"views": views, "push_state": push.state,
                                  "sync_runs": FollowerSyncRun.objects.count()}}))
"""


class Browser:
    """One visitor's cookies against one address (an instance, or nginx over HTTPS)."""

    def __init__(self, port: int, *, https: bool = False, ip: str = "198.51.100.1"):
        self.port, self.https, self.ip = port, https, ip
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, headers=None):
        if self.https:
            context = smoke.ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = smoke.ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": HOST, "User-Agent": BROWSER, **(headers or {})}
        if not self.https:
            # What nginx adds in front of an instance (deploy/nginx/alumni-cms.conf).
            sent.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": self.ip})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"https://{HOST}{path}",
                    "Origin": f"https://{HOST}",
                }
            )
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, data.decode(errors="replace")

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict):
        if "csrftoken" not in self.cookies:
            self.get("/admin/login/")
        return self.request(
            "POST", path, form={"csrfmiddlewaretoken": self.cookies["csrftoken"], **form}
        )

    def log_in(self, username: str, password: str) -> None:
        self.get("/admin/login/")
        status, headers, _ = self.request(
            "POST",
            "/admin/login/",
            form={
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
                "username": username,
                "password": password,
                "next": "/admin/",
            },
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SmokeError(f"logging in as {username} through port {self.port}: {status}")


def emulator_state(url: str) -> dict:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/_emulator/state")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def emulator_post(url: str, route: str, **data) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(
            "POST", f"/_emulator/{route}", body=json.dumps(data),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        conn.getresponse().read()
    finally:
        conn.close()


def token_calls(counters: dict) -> int:
    return sum(counters.get(k, 0) for k in ("cgi-bin/token", "cgi-bin/stable_token"))


def shell(bin_dir: Path, code: str, *, env: dict, log: Path) -> dict:
    output = smoke.manage(bin_dir, "shell", "-c", code, env=env, log=log, timeout=120)
    for line in output.splitlines():
        if line.startswith("MULTIHOST "):
            return json.loads(line.removeprefix("MULTIHOST "))
    raise SmokeError("manage.py shell printed no result", (log,))


def multihost_round(bin_dir: Path, env: dict, work: Path) -> None:
    """Start the arrangement, run the checks, stop everything (whatever happens)."""
    home = work / "multihost"
    home.mkdir()
    (home / "data").symlink_to(work / "data")  # nginx's static and media: the shared storage
    processes = Processes()
    ports = {
        "http_port": free_port(),
        "https_port": free_port(),
        "app_port": free_port(),
        "b_port": free_port(),
        "emulator": free_port(),
    }
    log = home / "multihost.log"
    emulator_url = f"http://127.0.0.1:{ports['emulator']}"
    shared = {
        **env,
        "CELERY_BROKER_URL": smoke.BROKERS["Redis"],
        "MEDIA_ROOT": str(work / "data" / "media"),
        "STATIC_ROOT": str(work / "data" / "static"),
        "WECHAT_API_BASE_URL": emulator_url,
        "HEARTBEAT_INTERVAL_SECONDS": "60",
    }

    def host_env(name: str) -> dict:
        data = home / "hosts" / name
        data.mkdir(parents=True)
        return {**shared, "DATA_DIR": str(data)}

    logs = {name: home / f"{name}.log" for name in ("web-a", "web-b", "worker-1", "worker-2",
                                                     "beat", "nginx", "emulator")}  # fmt: skip
    all_logs = (*logs.values(), log)
    smoke.make_certificate(bin_dir, home, env, log)
    main = smoke.nginx_config(home, ports)
    site_conf = main.parent / "alumni-cms.conf"
    one = f"server 127.0.0.1:{ports['app_port']}"
    site_conf.write_text(
        site_conf.read_text().replace(
            f"{one} fail_timeout=0;",
            f"{one} fail_timeout=0;\n    server 127.0.0.1:{ports['b_port']} fail_timeout=0;",
        )
    )
    expect(
        f"127.0.0.1:{ports['b_port']}" in site_conf.read_text(),
        "nginx's upstream lists both instances",
    )
    nginx = ["nginx", "-p", str(main.parent), "-c", str(main), "-e", str(main.parent / "e.log")]
    smoke.run([*nginx, "-t"], log=logs["nginx"])
    python, celery = str(bin_dir / "python"), str(bin_dir / "celery")
    password = secrets.token_urlsafe(12)
    tag = secrets.token_hex(3)
    try:
        say("multi-host: the WeChat emulator, two gunicorns, two workers, beat, nginx")
        processes.start(
            "emulator",
            [python, "-c", EMULATOR, str(ports["emulator"]), env["WECHAT_APP_ID"],
             env["WECHAT_APP_SECRET"]],
            env=shared, log=logs["emulator"],
        )  # fmt: skip
        smoke.run([celery, "-A", "alumni_cms", "purge", "-f"], env=shared, log=log, timeout=60)
        ids = shell(bin_dir, SETUP.format(password=password, tag=tag), env=shared, log=log)
        gunicorn = [str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "alumni_cms.wsgi"]
        for name, port in (("web-a", ports["app_port"]), ("web-b", ports["b_port"])):
            processes.start(
                name, gunicorn, env={**host_env(name), "WEB_BIND": f"127.0.0.1:{port}"},
                log=logs[name],
            )  # fmt: skip
        for name in ("worker-1", "worker-2"):
            processes.start(
                name,
                [celery, "-A", "alumni_cms", "worker", "--loglevel=INFO", "--concurrency=2",
                 f"--hostname={name}-{tag}@%h"],
                env=host_env(name), log=logs[name],
            )  # fmt: skip
        processes.start(
            "beat", [celery, "-A", "alumni_cms", "beat", "--loglevel=INFO"],
            env=host_env("beat"), log=logs["beat"],
        )  # fmt: skip
        processes.start("nginx", nginx, env=shared, log=logs["nginx"])
        for port in (ports["emulator"], ports["app_port"], ports["b_port"], ports["https_port"]):
            smoke.wait_for(f"port {port} listens", lambda p=port: port_open(p), timeout=60,
                           processes=processes, logs=all_logs)  # fmt: skip
        checks(ports, ids, password, tag, emulator_url, bin_dir, shared, processes, all_logs, log)
    finally:
        processes.stop()


def checks(ports, ids, password, tag, emulator_url, bin_dir, env, processes, logs, log) -> None:
    a, b = ports["app_port"], ports["b_port"]
    via_nginx = Browser(ports["https_port"], https=True)
    readers = {"A": Browser(a), "B": Browser(b), "nginx": via_nginx}

    # 1. The page cache: both instances (and nginx) hold the news list; A publishes.
    title = f"多主机发布检查{tag}"
    for name, reader in readers.items():
        status, _, page = reader.get("/news/")
        expect(status == 200 and title not in page, f"news list through {name}, before", logs)
    admin = Browser(a, ip="192.0.2.10")
    admin.log_in("mh-admin", password)
    status, headers, _ = admin.post(
        f"/admin/articles/article/{ids['scheduled']}/workflow/publish/", {}
    )
    expect(status == 302, f"the article is published through instance A: {status}", logs)
    for name, reader in readers.items():
        status, _, page = reader.get("/news/")
        expect(title in page, f"the news list read through {name} shows it at once", logs)

    # 2. The access token: a reader identified on A, another on B; one token for both.
    for name, port, index in (("A", a, 1), ("B", b, 2)):
        reader = Browser(port, ip=f"198.51.100.{200 + index}")
        emulator_post(emulator_url, "config", oauth_openid=f"oEMU{index:024d}")  # a follower
        status, headers, _ = reader.get("/me/")
        authorize = headers.get("Location", "")
        expect(status == 302 and authorize.startswith(emulator_url), f"/me/ on {name}", logs)
        parts = urlsplit(authorize)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", f"{parts.path}?{parts.query}")
        back = conn.getresponse().headers.get("Location", "")
        conn.close()
        status, _, _ = reader.get(back.removeprefix(f"https://{HOST}"))
        expect(status == 302, f"WeChat web authorization through {name}: {status}", logs)
    counters = emulator_state(emulator_url)["counters"]
    expect(
        token_calls(counters) == 1 and counters.get("cgi-bin/user/info/batchget", 0) == 2,
        f"A and B asked user/info with one access token: {token_calls(counters)} token calls",
        logs,
    )

    # 3. View counts: three visitors on A, four on B, all counted once flushed.
    for name, port, visitors in (("A", a, 3), ("B", b, 4)):
        for n in range(visitors):
            status, _, _ = Browser(port, ip=f"203.0.113.{n + (10 if name == 'A' else 20)}").get(
                f"/news/{ids['viewed']}/"
            )
            if status != 200:
                raise SmokeError(f"article page through {name}: {status}", logs)

    # 4. A push approved on A, two workers: sent once.
    status, _, _ = admin.post(f"/admin/wechat/push/{ids['push']}/approve/", {})
    expect(status == 302, f"the push is approved through instance A: {status}", logs)
    deadline = time.monotonic() + 90
    sendall = "cgi-bin/message/mass/sendall"
    while emulator_state(emulator_url)["counters"].get(sendall, 0) < 1:
        processes.check_alive()
        if time.monotonic() > deadline:
            raise SmokeError("the approved push was not sent within 90 s", logs)
        time.sleep(0.5)
    time.sleep(5)  # a second send, if the workers raced, would come now
    counters = emulator_state(emulator_url)["counters"]
    expect(counters.get(sendall) == 1, f"two workers sent the push once: {counters}", logs)
    expect(token_calls(counters) == 1, "the workers used the same access token as the web", logs)

    # 5. Two follower syncs asked for at once, on A and on B: one runs, the other worker's exits.
    emulator_post(emulator_url, "faults", paths=["cgi-bin/user/get"], latency_ms=3000)
    admin_b = Browser(b, ip="192.0.2.11")
    admin_b.log_in("mh-admin", password)
    for name, browser in (("A", admin), ("B", admin_b)):
        status, _, _ = browser.post("/admin/audience/follower/sync/", {"mode": "full"})
        expect(status == 302, f"a follower sync is queued through {name}", logs)
    deadline = time.monotonic() + 60
    while emulator_state(emulator_url)["counters"].get(BATCHGET, 0) < 3:
        processes.check_alive()
        if time.monotonic() > deadline:
            raise SmokeError("the follower sync did not fetch the followers within 60 s", logs)
        time.sleep(0.5)
    time.sleep(8)  # the user/get of a second run, had one started, would be counted by now
    emulator_post(emulator_url, "faults")
    counters = emulator_state(emulator_url)["counters"]
    expect(
        counters.get("cgi-bin/user/get") == 2 and counters[BATCHGET] == 3,
        f"two workers, two sync requests, one sync: user/get {counters.get('cgi-bin/user/get')}",
        logs,
    )

    result = shell(
        bin_dir, FLUSH_AND_READ.format(viewed=ids["viewed"], push=ids["push"]), env=env, log=log
    )
    expect(result["sync_runs"] == 1, f"one follower sync run: {result['sync_runs']}", logs)
    expect(result["views"] == 7, f"views on A (3) and B (4) add up: {result['views']}", logs)
    expect(result["push_state"] in ("sent", "finished"), f"push state {result['push_state']}", logs)

    # 6. The login throttle counts across instances: A and B in turn, one address.
    attacker = {"A": Browser(a, ip="203.0.113.99"), "B": Browser(b, ip="203.0.113.99")}
    statuses = []
    for n in range(LOGIN_LIMIT + 1):
        browser = attacker["A" if n % 2 == 0 else "B"]
        browser.get("/admin/login/")
        status, _, _ = browser.request(
            "POST",
            "/admin/login/",
            form={
                "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
                "username": f"guess{n}",
                "password": "wrong",
            },
        )
        statuses.append(status)
    expect(
        statuses[:LOGIN_LIMIT] == [200] * LOGIN_LIMIT and statuses[-1] == 429,
        f"{LOGIN_LIMIT} login attempts split over A and B, the next one refused with 429 "
        f"({statuses[-3:]})",
        logs,
    )

    # 7. nginx balanced: both instances answered requests it passed.
    def served() -> list[int]:
        return [
            (Path(str(log)).parent / f"{name}.log").read_text(errors="replace").count("GET /news/ ")
            for name in ("web-a", "web-b")
        ]

    before = served()
    for _ in range(6):
        via_nginx.get("/news/")
    time.sleep(0.5)
    after = served()
    expect(
        all(n > m for n, m in zip(after, before, strict=True)),
        f"nginx passed requests to both instances ({after[0] - before[0]} to A, "
        f"{after[1] - before[1]} to B)",
        logs,
    )


def main() -> int:
    """Run only this round: `python3 deploy/multihost.py` (SMOKE_ONLY=multihost smoke.py)."""
    os.environ["SMOKE_ONLY"] = "multihost"
    return smoke.main()


if __name__ == "__main__":
    sys.exit(main())
