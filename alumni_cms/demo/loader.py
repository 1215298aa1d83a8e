"""Put the demo users and content of `data` into the database, once.

Idempotent by design: `python3 dev.py run` calls it on every start. A demo item is found again
by the key recorded in its import audit entry (or, failing that, by its title), so a rerun
creates nothing twice and never writes over what the office has since edited. Rows that hang off
an item (sign-ups, gifts, photos, a review comment) are only made together with their item.
Users are found by username; an existing user's password, groups and flags are left alone.

Like a fixture, the loader sets `state` and `published_at` itself and sends no editorial
signals: loading the demo publishes nothing to WeChat.
"""

import random
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityQuestion, Registration, RegistrationStatus
from alumni.models import AlumniProfile, Alumnus, Branch
from articles.models import Article, ArticlePhoto, Category, Department
from donations.models import Channel, DonationProject, Gift
from editorial.models import AuditEntry, ReviewComment, State
from editorial.roles import ROLE_PERMISSIONS, roles_sync
from payments.models import OnlineOrder, OrderState, TradeType
from surveys.models import Response, Survey
from surveys.sample import random_answers, sample_survey, seed_responses

from . import data
from .images import COVER_SIZE, PHOTO_SIZE, demo_image

IMPORT_ACTION = "editorial.item.imported"
_KEY_PATTERN = re.compile(r"demo:([\w-]+)")

# Given names for the demo sign-ups that are not linked to an alumni record.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
)
_GIVEN = "子文思雨嘉欣浩然宇轩梓涵一诺若曦俊杰明远晓婷佳怡志强海燕春华秋实静怡书航"


class DemoRefusedError(Exception):
    """The demo cannot be loaded here: DEBUG is off."""


@dataclass
class Tally:
    """How many rows of one model the loader created, and how many it found already there."""

    created: int = 0
    found: int = 0


def body_html(blocks: list[str]) -> str:
    """HTML for a body written as blocks: paragraphs, "## " subheadings and "- " list items."""
    parts: list[str] = []
    items: list[str] = []
    for block in blocks:
        if block.startswith("- "):
            items.append(f"<li>{escape(block[2:])}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if block.startswith("## "):
            parts.append(f"<h3>{escape(block[3:])}</h3>")
        else:
            parts.append(f"<p>{escape(block)}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(parts)


def demo_load(*, now: datetime | None = None) -> dict[type[models.Model], Tally]:
    """Create whatever demo users and content are missing; return per model what was created
    and what was found. Existing rows are never changed.

    Raises DemoRefusedError when DEBUG is off: the demo users' passwords are in the README,
    so they must never exist on a server that the public reaches. Raises
    django.db.DatabaseError when the database refuses a row; the whole load is then rolled back
    (cover files already written stay, and are reused by the next run).
    """
    if not settings.DEBUG:
        raise DemoRefusedError(
            _(
                "The demo users and content are loaded only with DEBUG on (python3 dev.py run "
                "sets it): the demo passwords are published in the README."
            )
        )
    loader = _Loader(now=now or timezone.now())
    with transaction.atomic():
        loader.run()
    return loader.report


class _Loader:
    def __init__(self, *, now: datetime):
        self.now = now
        self.local_now = timezone.localtime(now)
        self.today = self.local_now.date()
        # The summary lists models in this order.
        order = [get_user_model(), Branch, Alumnus, Category, Department, Article, ArticlePhoto]
        order += [ReviewComment, Activity, Registration, AlumniProfile, DonationProject, Gift]
        self.report: dict[type[models.Model], Tally] = {model: Tally() for model in order}
        self.users: dict = {}
        self.branches: dict[str, Branch] = {}
        self.new_branches: set[str] = set()
        self.alumni: dict[str, Alumnus] = {}
        self.audit: list[AuditEntry] = []
        self._password_hash = ""

    def run(self) -> None:
        self.imported = self._imported_keys()
        self._branches()
        self._users()
        self._alumni()
        self._news()
        self._activities()
        self._profiles()
        self._projects()
        self._menu()
        self._replies()
        self._conversations()
        self._channels()
        self._surveys()
        AuditEntry.objects.bulk_create(self.audit)
        self._count(
            AuditEntry, created=len(self.audit), found=sum(map(len, self.imported.values()))
        )

    # Bookkeeping

    def _count(self, model, *, created: int = 0, found: int = 0) -> None:
        tally = self.report.setdefault(model, Tally())
        tally.created += created
        tally.found += found

    def _imported_keys(self) -> dict[type[models.Model], dict[str, int]]:
        """Per content model, the demo keys already loaded and the pk of the item for each."""
        content_models = (Article, Activity, AlumniProfile, DonationProject)
        types = ContentType.objects.get_for_models(*content_models)
        by_type_id = {ct.pk: model for model, ct in types.items()}
        keys: dict[type[models.Model], dict[str, int]] = {model: {} for model in content_models}
        entries = AuditEntry.objects.filter(
            action=IMPORT_ACTION, content_type__in=list(types.values()), comment__contains="demo:"
        ).values_list("content_type_id", "object_id", "comment")
        for type_id, object_id, comment in entries:
            match = _KEY_PATTERN.search(comment)
            if match:
                keys[by_type_id[type_id]][match.group(1)] = object_id
        for model, found in keys.items():
            # An item deleted without its trail (raw SQL) must not count as found.
            alive = set(model.objects.filter(pk__in=found.values()).values_list("pk", flat=True))
            keys[model] = {key: pk for key, pk in found.items() if pk in alive}
        return keys

    def _find(self, model, spec: dict) -> int | None:
        """The pk of the demo item `spec` if it was loaded before, looked up by key then title."""
        pk = self.imported[model].get(spec["key"])
        if pk is None:
            pk = model.objects.filter(title=spec["title"]).values_list("pk", flat=True).first()
        return pk

    def _save_item(self, item, *, key: str, kind: str) -> None:
        """Give `item` its cover, save it and queue its import audit entry."""
        item.cover = self._file(item._meta.get_field("cover"), f"covers/demo/{key}.jpg", key, kind)
        item.save()
        self.audit.append(
            AuditEntry(
                content_type=ContentType.objects.get_for_model(type(item)),
                object_id=item.pk,
                action=IMPORT_ACTION,
                to_state=item.state,
                comment=f"演示数据 demo:{key}",
                created_at=self.now,
            )
        )
        self._count(type(item), created=1)

    def _file(self, field, name: str, key: str, kind: str, size=COVER_SIZE) -> str:
        """The stored name of the demo picture `name`, written only when it is not there yet,
        so that reloading into a fresh database adds no files to MEDIA_ROOT."""
        storage = field.storage
        if storage.exists(name):
            return name
        return storage.save(name, ContentFile(demo_image(key, kind, size)))

    def _at(self, days_ago: int, index: int) -> datetime:
        """A working-hours time `days_ago` days before today, varied by `index`."""
        day = self.today - timedelta(days=days_ago)
        clock = time(8 + (index * 5) % 11, (index * 13) % 60)
        return timezone.make_aware(datetime.combine(day, clock))

    # Users, branches and alumni

    def _branches(self) -> None:
        for index, spec in enumerate(data.BRANCHES):
            fields = {k: v for k, v in spec.items() if k not in ("name", "founded_year")}
            fields["founded_on"] = datetime(spec["founded_year"], 1 + index * 2, 18).date()
            branch, created = Branch.objects.get_or_create(name=spec["name"], defaults=fields)
            self.branches[branch.name] = branch
            if created:
                self.new_branches.add(branch.name)
            self._count(Branch, created=int(created), found=int(not created))

    def _users(self) -> None:
        user_model = get_user_model()
        if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() < len(ROLE_PERMISSIONS):
            roles_sync(group_model=Group, permission_model=Permission)
        groups = {group.name: group for group in Group.objects.filter(name__in=ROLE_PERMISSIONS)}
        for spec in data.USERS:
            user = user_model.objects.filter(username=spec["username"]).first()
            created = user is None
            if created:
                user = user_model.objects.create(
                    username=spec["username"],
                    first_name=spec["first_name"],
                    last_name=spec["last_name"],
                    email=f"{spec['username']}@alumni.example.edu.cn",
                    is_staff=spec["is_staff"],
                    is_superuser=spec["is_superuser"],
                    password=self._password(),
                )
                user.groups.add(groups[spec["role"]])
            branch = self.branches.get(spec.get("branch", ""))
            if branch is not None and (created or branch.name in self.new_branches):
                branch.liaisons.add(user)
            self.users[spec["username"]] = user
            self._count(user_model, created=int(created), found=int(not created))

    def _password(self) -> str:
        # One hash for every demo user: hashing is slow on purpose, and this is a demo.
        if not self._password_hash:
            self._password_hash = make_password(data.DEMO_PASSWORD)
        return self._password_hash

    def _alumni(self) -> None:
        names = [row[0] for row in data.ALUMNI]
        existing = {
            (a.name, a.class_year): a for a in Alumnus.objects.filter(name__in=names).order_by("pk")
        }
        missing = []
        for index, (name, gender, year, college, major, city, employer) in enumerate(data.ALUMNI):
            alumnus = existing.get((name, year))
            if alumnus is None:
                alumnus = Alumnus(
                    name=name,
                    gender=gender,
                    class_year=year,
                    college=college,
                    major=major,
                    city=city,
                    employer=employer,
                    phone=f"1370000{index:04d}",
                    email=f"alumnus{index + 1:02d}@alumni.example.edu.cn",
                    branch=self.branches.get(data.BRANCH_BY_CITY.get(city, "")),
                )
                missing.append(alumnus)
            self.alumni[name] = alumnus
        Alumnus.objects.bulk_create(missing)
        self._count(Alumnus, created=len(missing), found=len(data.ALUMNI) - len(missing))

    # Content

    def _news(self) -> None:
        categories = {}
        for position, (slug, name) in enumerate(data.CATEGORIES):
            category, created = Category.objects.get_or_create(
                slug=slug, defaults={"name": name, "position": position}
            )
            categories[slug] = category
            self._count(Category, created=int(created), found=int(not created))
        departments = {}
        for position, name in enumerate(data.DEPARTMENTS):
            department, created = Department.objects.get_or_create(
                name=name, defaults={"position": position}
            )
            departments[name] = department
            self._count(Department, created=int(created), found=int(not created))

        found_pks = []
        for index, spec in enumerate(data.NEWS + data.NEWS_IN_REVIEW):
            pk = self._find(Article, spec)
            if pk is not None:
                found_pks.append(pk)
                continue
            article = Article(
                title=spec["title"],
                digest=spec["digest"],
                body=body_html(spec["body"]),
                author=spec["author"],
                category=categories[spec["category"]],
                department=departments.get(spec["department"]),
                branch=self.branches.get(spec.get("branch", "")),
                created_by=self.users[spec.get("by", "editor")],
            )
            self._set_state(article, spec, index)
            if article.published_at and spec["category"] != "notices":
                article.event_date = (
                    timezone.localtime(article.published_at) - timedelta(1)
                ).date()
            self._save_item(article, key=spec["key"], kind="news")
            self._photos(article, spec)
            if spec.get("review_comment"):
                ReviewComment.objects.create(
                    content_type=ContentType.objects.get_for_model(Article),
                    object_id=article.pk,
                    author=self.users["reviewer"],
                    body=spec["review_comment"],
                    created_at=article.created_at + timedelta(hours=5),
                )
                self._count(ReviewComment, created=1)
        self._count(Article, found=len(found_pks))
        self._count(
            ArticlePhoto, found=ArticlePhoto.objects.filter(article_id__in=found_pks).count()
        )
        self._count(
            ReviewComment,
            found=ReviewComment.objects.filter(
                content_type=ContentType.objects.get_for_model(Article), object_id__in=found_pks
            ).count(),
        )

    def _set_state(self, item, spec: dict, index: int) -> None:
        state = spec.get("state", State.PUBLISHED)
        item.state = state
        if state == State.PUBLISHED:
            item.published_at = self._at(spec["days_ago"], index)
            item.created_at = item.published_at - timedelta(days=1, hours=2)
        else:
            item.created_at = min(self._at(spec["days_ago"], index), self.now)
        if state == State.SCHEDULED:
            tomorrow = self.today + timedelta(days=1)
            item.publish_at = timezone.make_aware(datetime.combine(tomorrow, time(9, 0)))

    def _photos(self, article: Article, spec: dict) -> None:
        field = ArticlePhoto._meta.get_field("image")
        photos = []
        for number in range(1, spec.get("photos", 0) + 1):
            key = f"{spec['key']}-{number}"
            name = self._file(field, f"photos/demo/{key}.jpg", key, "photo", PHOTO_SIZE)
            photos.append(
                ArticlePhoto(
                    article=article, image=name, caption=f"活动现场（{number}）", position=number
                )
            )
        ArticlePhoto.objects.bulk_create(photos)
        self._count(ArticlePhoto, created=len(photos))

    def _activities(self) -> None:
        found_pks = []
        registrations = []
        for index, spec in enumerate(data.ACTIVITIES):
            pk = self._find(Activity, spec)
            if pk is not None:
                found_pks.append(pk)
                continue
            day = self.today + timedelta(days=spec["starts_in_days"])
            starts_at = timezone.make_aware(datetime.combine(day, time(spec["start_hour"])))
            deadline = None
            if spec["deadline_days_before"] is not None:
                deadline = starts_at - timedelta(days=spec["deadline_days_before"])
            published_at = starts_at - timedelta(days=21)
            if published_at > self.now - timedelta(days=1):
                published_at = self._at(index + 1, index)
            activity = Activity(
                title=spec["title"],
                digest=spec["digest"],
                body=body_html(spec["body"]),
                state=State.PUBLISHED,
                published_at=published_at,
                created_at=published_at - timedelta(days=2),
                created_by=self.users["editor"],
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=spec["hours"]),
                place=spec["place"],
                how_to_join=spec["how_to_join"],
                capacity=spec["capacity"],
                signup_deadline=deadline,
                organiser_branch=self.branches.get(spec["branch"] or ""),
                announced_starts_at=starts_at,
                announced_place=spec["place"],
            )
            self._save_item(activity, key=spec["key"], kind="activity")
            questions = [
                ActivityQuestion.objects.create(activity=activity, position=number, **question)
                for number, question in enumerate(data.ACTIVITY_QUESTIONS.get(spec["key"], []))
            ]
            registrations += self._signups(activity, spec, index, questions=questions)
        Registration.objects.bulk_create(registrations)
        self._count(Activity, found=len(found_pks))
        self._count(
            Registration,
            created=len(registrations),
            found=Registration.objects.filter(activity_id__in=found_pks).count(),
        )

    def _signups(
        self, activity: Activity, spec: dict, index: int, *, questions=()
    ) -> list[Registration]:
        """Sign-ups in the order people made them: when full, the last ones are waitlisted.
        Those who came were checked in at one of two doors around the start; each answers the
        activity's questions (data.ACTIVITY_QUESTIONS)."""
        rng = random.Random(spec["key"])
        counts = spec["signups"]
        statuses = [
            RegistrationStatus(status)
            for status in ("registered", "attended", "cancelled")
            for _ in range(counts.get(status, 0))
        ]
        rng.shuffle(statuses)
        statuses += [RegistrationStatus.WAITLISTED] * counts.get("waitlisted", 0)
        window_end = min(activity.signup_deadline or activity.starts_at, self.now)
        window = max((window_end - activity.published_at).total_seconds(), 3600)
        times = sorted(
            activity.published_at + timedelta(seconds=rng.uniform(0, window)) for _ in statuses
        )
        alumni = rng.sample(list(self.alumni.values()), k=min(len(statuses) // 3, 12))
        rows = []
        for number, (status, signed_up_at) in enumerate(zip(statuses, times, strict=True)):
            alumnus = alumni[number] if number < len(alumni) else None
            if alumnus is not None:
                name, year, phone = alumnus.name, alumnus.class_year, alumnus.phone
            else:
                name = rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, k=rng.choice((1, 2))))
                year = rng.randint(1985, 2024)
                phone = f"136{index:02d}00{number:04d}"
            came = status == RegistrationStatus.ATTENDED
            rows.append(
                Registration(
                    activity=activity,
                    name=name,
                    class_year=year,
                    phone=phone,
                    alumnus=alumnus,
                    status=status,
                    created_at=signed_up_at,
                    checked_in_at=(
                        activity.starts_at + timedelta(minutes=rng.randint(-25, 20))
                        if came
                        else None
                    ),
                    checked_in_door=rng.choice(("北门", "南门")) if came else "",
                    answers={str(q.pk): _demo_answer(q, rng) for q in questions},
                )
            )
        return rows

    def _profiles(self) -> None:
        found = 0
        for index, spec in enumerate(data.PROFILES):
            if self._find(AlumniProfile, spec) is not None:
                found += 1
                continue
            name, _year = spec["alumnus"]
            profile = AlumniProfile(
                title=spec["title"],
                digest=spec["digest"],
                body=body_html(spec["body"]),
                alumnus=self.alumni[name],
                subject_name=name,
                headline=spec["headline"],
                author=spec["author"],
                created_by=self.users["editor"],
            )
            self._set_state(profile, spec, index)
            self._save_item(profile, key=spec["key"], kind="profile")
        self._count(AlumniProfile, found=found)

    def _online_orders(self, gifts: list[Gift]) -> None:
        """The WeChat Pay gifts came from online orders: one paid order each, as the payments
        app records them (so the admin's online orders and the reconciliation have rows)."""
        OnlineOrder.objects.bulk_create(
            OnlineOrder(
                out_trade_no=f"GDEMO{gift.pk:011d}",
                project=gift.project,
                amount_fen=int(gift.amount * 100),
                donor_name="" if gift.anonymous else gift.donor_name,
                anonymous=gift.anonymous,
                message=gift.message,
                trade_type=TradeType.JSAPI,
                state=OrderState.PAID,
                transaction_id=f"4200DEMO{gift.pk:016d}",
                paid_at=gift.created_at,
                paid_via="notification",
                gift=gift,
                created_at=gift.created_at,
                # Where donors came from, for the dashboard's online gifts per channel: every
                # other gift through a demo channel QR code, the rest direct.
                source=(
                    f"qr:{data.QR_CHANNELS[index % len(data.QR_CHANNELS)]['scene']}"
                    if index % 2 == 0 and data.QR_CHANNELS
                    else ""
                ),
            )
            for index, gift in enumerate(
                gift for gift in gifts if gift.pk and gift.channel == Channel.WECHAT_PAY
            )
        )

    def _projects(self) -> None:
        found_pks = []
        gifts = []
        for index, spec in enumerate(data.PROJECTS):
            pk = self._find(DonationProject, spec)
            if pk is not None:
                found_pks.append(pk)
                continue
            project = DonationProject(
                title=spec["title"],
                digest=spec["digest"],
                body=body_html(spec["body"]),
                goal=spec["goal"],
                deadline=self.today + timedelta(days=spec["deadline_days"]),
                created_by=self.users["editor"],
            )
            self._set_state(project, spec, index)
            self._save_item(project, key=spec["key"], kind="donation")
            for donor, alumnus, amount, days_ago, channel, anonymous, message in spec["gifts"]:
                gifts.append(
                    Gift(
                        project=project,
                        donor_alumnus=self.alumni.get(alumnus or ""),
                        donor_name=donor,
                        amount=Decimal(amount),
                        donated_on=self.today - timedelta(days=days_ago),
                        channel=channel,
                        anonymous=anonymous,
                        message=message,
                        created_at=self._at(days_ago, len(gifts)),
                    )
                )
        Gift.objects.bulk_create(gifts)
        self._online_orders(gifts)
        self._count(DonationProject, found=len(found_pks))
        self._count(
            Gift,
            created=len(gifts),
            found=Gift.objects.filter(project_id__in=found_pks).count(),
        )

    def _menu(self) -> None:
        """The account's menu as version 1, awaiting the reviewer's approval: approving it in
        the admin publishes it to the emulator (the demo itself publishes nothing)."""
        from wechat.models import MenuVersion
        from wechat.services.menu import menu_default

        menu = menu_default()
        if menu.versions.exists():
            self._count(MenuVersion, found=1)
            return
        site = settings.SITE_URL.rstrip("/")

        def button(spec: dict) -> dict:
            if "sub_button" in spec:
                return {"name": spec["name"], "sub_button": [button(s) for s in spec["sub_button"]]}
            if "path" in spec:
                return {"type": "view", "name": spec["name"], "url": site + spec["path"]}
            return dict(spec)

        editor = self.users.get("editor")
        MenuVersion.objects.create(
            menu=menu,
            number=1,
            buttons=[button(spec) for spec in data.MENU_BUTTONS],
            created_by=editor,
            editor_ids=[editor.pk] if editor else [],
        )
        self._count(MenuVersion, created=1)

    def _replies(self) -> None:
        """Automatic replies: a welcome (by name for bound alumni), keyword rules (one a news
        card of the first published activity) and the default reply."""
        from editorial.publishing import item_key
        from wechat.models import ReplyRule

        activity = Activity.objects.filter(state=State.PUBLISHED).order_by("pk").first()
        created = found = 0
        for spec in data.REPLY_RULES:
            spec = dict(spec)
            if spec.get("kind") == "news":
                if activity is None:
                    continue
                spec["item_key"] = item_key(activity)
            if ReplyRule.objects.filter(name=spec["name"]).exists():
                found += 1
                continue
            ReplyRule.objects.create(updated_by=self.users.get("editor"), **spec)
            created += 1
        self._count(ReplyRule, created=created, found=found)

    def _conversations(self) -> None:
        """A few followers' messages in the inbox (one of them bound to an alumni record, one
        answered, one whose 48-hour window has closed)."""
        from audience.models import Follower
        from wechat.models import InboxMessage

        created = found = 0
        for index, spec in enumerate(data.CONVERSATIONS):
            openid = spec["openid"]
            alumnus = self.alumni.get(spec.get("alumnus", ""))
            unbound = alumnus is not None and not Follower.objects.filter(alumnus=alumnus).exists()
            if unbound and not Follower.objects.filter(openid=openid).exists():
                Follower.objects.create(
                    openid=openid,
                    subscribed=True,
                    subscribe_time=self.now - timedelta(days=200),
                    alumnus=alumnus,
                    bound_at=self.now - timedelta(days=100),
                )
            for number, (direction, hours_ago, content) in enumerate(spec["messages"]):
                msg_id = f"demo-{index}-{number}"
                if InboxMessage.objects.filter(msg_id=msg_id).exists():
                    found += 1
                    continue
                at = self.now - timedelta(hours=hours_ago)
                InboxMessage.objects.create(
                    openid=openid,
                    direction=direction,
                    msg_type="text",
                    msg_id=msg_id,
                    content=content,
                    sent_at=at,
                    received_at=at,
                    sent_by=self.users.get("editor") if direction == "out" else None,
                    reply_summary=spec.get("auto_reply", "") if direction == "in" else "",
                )
                created += 1
        self._count(InboxMessage, created=created, found=found)

    def _channels(self) -> None:
        """Channel QR codes with a month of scans (the dashboard's 渠道二维码 panel). Their codes
        are drawn from a demo URL: 重新生成二维码 in the admin asks the emulator for a real one,
        which its scan control path then knows."""
        from wechat.channels.models import Channel as QRChannel
        from wechat.channels.models import ChannelScan
        from wechat.models import CallbackEvent

        activity = Activity.objects.filter(state=State.PUBLISHED).order_by("pk").first()
        project = DonationProject.objects.filter(state=State.PUBLISHED).order_by("pk").first()
        rng = random.Random(13)
        created = found = scans = 0
        for spec in data.QR_CHANNELS:
            if QRChannel.objects.filter(scene=spec["scene"]).exists():
                found += 1
                continue
            link = {}
            if spec.get("branch") in self.branches:
                link["branch"] = self.branches[spec["branch"]]
            if spec["kind"] in ("activity", "poster") and activity is not None:
                link["content_type"] = ContentType.objects.get_for_model(activity)
                link["object_id"] = activity.pk
            if spec["kind"] == "campaign" and project is not None:
                # Its admin page shows a 捐赠链接 (?src=qr:<scene>) with a web QR code.
                link["content_type"] = ContentType.objects.get_for_model(project)
                link["object_id"] = project.pk
            channel = QRChannel.objects.create(
                name=spec["name"],
                kind=spec["kind"],
                scene=spec["scene"],
                permanent=True,
                ticket=f"demo-{spec['scene']}",
                url=f"http://weixin.qq.com/q/demo-{spec['scene']}",
                created_by=self.users.get("editor"),
                created_at=self.now - timedelta(days=31),
                **link,
            )
            created += 1
            for days_ago in range(30):
                for n in range(rng.randint(0, spec["per_day"])):
                    at = self.now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
                    new = rng.random() < 0.7
                    openid = f"oDEMO{channel.pk:04d}{days_ago:03d}{n:03d}".ljust(28, "0")
                    event = CallbackEvent.objects.create(
                        dedup_key=f"demo:channel:{spec['scene']}:{days_ago}:{n}",
                        msg_type="event",
                        event="subscribe" if new else "SCAN",
                        from_user=openid,
                        to_user="gh_emulator00001",
                        sent_at=at,
                        received_at=at,
                        processed=True,
                        processed_at=at,
                        payload={
                            "openid": openid,
                            "event_key": ("qrscene_" if new else "") + spec["scene"],
                        },
                    )
                    ChannelScan.objects.create(
                        channel=channel, event=event, openid=openid, new_follower=new,
                        scanned_at=at,
                    )  # fmt: skip
                    scans += 1
        self._count(QRChannel, created=created, found=found)
        self._count(ChannelScan, created=scans)

    def _surveys(self) -> None:
        """A published survey tied to the record (surveys/sample.py's 20 questions) with the
        answers of most demo alumni, so its results page has figures to show."""
        title = "2026 校友需求调查"
        found = Survey.objects.filter(title=title).first()
        if found is not None:
            self._count(Survey, found=1)
            self._count(Response, found=found.responses.count())
            return
        survey, questions = sample_survey(title=title, by=self.users.get("editor"))
        survey.published_at = self.now - timedelta(days=6)
        # A cover, so that it can be pushed to WeChat like the other demo items.
        survey.cover = self._file(
            Survey._meta.get_field("cover"), "covers/demo/survey-2026.jpg", "survey-2026", "news"
        )
        survey.save(update_fields=["published_at", "cover"])
        rng = random.Random(2026)
        alumni = [a for a in self.alumni.values() if a.deleted_at is None]
        answered = [(a.pk, random_answers(questions, rng)) for a in alumni if rng.random() < 0.8]
        seed_responses(survey, questions, answered)
        Response.objects.filter(survey=survey).update(created_at=self.now - timedelta(days=2))
        self._count(Survey, created=1)
        self._count(Response, created=len(answered))


def _demo_answer(question: ActivityQuestion, rng: random.Random):
    """A plausible stored answer (core.questions' form) to a demo sign-up question."""
    spec = question.spec()
    if spec.type == "single":
        return rng.choice(spec.choices)
    if spec.type == "multiple":
        return [c for c in spec.choices if rng.random() < 0.4] or [spec.choices[0]]
    if spec.type == "number":
        return str(rng.choice((0, 0, 1, 1, 2)))
    if spec.type == "yes_no":
        return rng.random() < 0.3
    return rng.choice(("", "", "希望能见到同班同学", "带孩子一起来"))
