#!/usr/bin/env python3
"""Production smoke test: the runtime install on its own, as deploy/ runs it. `.ci/run` calls it.

    python3 deploy/smoke.py          # needs PostgreSQL, Redis, RabbitMQ and Debian's nginx

1. A fresh virtualenv from requirements.txt ONLY (no test packages), `pip check`.
2. deploy/env.example's production values (DEBUG off, HTTPS settings, the emulator off), its
   placeholders filled: a generated SECRET_KEY, the PostgreSQL database `alumni_cms_smoke`
   created afresh, the Redis cache, real-looking fake WeChat credentials. Then
   `check --deploy --fail-level ERROR` (no warning but those README.md explains), `migrate`,
   `collectstatic`.
3. On Redis, then on RabbitMQ: a real `celery worker` and `celery beat`; a task sent with
   .delay() (`manage.py heartbeat --ping`) and a beat-scheduled one (`heartbeat --next`) must
   each be run within their timeout.
4. gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx/alumni-cms.conf (the
   same file, its paths and ports substituted, a throwaway TLS certificate), then HTTP checks
   through nginx: pages, static, media safety, the proxy headers, slow request bodies, logs.
5. deploy/multihost.py: two gunicorns and two workers on one PostgreSQL and one Redis, nginx
   balancing between them; caches, throttles, the WeChat token, view counts and a push's
   single send are shared (or made once) across them.

Standard library only (it runs before any virtualenv exists). Every process it starts runs in
its own process group and is killed on the way out, whatever happens; on failure it prints what
failed and the logs of the processes involved, and exits 1. SMOKE_KEEP=1 keeps the work folder;
while working on this script, SMOKE_VENV=<a runtime venv> skips the install and
SMOKE_ONLY=celery, web or multihost (comma-separated) runs those rounds only. Two runs at once
on one machine share the database and the queues: not supported.
"""

import contextlib
import hashlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "alumni.example.edu.cn"  # deploy/nginx/alumni-cms.conf's server_name
DATABASE_URL = os.environ.get(
    "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alumni_cms_smoke"
)
CACHE_URL = os.environ.get("SMOKE_CACHE_URL", "redis://127.0.0.1:6379/11")
BROKERS = {
    "Redis": os.environ.get("SMOKE_REDIS_BROKER_URL", "redis://127.0.0.1:6379/12"),
    "RabbitMQ": os.environ.get("SMOKE_AMQP_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
# The smoke gunicorn has one process of four threads: four held request bodies would take every
# one of them if nginx passed bodies on as they arrive (with more processes, which one accepts
# the page's request is luck).
WEB_CONCURRENCY, WEB_THREADS, SLOW_BODIES = 1, 4, 4
# What `check --deploy` may say with production values, each explained in README.md's
# production checklist; anything else fails the smoke test.
EXPECTED_WARNINGS = {"security.W019", "security.W021"}

started_at = time.monotonic()


class SmokeError(Exception):
    """A check failed; `logs` are the files worth printing."""

    def __init__(self, message: str, logs: tuple[Path, ...] = ()):
        super().__init__(message)
        self.logs = logs


def say(message: str) -> None:
    print(f"==> [smoke {time.monotonic() - started_at:5.1f}s] {message}", flush=True)


class Processes:
    """Every long-running process of the smoke test, each in its own process group."""

    def __init__(self):
        self.running: dict[str, tuple[subprocess.Popen, Path]] = {}

    def start(self, name: str, cmd: list[str], *, env: dict, log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running[name] = (proc, log)
        return proc

    def check_alive(self) -> None:
        for name, (proc, log) in self.running.items():
            if proc.poll() is not None:
                raise SmokeError(f"{name} exited with {proc.returncode}", (log,))

    def stop(self, *names: str) -> None:
        names = names or tuple(self.running)
        for name in names:
            proc, _ = self.running[name]
            if proc.poll() is None:
                _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name in names:
            proc, _ = self.running.pop(name)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group too: a prefork child or a gunicorn worker may outlive its parent.
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def run(cmd: list[str], *, env: dict | None = None, timeout: float = 300, log: Path) -> str:
    """Run a command to its end; its output goes to `log` and is returned. Fails loudly."""
    try:
        result = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as error:
        raise SmokeError(f"{' '.join(cmd[:4])} … did not finish within {timeout} s") from error
    output = result.stdout.decode(errors="replace")
    with open(log, "a") as out:
        out.write(f"$ {' '.join(cmd)}\n{output}\n")
    if result.returncode != 0:
        raise SmokeError(f"{' '.join(cmd[:4])} … exited with {result.returncode}", (log,))
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, predicate, *, timeout: float, processes: Processes, logs=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        if predicate():
            return
        time.sleep(0.2)
    raise SmokeError(f"{what}: not within {timeout} s", tuple(logs))


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def make_venv(work: Path) -> Path:
    if os.environ.get("SMOKE_VENV"):  # while working on this script only; CI always builds anew
        return Path(os.environ["SMOKE_VENV"]) / "bin"
    venv = work / "venv"
    log = work / "install.log"
    say("Fresh virtualenv from requirements.txt only")
    run([sys.executable, "-m", "venv", str(venv)], log=log)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    requirements = str(ROOT / "requirements.txt")
    run([*pip, "install", "-q", "--no-compile", "-r", requirements], log=log, timeout=600)
    run([*pip, "check"], log=log)
    return venv / "bin"


def env_example() -> dict:
    """deploy/env.example as a dict (KEY=value lines, as systemd's EnvironmentFile reads them)."""
    values = {}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def production_env(work: Path, bin_dir: Path) -> dict:
    """deploy/env.example, its placeholders and this machine's services replaced."""
    alphabet = string.ascii_letters + string.digits
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER")
    }
    env.update(env_example())
    env.update(
        {
            "PATH": f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "alumni_cms.settings",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DATA_DIR": str(work / "data"),
            "DATABASE_URL": DATABASE_URL,
            "CACHE_URL": CACHE_URL,
            "CELERY_BROKER_URL": BROKERS["Redis"],
            "EMAIL_URL": "consolemail://",
            # Real-looking but fake: nothing here may need WeChat. An https address where
            # nothing listens, so a stray call fails at once instead of reaching WeChat.
            "WECHAT_API_BASE_URL": "https://127.0.0.1:9",
            "WECHAT_APP_ID": "wx" + secrets.token_hex(8),
            "WECHAT_APP_SECRET": secrets.token_hex(16),
            "WECHAT_TOKEN": secrets.token_hex(16),
            "WECHAT_ENCODING_AES_KEY": "".join(secrets.choice(alphabet) for _ in range(43)),
            "HEARTBEAT_INTERVAL_SECONDS": "2",
            "WEB_CONCURRENCY": str(WEB_CONCURRENCY),
            "WEB_THREADS": str(WEB_THREADS),
        }
    )
    left = sorted(key for key, value in env.items() if "CHANGE-ME" in value)
    if left:
        raise SmokeError(f"deploy/env.example placeholders the smoke test does not fill: {left}")
    if env.get("DEBUG") != "false" or HOST not in env.get("ALLOWED_HOSTS", ""):
        raise SmokeError(f"deploy/env.example must say DEBUG=false and ALLOWED_HOSTS={HOST}")
    return env


def venv_python(bin_dir: Path, code: str, *, env: dict, log: Path) -> str:
    return run([str(bin_dir / "python"), "-c", code], env=env, log=log, timeout=60)


def prepare_services(bin_dir: Path, env: dict, log: Path) -> None:
    say(f"Fresh database {DATABASE_URL.rsplit('/', 1)[-1]}; emptying Redis {CACHE_URL}")
    venv_python(
        bin_dir,
        "import os, environ, psycopg2\n"
        "db = environ.Env.db_url_config(os.environ['DATABASE_URL'])\n"
        "conn = psycopg2.connect(dbname='postgres', user=db['USER'], password=db['PASSWORD'],"
        " host=db['HOST'], port=db['PORT'])\n"
        "conn.autocommit = True\n"
        "cur = conn.cursor()\n"
        "cur.execute('DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)' % db['NAME'])\n"
        "cur.execute('CREATE DATABASE \"%s\"' % db['NAME'])\n"
        "import redis\n"
        "redis.Redis.from_url(os.environ['CACHE_URL']).flushdb()\n",
        env=env,
        log=log,
    )


def manage(bin_dir: Path, *args: str, env: dict, log: Path, timeout: float = 300) -> str:
    return run([str(bin_dir / "python"), "manage.py", *args], env=env, log=log, timeout=timeout)


def celery_round(broker: str, url: str, bin_dir: Path, env: dict, work: Path) -> None:
    env = {**env, "CELERY_BROKER_URL": url}
    processes = Processes()
    slug = broker.lower()
    worker_log, beat_log, check_log = (work / f"{slug}-{n}.log" for n in ("worker", "beat", "hb"))
    try:
        say(f"{broker}: celery worker and celery beat")
        celery = str(bin_dir / "celery")
        # A heartbeat left in the queue by an earlier run must not pass for this run's.
        run([celery, "-A", "alumni_cms", "purge", "-f"], env=env, log=check_log, timeout=60)
        processes.start(
            "worker",
            [celery, "-A", "alumni_cms", "worker", "--loglevel=INFO", "--concurrency=1",
             f"--hostname=smoke-{slug}-{secrets.token_hex(3)}@%h"],
            env=env,
            log=worker_log,
        )  # fmt: skip
        processes.start(
            "beat", [celery, "-A", "alumni_cms", "beat", "--loglevel=INFO"], env=env, log=beat_log
        )
        logs = (worker_log, beat_log, check_log)
        for what, args, timeout in (
            ("a task sent with .delay()", ("--ping", "--timeout", "60"), 75),
            ("a beat-scheduled task", ("--next", "--timeout", "30"), 45),
        ):
            check = processes.start(
                "check", [str(bin_dir / "python"), "manage.py", "heartbeat", *args],
                env=env, log=check_log,
            )  # fmt: skip
            deadline = time.monotonic() + timeout
            while check.poll() is None:
                if time.monotonic() > deadline:
                    raise SmokeError(f"{broker}: heartbeat {args[0]} hangs", logs)
                for name in ("worker", "beat"):
                    proc, log = processes.running[name]
                    if proc.poll() is not None:
                        raise SmokeError(f"{broker}: {name} exited with {proc.returncode}", logs)
                time.sleep(0.2)
            processes.stop("check")
            if check.returncode != 0:
                raise SmokeError(f"{broker}: the worker did not run {what}", logs)
            say(f"{broker}: the worker ran {what}")
    finally:
        processes.stop()


SUBSTITUTIONS = (
    # (text in deploy/nginx/alumni-cms.conf, what the smoke test puts there)
    ("listen 80;", "listen 127.0.0.1:{http_port};"),
    ("listen 443 ssl;", "listen 127.0.0.1:{https_port} ssl;"),
    ("server 127.0.0.1:8000", "server 127.0.0.1:{app_port}"),
    ("/etc/ssl/alumni-cms/", "{tls_dir}/"),
    ("/var/lib/alumni-cms", "{data_dir}"),
    ("/var/log/nginx/", "{nginx_dir}/"),
)

NGINX_MAIN = """\
daemon off;
worker_processes 1;
{user}
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {nginx_dir}/access.log;
    client_body_temp_path {nginx_dir}/tmp/body;
    proxy_temp_path {nginx_dir}/tmp/proxy;
    fastcgi_temp_path {nginx_dir}/tmp/fastcgi;
    uwsgi_temp_path {nginx_dir}/tmp/uwsgi;
    scgi_temp_path {nginx_dir}/tmp/scgi;
    include {nginx_dir}/alumni-cms.conf;
}}
"""


def nginx_config(work: Path, ports: dict) -> Path:
    """deploy/nginx/alumni-cms.conf with this machine's paths and ports, in a main config."""
    nginx_dir = work / "nginx"
    (nginx_dir / "tmp").mkdir(parents=True)
    values = {
        **ports,
        "tls_dir": work / "tls",
        "data_dir": work / "data",
        "nginx_dir": nginx_dir,
        # As root, nginx's workers would drop to `nobody`, who cannot read the work folder.
        "user": "user root;" if os.geteuid() == 0 else "",
    }
    site = (ROOT / "deploy" / "nginx" / "alumni-cms.conf").read_text()
    for old, new in SUBSTITUTIONS:
        if old not in site:
            raise SmokeError(f"deploy/nginx/alumni-cms.conf no longer contains {old!r}")
        site = site.replace(old, new.format(**values))
    (nginx_dir / "alumni-cms.conf").write_text(site)
    main = nginx_dir / "nginx.conf"
    main.write_text(NGINX_MAIN.format(**values))
    return main


def make_certificate(bin_dir: Path, work: Path, env: dict, log: Path) -> None:
    tls = work / "tls"
    tls.mkdir()
    venv_python(
        bin_dir,
        "import datetime, sys\n"
        "from cryptography import x509\n"
        "from cryptography.hazmat.primitives import hashes, serialization\n"
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "from cryptography.x509.oid import NameOID\n"
        "key = ec.generate_private_key(ec.SECP256R1())\n"
        f"name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, {HOST!r})])\n"
        "now = datetime.datetime.now(datetime.timezone.utc)\n"
        "cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)"
        ".public_key(key.public_key()).serial_number(x509.random_serial_number())"
        ".not_valid_before(now - datetime.timedelta(hours=1))"
        ".not_valid_after(now + datetime.timedelta(days=1))"
        ".sign(key, hashes.SHA256()))\n"
        f"open({str(tls / 'fullchain.pem')!r}, 'wb')"
        ".write(cert.public_bytes(serialization.Encoding.PEM))\n"
        f"open({str(tls / 'privkey.pem')!r}, 'wb').write(key.private_bytes("
        "serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,"
        " serialization.NoEncryption()))\n",
        env=env,
        log=log,
    )


def media_fixtures(bin_dir: Path, work: Path, env: dict, log: Path) -> Path:
    """Files as an attacker would leave them in MEDIA_ROOT, and one honest image."""
    media = work / "data" / "media" / "smoke"
    media.mkdir(parents=True)
    venv_python(
        bin_dir,
        "from PIL import Image\n"
        f"Image.new('RGB', (2, 2), (200, 30, 30)).save({str(media / 'photo.png')!r})\n",
        env=env,
        log=log,
    )
    page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
    (media / "poc.html").write_bytes(page)
    (media / "poc.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    (media / "poc.xhtml").write_bytes(page)
    # An image's name, an HTML body: must still reach the browser as an image, never sniffed.
    (media / "poc.html.png").write_bytes(page)
    return media


class Site:
    """HTTP(S) to the local nginx, as a browser on https://alumni.example.edu.cn would."""

    def __init__(self, http_port: int, https_port: int):
        self.http_port, self.https_port = http_port, https_port
        self.tls = ssl.create_default_context()
        self.tls.check_hostname = False
        self.tls.verify_mode = ssl.CERT_NONE  # the smoke test's throwaway certificate

    def get(self, path: str, *, https: bool = True, headers: dict | None = None, timeout=10):
        if https:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=self.tls, timeout=timeout
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def hold_body(self, path: str) -> socket.socket:
        """A POST whose body never finishes: headers and a few bytes of a 4 KB body, then quiet."""
        raw = socket.create_connection(("127.0.0.1", self.https_port), timeout=10)
        sock = self.tls.wrap_socket(raw, server_hostname=HOST)
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: text/xml\r\n"
                "Content-Length: 4096\r\n\r\n<xml><ToUserName>"
            ).encode()
        )
        return sock


def expect(condition: bool, message: str, logs=()) -> None:
    if not condition:
        raise SmokeError(message, tuple(logs))
    say(f"ok: {message}")


def web_round(bin_dir: Path, env: dict, work: Path) -> None:
    processes = Processes()
    ports = {"http_port": free_port(), "https_port": free_port(), "app_port": free_port()}
    gunicorn_log, nginx_log = work / "gunicorn.log", work / "nginx.log"
    setup_log = work / "web-setup.log"
    make_certificate(bin_dir, work, env, setup_log)
    media = media_fixtures(bin_dir, work, env, setup_log)
    main = nginx_config(work, ports)
    nginx_dir = main.parent
    access_log = nginx_dir / "alumni-cms.access.log"
    logs = (gunicorn_log, nginx_log, nginx_dir / "alumni-cms.error.log")
    nginx = ["nginx", "-p", str(nginx_dir), "-c", str(main), "-e", str(nginx_dir / "error.log")]
    run([*nginx, "-t"], log=nginx_log)
    try:
        say("gunicorn (deploy/gunicorn.conf.py) behind nginx (deploy/nginx/alumni-cms.conf)")
        processes.start(
            "gunicorn",
            [str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "alumni_cms.wsgi"],
            env={**env, "WEB_BIND": f"127.0.0.1:{ports['app_port']}"},
            log=gunicorn_log,
        )
        processes.start("nginx", nginx, env=env, log=nginx_log)
        for name, port in (("gunicorn", ports["app_port"]), ("nginx", ports["https_port"])):
            wait_for(f"{name} listens", lambda p=port: port_open(p), timeout=30,
                     processes=processes, logs=logs)  # fmt: skip
        site = Site(ports["http_port"], ports["https_port"])
        web_checks(site, env, media, access_log, gunicorn_log, logs)
    finally:
        processes.stop()


def web_checks(site: Site, env: dict, media: Path, access_log, gunicorn_log, logs) -> None:
    status, headers, body = site.get("/")
    expect(status == 200 and b"<html" in body.lower(), f"home page over HTTPS: {status}", logs)
    expect(
        "max-age=31536000" in (headers.get("Strict-Transport-Security") or ""),
        "Django saw HTTPS through nginx's X-Forwarded-Proto (it sends HSTS)",
        logs,
    )
    status, headers, _ = site.get("/", https=False)
    expect(
        status == 301 and headers.get("Location") == f"https://{HOST}/",
        f"plain HTTP is redirected to HTTPS by Django: {status} {headers.get('Location')}",
        logs,
    )
    status, _, _ = site.get("/", https=False, headers={"X-Forwarded-Proto": "https"})
    expect(status == 301, f"a client's own X-Forwarded-Proto: https is not trusted: {status}", logs)
    status, _, _ = site.get("/", headers={"Host": "evil.example.com"})
    expect(status == 400, f"a request for another host is refused: {status}", logs)

    css = Path(env["DATA_DIR"]) / "static" / "css" / "site.css"
    status, headers, body = site.get("/static/css/site.css")
    expect(
        status == 200 and body == css.read_bytes() and "text/css" in headers["Content-Type"],
        f"nginx serves collected static files: {status} {headers.get('Content-Type')}",
        logs,
    )
    expect(
        "max-age=" in (headers.get("Cache-Control") or ""),
        f"static files are cached: {headers.get('Cache-Control')}",
        logs,
    )

    status, headers, body = site.get("/media/smoke/photo.png")
    csp = headers.get("Content-Security-Policy") or ""
    expect(
        status == 200
        and body == (media / "photo.png").read_bytes()
        and headers["Content-Type"] == "image/png"
        and headers.get("X-Content-Type-Options") == "nosniff"
        and "sandbox" in csp
        and "default-src 'none'" in csp,
        f"an uploaded image is served with nosniff and a sandboxing CSP: {status} {csp!r}",
        logs,
    )
    for name in ("poc.html", "poc.svg", "poc.xhtml", ""):
        status, headers, body = site.get(f"/media/smoke/{name}")
        expect(
            status in (403, 404) and b"alert(" not in body and b"poc." not in body,
            f"/media/smoke/{name} is neither served nor listed: {status}",
            logs,
        )
    status, headers, _ = site.get("/media/smoke/poc.html.png")
    expect(
        headers.get("Content-Type") == "image/png"
        and headers.get("X-Content-Type-Options") == "nosniff"
        and "sandbox" in (headers.get("Content-Security-Policy") or ""),
        "HTML named .png goes out as a never-sniffed, sandboxed image",
        logs,
    )

    # Four callback POSTs with a valid signature whose bodies never finish, then a page.
    timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
    signature = hashlib.sha1("".join(sorted([env["WECHAT_TOKEN"], timestamp, nonce])).encode())
    callback = (
        f"/wechat/callback/?signature={signature.hexdigest()}&timestamp={timestamp}&nonce={nonce}"
    )
    site.get("/news/")  # the first request of a thread opens its database connection
    held = [site.hold_body(callback) for _ in range(SLOW_BODIES)]
    try:
        time.sleep(1)
        began = time.monotonic()
        status, _, _ = site.get("/news/", timeout=5)
        took = time.monotonic() - began
        expect(
            status == 200 and took < 2,
            f"with {SLOW_BODIES} never-finishing callback bodies open, a page answers "
            f"{status} in {took:.2f} s",
            logs,
        )
    except TimeoutError as error:
        raise SmokeError(
            f"with {SLOW_BODIES} never-finishing callback bodies open, a page does not answer",
            logs,
        ) from error
    finally:
        for sock in held:
            sock.close()

    # Secrets in query strings and in a cancel link's path never reach either access log.
    secret = secrets.token_hex(12)
    site.get(f"/news/?signature={secret}&nonce={secret}")
    site.get(f"/activities/registration/{secret}/cancel/")
    time.sleep(0.5)
    for log in (access_log, gunicorn_log):
        # The access lines only: gunicorn's file also holds the application's own log.
        text = "\n".join(
            line
            for line in log.read_text(errors="replace").splitlines()
            if re.search(r'"(?:GET|POST|HEAD) /', line)
        )
        expect(
            "/news/" in text and "/activities/registration/" in text and secret not in text,
            f"{log.name} logs paths but no query string and no cancel secret",
            (log,),
        )


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def main() -> int:
    for command in ("nginx",):
        if not shutil.which(command, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            print(f"smoke: {command} is not installed", file=sys.stderr)
            return 1
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    work = Path(tempfile.mkdtemp(prefix="alumni-cms-smoke-"))
    work.chmod(0o755)

    def interrupted(signum, frame):
        raise SystemExit(f"smoke: interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    ok = False
    try:
        bin_dir = make_venv(work)
        env = production_env(work, bin_dir)
        setup_log = work / "setup.log"
        prepare_services(bin_dir, env, setup_log)
        say("check --deploy --fail-level ERROR, migrate, collectstatic (DEBUG off)")
        report = manage(bin_dir, "check", "--deploy", "--fail-level", "ERROR", env=env,
                        log=setup_log)  # fmt: skip
        print(report, end="")
        unexpected = set(re.findall(r"\(([\w.]+\.[WE]\d+)\)", report)) - EXPECTED_WARNINGS
        if unexpected:
            raise SmokeError(
                f"check --deploy: {', '.join(sorted(unexpected))} not explained in README.md "
                "(add it to the production checklist and to EXPECTED_WARNINGS, or fix it)"
            )
        manage(bin_dir, "migrate", "--no-input", env=env, log=setup_log)
        manage(bin_dir, "collectstatic", "--no-input", env=env, log=setup_log)
        only = os.environ.get("SMOKE_ONLY", "celery,web,multihost").split(",")
        if "celery" in only:
            for broker, url in BROKERS.items():
                celery_round(broker, url, bin_dir, env, work)
        if "web" in only:
            web_round(bin_dir, env, work)
        if "multihost" in only:
            # deploy/multihost.py: two instances, two workers, nginx balancing (issue 16).
            sys.modules.setdefault("smoke", sys.modules[__name__])
            from multihost import multihost_round

            multihost_round(bin_dir, env, work)
        ok = True
    except SmokeError as error:
        print(f"\nsmoke: FAILED: {error}", file=sys.stderr)
        for log in error.logs:
            print(f"\n----- {log} (last lines) -----\n{tail(log)}", file=sys.stderr)
    except Exception:
        print(f"\nsmoke: FAILED:\n{traceback.format_exc()}", file=sys.stderr)
        for log in sorted(work.rglob("*.log")):
            print(f"\n----- {log} (last lines) -----\n{tail(log, 20)}", file=sys.stderr)
    finally:
        if ok and not os.environ.get("SMOKE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"smoke: the work folder is kept: {work}", file=sys.stderr)
    if ok:
        say(f"production smoke test passed in {time.monotonic() - started_at:.0f} s")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
