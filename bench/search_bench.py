"""Public search at 10,000 published items: p50/p95 of whole search requests.

    .venv/bin/python bench/search_bench.py                    # SQLite (a temporary DATA_DIR)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/search_bench.py

Seeds 10,000 published items (news, activities, profiles, donation projects in the proportions
of a real office, Chinese titles and bodies of 300-1,000 characters made from a few hundred
phrases, a handful of rare words planted in a few items), builds the index with
`search_reindex`, then asks /search/ through Django's test client (DEBUG off, the whole view:
counts, page, public-rows check, highlighting, template) for common and rare words, a single
character, a Latin word, a filtered kind and a deep page. On PostgreSQL it uses a fresh
database named after DATABASE_URL's plus `_search`. Prints one line per query and the figures
for bench/README.md.
"""

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLACES = ["北京", "上海", "深圳", "广州", "成都", "武汉", "西安", "杭州", "南京", "重庆", "苏州"]
COLLEGES = ["机械学院", "经济管理学院", "计算机学院", "外国语学院", "化学学院", "医学院", "法学院"]
TOPICS = [
    "人工智能",
    "新能源汽车",
    "乡村振兴",
    "集成电路",
    "生物医药",
    "文化遗产",
    "金融科技",
    "碳中和",
]
SENTENCES = [
    "{place}校友会近日举行{topic}主题沙龙，{n}余位校友到场交流。",
    "{college}{year}届校友回到母校，与在校学生分享求学与工作经历。",
    "活动现场气氛热烈，大家回忆起当年在图书馆和操场度过的时光。",
    "学校党委副书记出席并致辞，感谢校友们长期以来对母校发展的关心和支持。",
    "与会校友围绕{topic}领域的发展趋势展开讨论，提出了许多有价值的建议。",
    "{place}分会负责人介绍了分会一年来的工作，包括走访慰问和助学活动。",
    "本次捐赠将用于改善{college}的实验条件，支持青年教师开展科研。",
    "报名截止后，组织者将通过短信通知参加者集合时间和地点。",
    "校友们纷纷表示，将继续关注母校发展，为学弟学妹提供实习和就业机会。",
    "他毕业后扎根{place}，在{topic}行业工作了二十多年，带领团队攻克多项难题。",
    "截至目前，该项目已收到{n}笔捐款，感谢每一位捐赠者的支持。",
    "返校日当天，校园里到处是合影留念的身影，老同学久别重逢格外亲切。",
    "讲座结束后，同学们排队向嘉宾请教问题，交流持续到晚上九点。",
    "欢迎在{place}工作和生活的校友加入分会微信群，参与后续活动。",
]
TITLES = {
    "article": [
        "{place}校友会举办{topic}论坛",
        "{college}{year}届校友返校聚会",
        "{place}分会走访慰问老校友",
        "校友企业家回校分享{topic}创业经验",
        "{college}举行校友导师聘任仪式",
    ],
    "activity": [
        "{place}校友秋季徒步活动",
        "{topic}主题沙龙（{place}站）",
        "{college}校友返校日",
        "{place}校友羽毛球联谊赛",
    ],
    "profile": [
        "扎根{place}的{topic}工程师",
        "从{college}走出的{topic}专家",
        "{year}届校友的{place}故事",
    ],
    "project": [
        "{college}奖助学金",
        "{topic}实验室建设基金",
        "图书馆{place}阅览室改造",
        "校友林养护计划",
    ],
}
# Planted in a few items each: the rare words of the bench.
RARE = {"量子纠缠": 5, "敦煌研究院": 3, "珠穆朗玛": 1}
COUNTS = {"article": 6000, "activity": 1800, "profile": 1200, "project": 1000}
QUERIES = [
    ("common 2 chars", {"q": "校友"}),
    ("common 2 chars page 40", {"q": "校友", "page": "40"}),
    ("common 4 chars", {"q": "人工智能"}),
    ("common place", {"q": "上海"}),
    ("two words", {"q": "上海 返校日"}),
    ("single character", {"q": "学"}),
    ("filtered kind", {"q": "校友", "kind": "donationproject"}),
    ("rare 4 chars", {"q": "量子纠缠"}),
    ("rare 5 chars", {"q": "敦煌研究院"}),
    ("rare, once", {"q": "珠穆朗玛"}),
    ("Latin word", {"q": "AI"}),
    ("nothing found", {"q": "不存在的词语"}),
]


def fresh_postgres(url: str) -> str:
    import psycopg2

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'alumni_bench'}_search"
    connection = psycopg2.connect(parts._replace(path="/postgres").geturl())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return parts._replace(path=f"/{name}").geturl()


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        place=rng.choice(PLACES),
        topic=rng.choice(TOPICS),
        college=rng.choice(COLLEGES),
        year=rng.randrange(1978, 2024),
        n=rng.randrange(20, 300),
    )


def _body(rng: random.Random, extra: str = "") -> str:
    sentences = [_fill(rng.choice(SENTENCES), rng) for _ in range(rng.randrange(8, 28))]
    if extra:
        sentences.insert(rng.randrange(len(sentences)), extra)
    if rng.random() < 0.05:
        sentences.append("本次活动由 AI 校友创新联盟协办。")
    paragraphs = [sentences[i : i + 4] for i in range(0, len(sentences), 4)]
    return "".join("<p>" + "".join(p) + "</p>" for p in paragraphs)


def seed(total_scale: float = 1.0) -> int:
    from django.utils import timezone

    from activities.models import Activity
    from alumni.models import AlumniProfile
    from articles.models import Article
    from donations.models import DonationProject
    from editorial.models import State

    rng = random.Random(2026)
    now = timezone.now()
    planted = [word for word, times in RARE.items() for _ in range(times)]
    models = {
        "article": Article,
        "activity": Activity,
        "profile": AlumniProfile,
        "project": DonationProject,
    }
    made = 0
    for kind, count in COUNTS.items():
        rows = []
        for n in range(int(count * total_scale)):
            extra = f"这是关于{planted.pop()}的报道。" if planted and rng.random() < 0.01 else ""
            fields = {
                "title": _fill(rng.choice(TITLES[kind]), rng)[:32],
                "body": _body(rng, extra),
                "state": State.PUBLISHED,
                "published_at": now - timezone.timedelta(hours=rng.randrange(1, 5 * 365 * 24)),
            }
            if kind == "activity":
                fields.update(starts_at=fields["published_at"], place=rng.choice(PLACES))
            elif kind == "profile":
                fields.update(subject_name="校友" + str(n), headline="杰出校友")
            elif kind == "project":
                fields.update(goal=100000)
            rows.append(models[kind](**fields))
        models[kind].objects.bulk_create(rows, batch_size=500)
        made += len(rows)
    return made


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="requests per query")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000 items")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alumni_cms.settings")
    os.environ["DEBUG"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="search-bench-")
    os.environ.setdefault("SECRET_KEY", "search-bench-only")
    os.environ.setdefault("CACHE_URL", "locmemcache://")
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = fresh_postgres(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from search.models import SearchEntry
    from search.services import search_reindex

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    made = seed(args.scale)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    indexed = search_reindex()
    reindexed = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE search_entry")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"{connection.vendor}: {made} items seeded in {seeded:.1f} s, "
        f"{indexed} indexed by search_reindex in {reindexed:.1f} s "
        f"({SearchEntry.objects.count()} entries)"
    )

    client = Client()
    # The wall time is what a visitor waits; on a busy machine it is mostly waiting for a core.
    # The CPU time of this process (all of the work on SQLite; on PostgreSQL the server's share
    # is not in it) says what a request costs, whatever else runs.
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'query':<26}{'found':>7}{'p50 ms':>9}{'p95 ms':>9}{'cpu p50':>9}{'cpu p95':>9}")
    worst = 0.0
    for label, params in QUERIES:
        response = client.get("/search/", params)
        assert response.status_code == 200, (label, response.status_code)
        total = re.search(r"共找到 (\d+) 条", response.content.decode())
        found = int(total.group(1)) if total else 0
        timings, cpu = [], []
        for _ in range(args.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            client.get("/search/", params)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        worst = max(worst, p95)
        print(
            f"{label + ' ' + params['q']:<26}{found:>7}{p50:>9.1f}{p95:>9.1f}"
            f"{statistics.median(cpu):>9.1f}{percentile(cpu, 0.95):>9.1f}"
        )
    print(f"worst p95: {worst:.1f} ms (target < 100 ms)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
