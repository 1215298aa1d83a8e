"""The demo loader (`manage.py load_demo`, run by `dev.py run` on every start)."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from activities.models import Activity, Registration, RegistrationStatus
from alumni.models import AlumniProfile, Alumnus, Branch
from alumni_cms.demo import data
from alumni_cms.demo.images import COVER_SIZE, demo_image
from alumni_cms.demo.loader import IMPORT_ACTION, demo_load
from articles.models import Article, Category, Department
from donations.models import DonationProject, Gift
from editorial.models import (
    AUTHOR_MAX_LENGTH,
    DIGEST_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ReviewComment,
    State,
)
from editorial.roles import DONATIONS_OFFICER, EDITOR, LIAISON, OFFICE_ADMIN, REVIEWER
from payments.models import OnlineOrder

CONTENT_MODELS = (Article, Activity, AlumniProfile, DonationProject)
ALL_ITEMS = data.NEWS + data.NEWS_IN_REVIEW + data.ACTIVITIES + data.PROFILES + data.PROJECTS
DEMO_USERNAMES = ["officeadmin", "editor", "reviewer", "donations", "liaison", "liaison2"]


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_debug(settings):
    """The demo loads only with DEBUG on (tests/security/test_defaults.py: not without it)."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DEBUG = True


@pytest.fixture(scope="class")
def demo_media(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the demo once for a whole class of tests; yields the MEDIA_ROOT it wrote to.

    A load takes most of a second, so the tests of a class share one, inside a transaction
    rolled back after the class. Each test still runs in its own savepoint, so a test that edits
    or reloads sees its own changes only.
    """
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=FAST_HASHERS, DEBUG=True),
        transaction.atomic(),
    ):
        demo_load()
        yield media
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_media, db):
    return demo_media


def row_counts() -> dict[str, int]:
    """The number of rows in every table of every installed model."""
    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.db_table in tables
    }


def media_files(settings) -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


# The data itself


def test_every_demo_title_fits_the_wechat_title_limit():
    too_long = [item["title"] for item in ALL_ITEMS if len(item["title"]) > TITLE_MAX_LENGTH]
    assert too_long == []


def test_every_demo_author_fits_the_wechat_author_limit():
    authors = [item["author"] for item in ALL_ITEMS if "author" in item]
    assert [a for a in authors if len(a) > AUTHOR_MAX_LENGTH] == []


def test_every_demo_digest_fits_the_wechat_digest_limit():
    too_long = [item["digest"] for item in ALL_ITEMS if len(item["digest"]) > DIGEST_MAX_LENGTH]
    assert too_long == []


def test_demo_keys_are_unique():
    keys = [item["key"] for item in ALL_ITEMS]
    assert len(keys) == len(set(keys))


def test_cover_pictures_are_the_same_for_the_same_key():
    first = demo_image("news-demo-test", "news")
    demo_image.cache_clear()
    assert demo_image("news-demo-test", "news") == first


class TestOneLoad:
    """What one load puts in an empty database."""

    def test_load_creates_the_required_amount_of_content(self, loaded):
        assert Article.objects.count() >= 30
        assert Activity.objects.count() == 10
        assert AlumniProfile.objects.filter(alumnus__isnull=False).count() == 10
        assert DonationProject.objects.count() == 5
        assert Gift.objects.count() >= 25

    def test_load_creates_branches_alumni_categories_and_departments(self, loaded):
        assert Branch.objects.count() >= 3
        assert Branch.objects.exclude(contact_name="").exclude(contact_phone="").count() >= 3
        assert Alumnus.objects.count() >= 40
        assert set(Category.objects.values_list("name", flat=True)) >= {
            "学校要闻",
            "学院动态",
            "校友动态",
            "通知公告",
        }
        assert Department.objects.count() >= 5

    def test_most_content_is_published_within_the_last_90_days(self, loaded):
        now = timezone.now()
        for model in CONTENT_MODELS:
            published = model.objects.filter(state=State.PUBLISHED)
            assert published.count() >= model.objects.count() - 5
            assert not published.filter(published_at__isnull=True).exists()
            assert not published.filter(published_at__gt=now).exists()
            assert not published.filter(published_at__lt=now - timedelta(days=92)).exists()

    def test_review_queue_holds_two_submitted_one_rejected_one_draft_one_scheduled(self, loaded):
        states = list(
            Article.objects.exclude(state=State.PUBLISHED).values_list("state", flat=True)
        )
        assert sorted(states) == sorted(
            [State.SUBMITTED, State.SUBMITTED, State.REJECTED, State.DRAFT, State.SCHEDULED]
        )

    def test_one_submitted_news_comes_from_the_shanghai_liaison(self, loaded):
        from_liaison = Article.objects.get(state=State.SUBMITTED, created_by__username="liaison")
        assert from_liaison.branch.name == "上海校友会"
        assert from_liaison.photos.count() == 2

    def test_rejected_news_carries_the_reviewers_comment(self, loaded):
        rejected = Article.objects.get(state=State.REJECTED)
        comment = ReviewComment.objects.get(
            content_type=ContentType.objects.get_for_model(Article), object_id=rejected.pk
        )
        assert comment.author.username == "reviewer"
        assert comment.body

    def test_scheduled_news_publishes_tomorrow(self, loaded):
        scheduled = Article.objects.get(state=State.SCHEDULED)
        tomorrow = timezone.localdate() + timedelta(days=1)
        assert timezone.localtime(scheduled.publish_at).date() == tomorrow
        assert scheduled.published_at is None

    def test_every_loaded_item_has_an_import_audit_entry_with_its_state(self, loaded):
        for model in CONTENT_MODELS:
            for item in model.objects.all():
                entry = item.audit_entries.get(action=IMPORT_ACTION)
                assert entry.to_state == item.state

    def test_activities_range_from_the_past_to_the_future(self, loaded):
        now = timezone.now()
        assert Activity.objects.filter(starts_at__lt=now).count() >= 2
        assert Activity.objects.filter(starts_at__gt=now).count() >= 5

    def test_some_full_activities_have_a_waitlist(self, loaded):
        full_with_waitlist = [
            activity
            for activity in Activity.objects.exclude(capacity=None)
            if activity.registrations.filter(status=RegistrationStatus.REGISTERED).count()
            == activity.capacity
            and activity.registrations.filter(status=RegistrationStatus.WAITLISTED).exists()
        ]
        assert len(full_with_waitlist) >= 2

    def test_signups_come_in_every_status(self, loaded):
        statuses = set(Registration.objects.values_list("status", flat=True))
        assert statuses == set(RegistrationStatus.values)

    def test_gifts_mix_anonymous_named_alumni_and_organisations(self, loaded):
        gifts = Gift.objects.all()
        assert gifts.filter(anonymous=True).exists()
        assert gifts.filter(anonymous=False, donor_alumnus__isnull=False).exists()
        assert gifts.filter(anonymous=False, donor_alumnus__isnull=True).exists()
        assert len(set(gifts.values_list("channel", flat=True))) >= 3

    def test_goals_and_gift_amounts_are_exact_decimals(self, loaded):
        project = DonationProject.objects.get(title="启航奖学金")
        assert project.goal == Decimal("5000000.00")
        assert sum(project.gifts.values_list("amount", flat=True)) == Decimal("4064300.00")

    def test_every_content_item_has_a_900x500_jpeg_cover(self, loaded):
        for model in CONTENT_MODELS:
            for item in model.objects.all():
                with Image.open(loaded / item.cover.name) as image:
                    assert (image.format, image.size) == ("JPEG", COVER_SIZE)


class TestDemoUsers:
    def test_every_demo_user_can_log_in(self, loaded, client):
        for username in DEMO_USERNAMES:
            # django-axes checks every login against its request; the test client gives none.
            assert client.login(
                request=HttpRequest(), username=username, password=data.DEMO_PASSWORD
            ), username
            client.logout()

    def test_demo_users_have_their_roles(self, loaded):
        users = get_user_model().objects.filter(username__in=DEMO_USERNAMES)
        roles = {user.username: list(user.groups.values_list("name", flat=True)) for user in users}
        assert roles == {
            "officeadmin": [OFFICE_ADMIN],
            "editor": [EDITOR],
            "reviewer": [REVIEWER],
            "donations": [DONATIONS_OFFICER],
            "liaison": [LIAISON],
            "liaison2": [LIAISON],
        }
        staff = set(users.filter(is_staff=True).values_list("username", flat=True))
        assert staff == {"officeadmin", "editor", "reviewer", "donations"}
        assert list(users.filter(is_superuser=True).values_list("username", flat=True)) == [
            "officeadmin"
        ]

    def test_liaisons_look_after_shanghai_and_beijing(self, loaded):
        branches = {
            username: list(Branch.objects.filter(liaisons__username=username).values_list("name"))
            for username in ("liaison", "liaison2")
        }
        assert branches == {"liaison": [("上海校友会",)], "liaison2": [("北京校友会",)]}

    def test_liaison_can_use_the_liaison_portal_and_reviewer_can_review(self, loaded):
        users = get_user_model().objects
        assert users.get(username="liaison").has_perm("editorial.use_liaison_portal")
        assert users.get(username="reviewer").has_perm("editorial.review_item")
        assert not users.get(username="editor").has_perm("editorial.review_item")


class TestRunningAgain:
    """A second run (dev.py run on every start) adds nothing and changes nothing."""

    def test_second_run_leaves_every_table_unchanged(self, loaded):
        before = row_counts()
        demo_load()
        assert row_counts() == before

    def test_second_run_reports_everything_as_found(self, loaded):
        report = demo_load()
        assert sum(tally.created for tally in report.values()) == 0
        assert report[Article].found == len(data.NEWS) + len(data.NEWS_IN_REVIEW)

    def test_second_run_keeps_what_the_office_edited(self, loaded):
        article = Article.objects.get(title="青澜大学召开第九次校友代表大会")
        article.title = "第九次校友代表大会胜利闭幕"
        article.digest = "办公室改过的摘要"
        article.save()
        demo_load()
        article.refresh_from_db()
        assert (article.title, article.digest) == ("第九次校友代表大会胜利闭幕", "办公室改过的摘要")
        assert not Article.objects.filter(title="青澜大学召开第九次校友代表大会").exists()

    def test_second_run_keeps_a_changed_password(self, loaded, client):
        user = get_user_model().objects.get(username="editor")
        user.set_password("a-new-office-password")
        user.save()
        demo_load()
        request = HttpRequest()
        assert client.login(request=request, username="editor", password="a-new-office-password")
        assert not client.login(request=request, username="editor", password=data.DEMO_PASSWORD)

    def test_second_run_keeps_a_liaison_the_office_removed(self, loaded):
        branch = Branch.objects.get(name="上海校友会")
        branch.liaisons.clear()
        demo_load()
        assert not branch.liaisons.exists()

    def test_second_run_does_not_bring_back_deleted_signups(self, loaded):
        Registration.objects.filter(status=RegistrationStatus.CANCELLED).delete()
        demo_load()
        assert not Registration.objects.filter(status=RegistrationStatus.CANCELLED).exists()


# In a database of their own


def test_second_run_into_a_fresh_database_writes_no_new_files(db, settings):
    demo_load()
    files = media_files(settings)
    OnlineOrder.objects.all().delete()  # they protect their gifts
    Gift.objects.all().delete()
    for model in CONTENT_MODELS:
        model.objects.all().delete()
    demo_load()
    assert media_files(settings) == files


def test_command_prints_what_it_created_then_what_it_found(db):
    first, second = io.StringIO(), io.StringIO()
    call_command("load_demo", stdout=first)
    call_command("load_demo", stdout=second)
    created, kind = Registration.objects.count(), Registration._meta.verbose_name_plural
    assert f"{kind}：新建 {created}，已存在 0" in first.getvalue()
    assert f"{kind}：新建 0，已存在 {created}" in second.getvalue()
    assert "新建 0 条" in second.getvalue()


def test_demo_has_a_published_survey_with_answers_to_read(loaded):
    from surveys.models import Survey
    from surveys.selectors import survey_results

    survey = Survey.objects.get(title="2026 校友需求调查")
    assert survey.state == State.PUBLISHED
    results = survey_results(survey)
    assert results.responses >= 20
    assert len(results.questions) == 20
