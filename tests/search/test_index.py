"""The index holds exactly the published items, kept current by the workflow and by saves."""

from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article
from editorial.models import State
from editorial.services import item_approve, item_save, item_submit, item_withdraw
from search.models import SearchEntry
from search.services import search_index_is_current, search_reindex_after_migrate
from tests.factories import AlumniProfileFactory, ArticleFactory, DonationProjectFactory

pytestmark = pytest.mark.django_db


def test_an_approved_item_is_found(editor, reviewer, found, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="校庆筹备会议", created_by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        item_submit(item=article, by=editor)
        item_approve(item=article, by=reviewer)
    assert found("筹备") == ["校庆筹备会议"]


def test_a_withdrawn_item_is_no_longer_found(reviewer, found, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="校庆筹备会议", state=State.PUBLISHED)
    with django_capture_on_commit_callbacks(execute=True):
        item_withdraw(item=article, by=reviewer, reason="过时")
    assert found("筹备") == []
    assert not SearchEntry.objects.exists()


def test_an_edit_that_takes_an_item_off_the_site_takes_it_out_of_the_search(
    editor, found, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="校庆筹备会议", state=State.PUBLISHED, created_by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        item_save(item=article, by=editor, data={"title": "校庆筹备会议（更正）"})
    assert found("筹备") == []


def test_a_correction_to_a_published_item_is_found_by_its_new_words(found):
    profile = AlumniProfileFactory(
        title="扎根西部三十年", subject_name="王建国", state=State.PUBLISHED
    )
    profile.subject_name = "李建华"
    profile.save()
    assert found("建华") == ["扎根西部三十年"]
    assert found("建国") == []


@pytest.mark.parametrize("state", [State.DRAFT, State.SUBMITTED, State.SCHEDULED, State.WITHDRAWN])
def test_items_that_are_not_published_are_never_indexed(state, found):
    ArticleFactory(
        title="秘密的校庆计划",
        state=state,
        publish_at=timezone.now() + timedelta(days=1) if state == State.SCHEDULED else None,
    )
    assert found("校庆") == []
    assert not SearchEntry.objects.exists()


def test_an_entry_left_for_an_item_that_left_the_site_is_not_shown(found):
    """The page asks each kind's public rows again: an index row that outlived its item's
    publication (a bulk update, a bug) shows nothing."""
    kept = ArticleFactory(title="校庆公开新闻", state=State.PUBLISHED)
    gone = ArticleFactory(title="校庆撤下新闻", state=State.PUBLISHED)
    Article.objects.filter(pk=gone.pk).update(state=State.WITHDRAWN)  # no signal, no save
    assert SearchEntry.objects.count() == 2
    assert found("校庆") == [kept.title]


def test_a_deleted_item_leaves_the_index(found):
    project = DonationProjectFactory(title="图书馆改造基金", state=State.PUBLISHED)
    project.delete()
    assert found("图书馆") == []
    assert not SearchEntry.objects.exists()


def test_reindex_command_rebuilds_the_index_from_the_published_items(found):
    Article.objects.bulk_create(  # bulk_create sends no signals: the index misses them
        [
            Article(title="批量导入的新闻", state=State.PUBLISHED, published_at=timezone.now()),
            Article(title="批量导入的草稿", state=State.DRAFT),
        ]
    )
    assert found("批量") == []
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert found("批量") == ["批量导入的新闻"]
    assert "1" in out.getvalue()


def test_migrate_rebuilds_an_index_that_misses_published_items(found):
    Article.objects.bulk_create(
        [Article(title="迁移前的新闻", state=State.PUBLISHED, published_at=timezone.now())]
    )
    assert not search_index_is_current()
    search_reindex_after_migrate(sender=None)
    assert search_index_is_current()
    assert found("迁移") == ["迁移前的新闻"]


def test_the_demo_content_is_searchable_once_loaded(settings, tmp_path, found):
    from alumni_cms.demo.loader import demo_load

    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    demo_load()
    assert search_index_is_current()
    assert SearchEntry.objects.count() > 0
    article = Article.objects.filter(state=State.PUBLISHED).first()
    assert article.title in found(article.title)


@pytest.mark.django_db(transaction=True)
def test_migrating_the_index_away_and_back_rebuilds_it(found):
    """post_migrate is sent after any migrate, also one that removed the index's table: the
    rebuild then waits for the table instead of failing, and fills it once it is back."""
    ArticleFactory(title="迁移前后的新闻", state=State.PUBLISHED)
    call_command("migrate", "search", "zero", verbosity=0)
    call_command("migrate", "search", verbosity=0)
    assert found("迁移") == ["迁移前后的新闻"]


def test_the_migration_folds_tokens_indexed_before_traditional_was_folded(found):
    from django.apps import apps

    fold_tokens = import_module("search.migrations.0003_fold_traditional").fold_tokens
    ArticleFactory(title="香港校友會", state=State.PUBLISHED)
    SearchEntry.objects.update(title_tokens="香港 港校 校友 友會 會")  # as indexed before
    assert found("校友会") == []
    fold_tokens(apps, None)
    assert found("校友会") == ["香港校友會"]
