"""Invent a year of reading statistics for the published items, to look at the dashboard.

    python manage.py stats_seed_demo            # 365 days; days already counted are kept
    python manage.py stats_seed_demo --days 90

For demos and development only: the numbers are made up (deterministically, per item and day).
"""

import random
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import State
from stats.models import DailyViews, WeChatArticleStat, WeChatReadSource
from stats.services import wechat_stats_store


class Command(BaseCommand):
    # Translated when the parser is made (argparse takes no lazy string).
    @property
    def help(self):
        return _(
            "Invent a year of page views and WeChat reads for the published items (demo only)."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=365, help=_("days back from today to invent")
        )

    def handle(self, *args, days: int, **options):
        today = timezone.localdate()
        rows = []
        for label in dict.fromkeys(settings.STATS_COUNTED_VIEWS.values()):
            model = apps.get_model(label)
            content_type = ContentType.objects.get_for_model(model)
            for item in model.objects.filter(state=State.PUBLISHED).only("pk", "published_at"):
                rng = random.Random(f"{label}:{item.pk}")
                appeal = rng.uniform(0.5, 3)
                first = max(
                    today - timedelta(days=days - 1),
                    timezone.localdate(item.published_at) if item.published_at else today,
                )
                for n in range((today - first).days + 1):
                    fresh = max(0.15, 1 - n / 20)  # most reads come in the first weeks
                    views = int(rng.gauss(40, 12) * appeal * fresh)
                    if views > 0:
                        rows.append(
                            DailyViews(
                                content_type=content_type,
                                object_id=item.pk,
                                day=first + timedelta(days=n),
                                views=views,
                                visitors=max(1, int(views * rng.uniform(0.6, 0.9))),
                            )
                        )
        DailyViews.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        wechat = 0
        if not WeChatArticleStat.objects.exists() and not WeChatReadSource.objects.exists():
            rng = random.Random("wechat")
            for n in range(days):
                day = today - timedelta(days=n)
                push = f"22474{(days - n) // 7:05d}"
                wechat += wechat_stats_store(
                    rows=[
                        {
                            "msgid": f"{push}_{index}",
                            "title": f"第 {(days - n) // 7} 期推送 · 第 {index} 篇",
                            "int_page_read_count": rng.randint(50, 900) // index,
                            "int_page_read_user": rng.randint(40, 700) // index,
                            "share_count": rng.randint(0, 60) // index,
                            "add_to_fav_count": rng.randint(0, 30) // index,
                        }
                        for index in (1, 2, 3)
                    ]
                    + [
                        {"user_source": source, "int_page_read_count": rng.randint(10, 500)}
                        for source in (0, 1, 2, 4, 5, 6, 7)
                    ],
                    day=day,
                )
        self.stdout.write(
            _("%(views)d daily view counters, %(wechat)d WeChat rows invented.")
            % {"views": len(rows), "wechat": wechat}
        )
