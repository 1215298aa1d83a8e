"""Time pushing one article with 20 inline images to the WeChat emulator at 100 ms per call.

    .venv/bin/python -m bench.push_bench [--images 20] [--latency-ms 100] [--target 1.5]

Runs on a throw-away SQLite database and media folder (nothing of the developer's is touched)
and an emulator in a process of its own, as WeChat is. Prints the first push's time (from
approval to WeChat accepting the mass send) and its WeChat calls, then pushes the same article
again: that push uploads nothing.
Exits 1 when the first push misses the target or the second one uploads anything.
"""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

UPLOAD_PATHS = ("cgi-bin/media/uploadimg", "cgi-bin/material/add_material")


def _photo(n: int) -> bytes:
    """A 1024×768 JPEG of about 40 KB, different for every n."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1024, 768), (n * 11 % 256, 120, 200 - n * 5 % 200))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1024, 32):
        draw.line([(i, 0), (1024 - i, 768)], fill=(255 - n * 9 % 256, i % 256, 80), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _serve(config, queue) -> None:
    """The emulator in a process of its own, as WeChat is a server of its own."""
    from wechat_emulator import EmulatorServer

    server = EmulatorServer(port=0, config=config)
    queue.put(server.url)
    server.serve_forever()


def _calls(emulator) -> dict[str, int]:
    return dict(emulator.state()["counters"])


def _delta(before: dict, after: dict) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--target", type=float, default=1.5, help="seconds for the first push")
    args = parser.parse_args()

    import multiprocessing

    from wechat_emulator import EmulatorClient, EmulatorConfig

    config = EmulatorConfig(
        app_id="wx-bench", app_secret="bench-secret", account_type="service", follower_count=1000
    )
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(config, queue), daemon=True)
    process.start()
    server = EmulatorClient(queue.get(timeout=30))
    # A throw-away database: on tmpfs when there is one, as the bench times WeChat's side, not
    # the disk's fsync (PostgreSQL's commits cost about a millisecond; SQLite's here, 10-20).
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="push-bench-", dir=shm if shm.is_dir() else None))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="alumni_cms.settings",
        DATA_DIR=str(work),
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        CACHE_URL="locmemcache://push-bench",
        MEDIA_ROOT=str(work / "media"),
        # Approval queues the run after commit; eager, it runs right there, in this process.
        CELERY_TASK_ALWAYS_EAGER="true",
        CELERY_BROKER_URL="memory://localhost/",
        WECHAT_EMULATOR="true",
        WECHAT_API_BASE_URL=server.base_url,
        WECHAT_APP_ID=config.app_id,
        WECHAT_APP_SECRET=config.app_secret,
        WECHAT_ACCOUNT_TYPE="service",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from articles.models import Article
    from editorial.models import State
    from editorial.publishing import item_key
    from wechat.models import Push
    from wechat.services import push_approve, push_create

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    editor = users.create_superuser("bench-editor", "e@example.cn", "x")
    reviewer = users.create_superuser("bench-reviewer", "r@example.cn", "x")
    sources = [
        default_storage.url(default_storage.save(f"uploads/bench{n}.jpg", ContentFile(_photo(n))))
        for n in range(args.images)
    ]
    body = "".join(f'<p>第 {n + 1} 张照片</p><p><img src="{s}"></p>' for n, s in enumerate(sources))
    article = Article(title="校友返校日图集", author="校友办", body=body, state=State.PUBLISHED)
    article.cover.save("bench-cover.jpg", ContentFile(_photo(99)), save=False)
    article.save()

    def push_once() -> tuple[float, dict[str, int]]:
        push = push_create(by=editor, keys=[item_key(article)])
        before = _calls(server)
        started = time.perf_counter()
        push_approve(push=push, by=reviewer)  # the run happens on commit (eager task)
        elapsed = time.perf_counter() - started
        result = Push.objects.get(pk=push.pk)
        assert result.state == "sent", (result.state, result.error_message)
        return elapsed, _delta(before, _calls(server))

    server.set_faults(latency_ms=args.latency_ms)
    first_time, first_calls = push_once()
    second_time, second_calls = push_once()
    process.terminate()
    shutil.rmtree(work, ignore_errors=True)

    uploads_again = sum(second_calls.get(p, 0) for p in UPLOAD_PATHS)
    print(f"emulator latency {args.latency_ms} ms per call, {args.images} inline images + cover")
    print(f"first push:  {first_time:.3f} s, {sum(first_calls.values())} WeChat calls")
    for path, count in sorted(first_calls.items()):
        print(f"    {count:3d}  {path}")
    print(
        f"second push: {second_time:.3f} s, {sum(second_calls.values())} WeChat calls, "
        f"{uploads_again} uploads"
    )
    ok = first_time < args.target and uploads_again == 0
    verdict = "OK" if ok else "MISSED"
    print(f"target: first push under {args.target} s, nothing uploaded again: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
