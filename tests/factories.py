"""Factories for every model the tests need. Content is created in the DRAFT state unless asked."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from activities.models import Activity, Registration, RegistrationStatus
from alumni.models import AlumniProfile, Alumnus, Branch
from articles.models import Article, ArticlePhoto, Category, Department
from donations.models import Channel, DonationProject, Gift
from editorial.models import State
from editorial.roles import DONATIONS_OFFICER, EDITOR, LIAISON, OFFICE_ADMIN, REVIEWER


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.edu.cn")
    password = factory.django.Password("pw-for-tests-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _grant(self, create, extracted)


def _grant(user, create, role_names):
    """Put `user` in the named role groups; any role but liaison also gets admin access."""
    if not (create and role_names):
        return
    user.groups.add(*Group.objects.filter(name__in=role_names))
    if set(role_names) - {LIAISON}:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def _role_factory(role):
    class RoleUserFactory(UserFactory):
        @factory.post_generation
        def roles(self, create, extracted, **kwargs):
            _grant(self, create, extracted or [role])

    RoleUserFactory.__name__ = f"{role}UserFactory"
    return RoleUserFactory


EditorFactory = _role_factory(EDITOR)
ReviewerFactory = _role_factory(REVIEWER)
OfficeAdminFactory = _role_factory(OFFICE_ADMIN)
LiaisonFactory = _role_factory(LIAISON)
DonationsOfficerFactory = _role_factory(DONATIONS_OFFICER)


class BranchFactory(DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"校友会分会{n}")
    city = "上海"


class AlumnusFactory(DjangoModelFactory):
    class Meta:
        model = Alumnus

    name = factory.Sequence(lambda n: f"校友{n}")
    class_year = 2005
    college = "计算机学院"
    major = "软件工程"
    city = "杭州"
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"分类{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"部门{n}")


class EditorialFactory(DjangoModelFactory):
    title = factory.Sequence(lambda n: f"标题{n}")
    body = "<p>正文内容。</p>"
    state = State.DRAFT
    created_by = factory.SubFactory(EditorFactory)
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.state == State.PUBLISHED else None
    )


class ArticleFactory(EditorialFactory):
    class Meta:
        model = Article

    author = "校友办"
    category = factory.SubFactory(CategoryFactory)
    department = factory.SubFactory(DepartmentFactory)


class ArticlePhotoFactory(DjangoModelFactory):
    class Meta:
        model = ArticlePhoto

    article = factory.SubFactory(ArticleFactory)
    image = factory.django.ImageField(width=64, height=48, format="JPEG")


class ActivityFactory(EditorialFactory):
    class Meta:
        model = Activity

    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    place = "校本部大礼堂"
    how_to_join = "在线报名"
    capacity = 50
    signup_deadline = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=1))


class RegistrationFactory(DjangoModelFactory):
    class Meta:
        model = Registration

    activity = factory.SubFactory(ActivityFactory)
    name = factory.Sequence(lambda n: f"报名人{n}")
    class_year = 2010
    phone = factory.Sequence(lambda n: f"1390000{n:04d}")
    status = RegistrationStatus.REGISTERED


class AlumniProfileFactory(EditorialFactory):
    class Meta:
        model = AlumniProfile

    alumnus = factory.SubFactory(AlumnusFactory)
    subject_name = factory.LazyAttribute(lambda o: o.alumnus.name if o.alumnus else "校友")
    headline = "杰出校友"


class DonationProjectFactory(EditorialFactory):
    class Meta:
        model = DonationProject

    goal = Decimal("100000.00")


class GiftFactory(DjangoModelFactory):
    class Meta:
        model = Gift

    project = factory.SubFactory(DonationProjectFactory)
    donor_name = factory.Sequence(lambda n: f"捐赠人{n}")
    amount = Decimal("1000.00")
    channel = Channel.BANK


def photo_bytes(size=(64, 48), *, format="JPEG", color="red", mode="RGB", exif=None) -> bytes:
    """The bytes of a small generated image; `exif` is a PIL.Image.Exif to embed (JPEG/WebP)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, color).save(buffer, format=format, **options)
    return buffer.getvalue()


def photo_upload(name="photo.jpg", content=None, **kwargs):
    """An uploaded file as a browser sends it: a generated image unless `content` is given."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = content if content is not None else photo_bytes(**kwargs)
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` × `height` pixels but carries almost no data.

    Decoding it would need gigabytes; a checker that trusts the header never gets that far.
    """
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


PUSH_PERMISSIONS = ("view_push", "add_push", "change_push", "delete_push")


def grant_push_permissions(user, codenames=PUSH_PERMISSIONS):
    """Give `user` the wechat push permissions (the role groups do not carry them yet)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="wechat", codename__in=codenames)
    )
    return type(user).objects.get(pk=user.pk)  # a fresh instance: no cached permissions


def media_image(name="uploads/photo.jpg", *, size=(64, 48), format="JPEG", color="red") -> str:
    """Store a generated image under MEDIA_ROOT and return the `src` an article body uses."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stored = default_storage.save(name, ContentFile(photo_bytes(size, format=format, color=color)))
    return settings.MEDIA_URL + stored


class PushableArticleFactory(ArticleFactory):
    """A published article with a cover, ready to be pushed to WeChat."""

    state = State.PUBLISHED
    digest = "校友返校日的精彩回顾"
    cover = factory.django.ImageField(width=900, height=500, format="JPEG", color="navy")


class PushFactory(DjangoModelFactory):
    """A push awaiting approval; give `items=[…]` (content items) to put them in it in order."""

    class Meta:
        model = "wechat.Push"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"推送{n}")
    mode = "mass"
    created_by = factory.SubFactory(EditorFactory)

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if not (create and extracted):
            return
        from django.contrib.contenttypes.models import ContentType

        from wechat.models import PushItem

        PushItem.objects.bulk_create(
            PushItem(
                push=self,
                position=n,
                content_type=ContentType.objects.get_for_model(item),
                object_id=item.pk,
                title=item.title,
            )
            for n, item in enumerate(extracted, 1)
        )


class FollowerFactory(DjangoModelFactory):
    class Meta:
        model = "audience.Follower"

    openid = factory.Sequence(lambda n: f"oTEST{n:023d}")
    subscribed = True
    subscribe_time = factory.LazyFunction(timezone.now)


class SegmentFactory(DjangoModelFactory):
    class Meta:
        model = "audience.Segment"

    name = factory.Sequence(lambda n: f"分组{n}")


class ReplyRuleFactory(DjangoModelFactory):
    """A keyword rule answering text (wechat.ReplyRule)."""

    class Meta:
        model = "wechat.ReplyRule"

    name = factory.Sequence(lambda n: f"规则{n}")
    trigger = "keyword"
    match = "contains"
    pattern = "地址"
    kind = "text"
    text = "校友会地址：北京市海淀区颐和园路5号"


class InboxMessageFactory(DjangoModelFactory):
    """A follower's text message in the inbox (wechat.InboxMessage)."""

    class Meta:
        model = "wechat.InboxMessage"

    openid = factory.Sequence(lambda n: f"oINBOX{n:022d}")
    direction = "in"
    msg_type = "text"
    msg_id = factory.Sequence(lambda n: str(7_000_000_000 + n))
    content = "你好"
    sent_at = factory.LazyFunction(timezone.now)


class SurveyFactory(EditorialFactory):
    """A survey (surveys.Survey), tied to the record unless `respondents="anonymous"`."""

    class Meta:
        model = "surveys.Survey"

    respondents = "record"


class QuestionFactory(DjangoModelFactory):
    """A single-choice question (surveys.Question) of three cities."""

    class Meta:
        model = "surveys.Question"

    survey = factory.SubFactory(SurveyFactory)
    position = factory.Sequence(lambda n: n)
    type = "single"
    label = factory.Sequence(lambda n: f"问题{n}")
    choices = "北京\n上海\n深圳"
