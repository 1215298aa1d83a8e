from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial import services
from editorial.models import State
from tests.factories import ArticleFactory, ArticlePhotoFactory, BranchFactory, LiaisonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(client, liaison):
    client.force_login(liaison)
    return client


def _sent_back(*, branch, by, reviewer, reason="请补充活动照片的说明。", **fields):
    article = ArticleFactory(branch=branch, created_by=by, state=State.SUBMITTED, **fields)
    return services.item_reject(item=article, by=reviewer, reason=reason)


def test_the_list_shows_the_branch_submissions_newest_first_with_chinese_states(
    portal, liaison, liaison_branch
):
    now = timezone.now()
    ArticleFactory(
        title="较早的投稿", branch=liaison_branch, created_by=liaison, created_at=now - timedelta(1)
    )
    ArticleFactory(title="最新的投稿", branch=liaison_branch, state=State.PUBLISHED, created_at=now)

    response = portal.get(reverse("liaison:list"))

    page = response.content.decode()
    assert [a.title for a in response.context["page"]] == ["最新的投稿", "较早的投稿"]
    assert '<span class="lp-badge lp-badge-published">已发布</span>' in page
    assert '<span class="lp-badge lp-badge-draft">草稿</span>' in page


def test_a_sent_back_submission_shows_the_reviewer_comment_and_an_edit_link(
    portal, liaison, liaison_branch, reviewer
):
    article = _sent_back(branch=liaison_branch, by=liaison, reviewer=reviewer)

    page = portal.get(reverse("liaison:list")).content.decode()

    assert "已退回" in page
    assert "请补充活动照片的说明。" in page
    assert reverse("liaison:edit", args=[article.pk]) in page
    assert "修改后重新提交" in page


def test_a_submitted_item_has_no_edit_link(portal, liaison, liaison_branch):
    article = ArticleFactory(branch=liaison_branch, created_by=liaison, state=State.SUBMITTED)

    page = portal.get(reverse("liaison:list")).content.decode()

    assert reverse("liaison:edit", args=[article.pk]) not in page


def test_another_branch_submission_is_not_listed(portal, liaison_branch):
    ArticleFactory(title="本会新闻", branch=liaison_branch)
    ArticleFactory(title="别的分会的新闻", branch=BranchFactory())
    ArticleFactory(title="校友办自己的新闻", branch=None)

    response = portal.get(reverse("liaison:list"))

    assert [a.title for a in response.context["page"]] == ["本会新闻"]


@pytest.mark.parametrize("name", ["liaison:detail", "liaison:edit"])
def test_another_branch_submission_is_404_by_url(portal, liaison_branch, name):
    other_liaison = LiaisonFactory()
    other = BranchFactory()
    other.liaisons.add(other_liaison)
    article = ArticleFactory(branch=other, created_by=other_liaison, state=State.REJECTED)

    assert portal.get(reverse(name, args=[article.pk])).status_code == 404


def test_a_liaison_without_a_branch_is_told_to_ask_the_office(portal):
    page = portal.get(reverse("liaison:list")).content.decode()

    assert "您的账号尚未关联分会" in page
    assert reverse("liaison:new") not in page


def test_the_detail_page_shows_the_text_photos_and_comments(
    portal, liaison, liaison_branch, reviewer
):
    article = _sent_back(
        branch=liaison_branch, by=liaison, reviewer=reviewer, body="<p>活动很成功。</p>"
    )
    photo = ArticlePhotoFactory(article=article)

    page = portal.get(reverse("liaison:detail", args=[article.pk])).content.decode()

    assert "<p>活动很成功。</p>" in page
    assert photo.image.url in page
    assert "请补充活动照片的说明。" in page


def test_the_list_runs_the_same_queries_for_two_and_six_submissions(
    portal, liaison, liaison_branch, reviewer, queries_for, django_assert_num_queries
):
    def add(count):
        for _ in range(count):
            article = _sent_back(branch=liaison_branch, by=liaison, reviewer=reviewer)
            ArticlePhotoFactory(article=article)

    add(2)
    queries = queries_for(reverse("liaison:list"))
    add(4)

    with django_assert_num_queries(queries):
        response = portal.get(reverse("liaison:list"))
    assert response.content.decode().count("请补充活动照片的说明。") == 6
