#!/usr/bin/env python3
"""The two commands of the README's quick start.

    python3 dev.py run    # virtualenv, pinned requirements, migrations, demo content, all processes
    python3 dev.py test   # test requirements, then the whole test suite (extra args go to pytest)

Needs nothing but Python 3.11. Everything else comes from the environment (see README.md).
"""

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def ensure_venv(requirements: str) -> None:
    """Create .venv and install `requirements` into it, again only when the files changed."""
    if not PYTHON.exists():
        say("Creating the virtualenv in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    say(f"Installing {requirements}")
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ],
        cwd=ROOT,
        check=True,
    )
    stamp.write_text(digest.hexdigest())


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, check=True, env=env)


def run() -> int:
    ensure_venv("requirements.txt")
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("PYTHONUNBUFFERED", "1")
    port = env.get("PORT", "8000")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    say("Migrating the database")
    manage("migrate", "--no-input", env=env)
    say("Loading demo content and demo users (kept across runs, never duplicated)")
    manage("load_demo", env=env)
    # Invented reading figures for the demo items, so the dashboard has something to show
    # (days already counted are kept: a rerun adds nothing).
    manage("stats_seed_demo", "--days", "120", env=env)

    processes = {
        "web": [str(PYTHON), "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [
            str(PYTHON), "-m", "celery", "-A", "alumni_cms", "worker",
            "--loglevel=INFO", "--concurrency=2",
        ],
        "scheduler": [
            str(PYTHON), "-m", "celery", "-A", "alumni_cms", "beat", "--loglevel=INFO",
            "--schedule", str(Path(env.get("DATA_DIR", ROOT / "data")) / "celerybeat-schedule"),
        ],
    }  # fmt: skip
    emulator = ROOT / "wechat_emulator" / "management" / "commands" / "wechat_emulator.py"
    if (
        # as settings.py: the emulator by default only under DEBUG
        env.get("WECHAT_EMULATOR", env["DEBUG"]).lower() in ("1", "true", "yes", "on")
        and emulator.exists()
    ):
        processes["wechat-emulator"] = [str(PYTHON), "manage.py", "wechat_emulator"]
    pay_emulator = ROOT / "payments_emulator" / "management" / "commands" / "wechatpay_emulator.py"
    if (
        # as settings.py: the payment emulator follows WECHAT_EMULATOR unless set itself
        env.get("WECHATPAY_EMULATOR", env.get("WECHAT_EMULATOR", env["DEBUG"])).lower()
        in ("1", "true", "yes", "on")
        and pay_emulator.exists()
    ):
        processes["wechatpay-emulator"] = [str(PYTHON), "manage.py", "wechatpay_emulator"]
    running = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
        for name, cmd in processes.items()
    }
    time.sleep(2)
    base = f"http://127.0.0.1:{port}"
    print(
        f"""
  Public site      {base}/
  Admin            {base}/admin/
  Liaison portal   {base}/liaison/

  Demo logins (password for all: demo-pass-2026)
    officeadmin   管理员 / office admin (superuser)
    editor        编辑 / editor
    reviewer      审核员 / reviewer
    donations     捐赠专员 / donations officer (records gifts)
    liaison       联络员 / liaison of 上海校友会
    liaison2      联络员 / liaison of 北京校友会

  Running: {", ".join(running)}.  Ctrl-C stops everything.
""",
        flush=True,
    )

    def stop(*_):
        # Each process first, as Ctrl-C in its own terminal would: Celery's main process stops
        # its pool itself (a signal to the whole group kills the pool's processes under it,
        # each logged as an error).
        for proc in running.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in running.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        # Then whatever a process left behind in its group, or the process itself if it hung.
        for proc in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            for name, proc in running.items():
                if proc.poll() is not None:
                    say(f"{name} exited with {proc.returncode}; stopping the rest")
                    stop()
                    return proc.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        stop()
        return 0


def test(args: list[str]) -> int:
    ensure_venv("requirements-test.txt")
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        say(
            "Chromium is not installed: the browser tests will be SKIPPED "
            "(apt-get install chromium to run them; .ci/run installs it)"
        )
    env = dict(os.environ)
    # Tests never touch the developer's data folder.
    env.setdefault("DATA_DIR", str(ROOT / "data" / "test"))
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 -- dev.py may be run by an older python3
        print("alumni-cms needs Python 3.11 or newer.", file=sys.stderr)
        return 2
    return run() if sys.argv[1] == "run" else test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
