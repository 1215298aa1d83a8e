import pytest
from django.urls import reverse

from articles.models import Article
from editorial.models import State
from editorial.services import item_publish, item_withdraw
from tests.factories import (
    ArticleFactory,
    ArticlePhotoFactory,
    BranchFactory,
    CategoryFactory,
    DepartmentFactory,
)

pytestmark = pytest.mark.django_db

PUBLISHED = State.PUBLISHED
UNPUBLISHED = [State.DRAFT, State.SUBMITTED, State.APPROVED, State.SCHEDULED, State.REJECTED,
               State.WITHDRAWN]  # fmt: skip


def test_news_list_shows_published_articles(client):
    ArticleFactory(state=PUBLISHED, title="校庆120周年")

    response = client.get(reverse("articles:list"))

    assert response.status_code == 200
    assert "校庆120周年" in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_news_list_leaves_out_unpublished_articles(client, state):
    ArticleFactory(state=state, title="未发布的新闻")

    response = client.get(reverse("articles:list"))

    assert "未发布的新闻" not in response.content.decode()


def test_news_detail_shows_a_published_article(client):
    article = ArticleFactory(state=PUBLISHED, title="校庆120周年", body="<p>盛况空前。</p>")

    response = client.get(reverse("articles:detail", args=[article.pk]))

    assert response.status_code == 200
    assert "盛况空前。" in response.content.decode()


@pytest.mark.parametrize("state", UNPUBLISHED)
def test_news_detail_of_an_unpublished_article_is_not_found(client, state):
    article = ArticleFactory(state=state)

    response = client.get(reverse("articles:detail", args=[article.pk]))

    assert response.status_code == 404


def test_news_detail_renders_the_sanitized_body_as_html(client):
    article = ArticleFactory(
        state=PUBLISHED, body="<p><strong>重要</strong><script>x()</script></p>"
    )

    page = client.get(article.get_absolute_url()).content.decode()

    assert "<p><strong>重要</strong></p>" in page
    assert "x()" not in page


def test_news_detail_shows_source_department_author_and_original_link(client):
    article = ArticleFactory(
        state=PUBLISHED,
        department=DepartmentFactory(name="党委宣传部"),
        author="王小明",
        source_url="https://news.example.edu.cn/1.html",
    )

    page = client.get(article.get_absolute_url()).content.decode()

    assert "党委宣传部" in page
    assert "王小明" in page
    assert 'href="https://news.example.edu.cn/1.html"' in page
    assert "阅读原文" in page


def test_news_detail_shows_the_articles_photos_with_captions(client):
    article = ArticleFactory(state=PUBLISHED)
    photo = ArticlePhotoFactory(article=article, caption="校友合影")

    page = client.get(article.get_absolute_url()).content.decode()

    assert photo.image.url in page
    assert "校友合影" in page


def test_news_detail_names_the_branch_of_a_liaisons_article(client):
    article = ArticleFactory(
        state=PUBLISHED, department=None, branch=BranchFactory(name="深圳校友会")
    )

    page = client.get(article.get_absolute_url()).content.decode()

    assert "深圳校友会" in page


def test_news_list_filtered_by_category_shows_only_that_category(client):
    campus = CategoryFactory(slug="campus", name="校园新闻")
    ArticleFactory(state=PUBLISHED, category=campus, title="图书馆开馆")
    ArticleFactory(state=PUBLISHED, category=CategoryFactory(slug="alumni"), title="校友返校")

    response = client.get(reverse("articles:list"), {"category": "campus"})

    page = response.content.decode()
    assert "图书馆开馆" in page
    assert "校友返校" not in page


def test_news_list_with_an_unknown_category_is_not_found(client):
    response = client.get(reverse("articles:list"), {"category": "no-such-thing"})

    assert response.status_code == 404


def test_news_list_shows_20_articles_per_page_newest_first(client):
    articles = ArticleFactory.create_batch(21, state=PUBLISHED)

    first = client.get(reverse("articles:list"))
    second = client.get(reverse("articles:list"), {"page": 2})

    assert [a.pk for a in first.context["articles"]] == [a.pk for a in articles[:0:-1]]
    assert [a.pk for a in second.context["articles"]] == [articles[0].pk]
    assert "第 1 页，共 2 页" in first.content.decode()


def test_news_list_page_links_keep_the_category(client):
    campus = CategoryFactory(slug="campus")
    ArticleFactory.create_batch(21, state=PUBLISHED, category=campus)

    page = client.get(reverse("articles:list"), {"category": "campus"}).content.decode()

    assert 'href="?category=campus&amp;page=2"' in page


def test_news_list_with_a_page_number_that_is_not_one_shows_the_first_page(client):
    ArticleFactory(state=PUBLISHED, title="唯一的新闻")

    response = client.get(reverse("articles:list"), {"page": "abc"})

    assert response.status_code == 200
    assert "唯一的新闻" in response.content.decode()


@pytest.mark.parametrize("query", [{}, {"category": "campus"}])
def test_news_list_runs_as_many_queries_for_20_articles_as_for_2(
    client, queries_for, django_assert_num_queries, query
):
    campus = CategoryFactory(slug="campus")
    ArticleFactory.create_batch(2, state=PUBLISHED, category=campus)
    url = reverse("articles:list") + ("?category=campus" if query else "")
    expected = queries_for(url)
    ArticleFactory.create_batch(18, state=PUBLISHED, category=campus)

    with django_assert_num_queries(expected):
        client.get(url)


def test_news_detail_runs_as_many_queries_for_20_photos_as_for_2(
    client, queries_for, django_assert_num_queries
):
    article = ArticleFactory(state=PUBLISHED)
    ArticlePhotoFactory.create_batch(2, article=article)
    ArticleFactory.create_batch(2, state=PUBLISHED, category=article.category)
    expected = queries_for(article.get_absolute_url())
    ArticlePhotoFactory.create_batch(18, article=article)
    ArticleFactory.create_batch(18, state=PUBLISHED, category=article.category)

    with django_assert_num_queries(expected):
        client.get(article.get_absolute_url())


def test_news_detail_of_an_article_without_photos_skips_the_photo_query(client, queries_for):
    with_photos = ArticleFactory(state=PUBLISHED)
    ArticlePhotoFactory(article=with_photos)
    without = ArticleFactory(state=PUBLISHED, category=with_photos.category)
    client.get(without.get_absolute_url())  # the category's "more news" is now cached

    assert queries_for(without.get_absolute_url()) == 1  # the article
    assert queries_for(with_photos.get_absolute_url()) == 2  # the article and its photos


def test_news_detail_runs_only_the_articles_query_until_content_changes(client, queries_for):
    first = ArticleFactory(state=PUBLISHED)
    ArticlePhotoFactory(article=first)
    second = ArticleFactory(state=PUBLISHED, category=first.category)
    other = ArticleFactory(state=PUBLISHED)

    assert queries_for(first.get_absolute_url()) == 3  # the article, "more news", its photos
    assert queries_for(second.get_absolute_url()) == 2  # the category's "more news" is kept
    assert queries_for(other.get_absolute_url()) == 3  # another category's is not
    assert queries_for(first.get_absolute_url()) == 1
    assert queries_for(second.get_absolute_url()) == 1
    ArticleFactory(state=PUBLISHED)  # any content change

    assert queries_for(second.get_absolute_url()) == 3


def _more_news(client, article) -> str:
    page = client.get(article.get_absolute_url()).content.decode()
    return page[page.index("更多新闻") :]


def test_more_news_shows_an_article_published_withdrawn_or_edited_after_it_was_shown(
    client, reviewer, django_capture_on_commit_callbacks
):
    campus = CategoryFactory()
    article = ArticleFactory(state=PUBLISHED, category=campus)
    other = ArticleFactory(state=PUBLISHED, category=campus, title="旧标题")
    later = ArticleFactory(state=State.WITHDRAWN, category=campus, title="重新发布的新闻")
    assert "旧标题" in _more_news(client, article)

    with django_capture_on_commit_callbacks(execute=True):
        item_publish(item=later, by=reviewer)
    assert "重新发布的新闻" in _more_news(client, article)

    with django_capture_on_commit_callbacks(execute=True):
        item_withdraw(item=later, by=reviewer, reason="错误")
    assert "重新发布的新闻" not in _more_news(client, article)

    other.title = "新标题"
    other.save()
    more = _more_news(client, article)
    assert "新标题" in more
    assert "旧标题" not in more


def test_more_news_leaves_out_the_article_itself_when_it_is_among_the_newest(client):
    campus = CategoryFactory()
    articles = [ArticleFactory(state=PUBLISHED, category=campus) for _ in range(5)]
    newest = max(articles, key=lambda article: (article.published_at, article.pk))
    client.get(articles[0].get_absolute_url())  # "more news" cached from another article's page

    more = _more_news(client, newest)

    assert f'href="{newest.get_absolute_url()}"' not in more
    assert more.count('class="news-item"') == 3


def test_news_detail_shows_more_news_from_the_same_category_but_not_itself(client):
    campus = CategoryFactory(slug="campus")
    article = ArticleFactory(state=PUBLISHED, category=campus, title="本篇新闻")
    ArticleFactory(state=PUBLISHED, category=campus, title="同类新闻")
    ArticleFactory(state=PUBLISHED, category=CategoryFactory(slug="other"), title="别类新闻")

    page = client.get(article.get_absolute_url()).content.decode()

    more = page[page.index("更多新闻") :]
    assert "同类新闻" in more
    assert "本篇新闻" not in more
    assert "别类新闻" not in more


def test_news_list_shows_an_articles_new_title_after_it_is_edited(client):
    article = ArticleFactory(state=PUBLISHED, title="旧标题")
    client.get(reverse("articles:list"))  # the row is now kept in memory
    article.title = "新标题"
    article.save()

    page = client.get(reverse("articles:list")).content.decode()

    assert "新标题" in page
    assert "旧标题" not in page


def test_news_list_shows_a_renamed_category_even_when_the_article_is_unchanged(client):
    category = CategoryFactory(name="返校活动")
    ArticleFactory(state=PUBLISHED, category=category)
    client.get(reverse("articles:list"))
    category.name = "校友返校日"
    category.save()

    page = client.get(reverse("articles:list")).content.decode()

    assert page.count("校友返校日") == 2  # the filter chip and the row
    assert "返校活动" not in page


def test_news_list_leaves_out_an_article_withdrawn_after_its_row_was_shown(client):
    article = ArticleFactory(state=PUBLISHED, title="将被撤回的新闻")
    client.get(reverse("articles:list"))
    Article.objects.filter(pk=article.pk).update(state=State.WITHDRAWN)

    page = client.get(reverse("articles:list")).content.decode()

    assert "将被撤回的新闻" not in page


def test_news_detail_shows_a_photo_added_after_the_page_was_shown(client):
    article = ArticleFactory(state=PUBLISHED)
    client.get(article.get_absolute_url())  # the article block is now kept in memory
    photo = ArticlePhotoFactory(article=article, caption="新加的照片")

    page = client.get(article.get_absolute_url()).content.decode()

    assert photo.image.url in page
    assert "新加的照片" in page


def test_news_detail_in_english_after_chinese_shows_english_labels(client):
    article = ArticleFactory(state=PUBLISHED, department=DepartmentFactory(name="党委宣传部"))
    client.get(article.get_absolute_url())

    page = client.get(article.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Source: 党委宣传部" in page
