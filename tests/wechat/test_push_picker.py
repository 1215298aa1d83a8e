"""The compose page's item picker (issue 12 item 5): the search endpoint over every content
module, who may use it, bad input, its cost, and composing through the picker's rows."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from editorial.models import State
from editorial.publishing import item_key
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    ArticleFactory,
    DonationProjectFactory,
    PushableArticleFactory,
    PushFactory,
    UserFactory,
)
from wechat.models import Push

pytestmark = pytest.mark.django_db

SEARCH = "/admin/wechat/push/items/search/"


def _search(client, q: str):
    return client.get(SEARCH, {"q": q})


def test_search_finds_items_of_every_module_by_part_of_a_chinese_title(client, push_editor):
    published = {"state": State.PUBLISHED}
    article = ArticleFactory(title="校友返校日回顾", **published)
    activity = ActivityFactory(title="返校日篮球赛", **published)
    profile = AlumniProfileFactory(title="返校日专访：林老师", **published)
    project = DonationProjectFactory(title="返校日助学基金", **published)
    ArticleFactory(title="毕业典礼", **published)
    client.force_login(push_editor)
    results = _search(client, "返校日").json()["results"]
    assert {hit["key"] for hit in results} == {
        item_key(item) for item in (article, activity, profile, project)
    }
    assert len({hit["type"] for hit in results}) == 4  # each module says what it is


def test_each_hit_says_type_state_and_date(client, push_editor):
    article = PushableArticleFactory(title="校庆特刊")
    client.force_login(push_editor)
    [hit] = _search(client, "校庆").json()["results"]
    assert hit["key"] == item_key(article)
    assert hit["title"] == "校庆特刊"
    assert hit["type"] == str(article._meta.verbose_name)
    assert (hit["state"], hit["state_label"]) == ("published", "已发布")
    assert hit["date"] == timezone.localtime(article.published_at).strftime("%Y-%m-%d")
    assert hit["pushable"] is True and hit["reason"] == ""


def test_items_not_approved_are_listed_greyed_out_with_the_reason_after_pushable_ones(
    client, push_editor
):
    draft = ArticleFactory(title="校庆草稿", state=State.SUBMITTED)
    published = PushableArticleFactory(title="校庆通知")
    client.force_login(push_editor)
    results = _search(client, "校庆").json()["results"]
    assert [hit["key"] for hit in results] == [item_key(published), item_key(draft)]
    assert results[1]["pushable"] is False
    assert results[1]["reason"] == "只有已通过审核的内容才能推送。"


def test_an_empty_search_lists_recent_pushable_items(client, push_editor):
    item = PushableArticleFactory(title="最新动态")
    client.force_login(push_editor)
    assert [hit["key"] for hit in _search(client, "").json()["results"]] == [item_key(item)]


def test_search_says_when_more_items_match_than_it_lists(client, push_editor):
    PushableArticleFactory.create_batch(21, title="校友会通知")
    client.force_login(push_editor)
    answer = _search(client, "通知").json()
    assert len(answer["results"]) == 20 and answer["more"] is True


def test_a_search_term_that_is_too_long_gets_a_chinese_message_not_a_500(client, push_editor):
    client.force_login(push_editor)
    response = _search(client, "校" * 65)
    assert response.status_code == 400
    assert response.json()["error"] == "搜索词最多 64 个字。"


@pytest.mark.parametrize("q", ["%", "_", "'; DROP TABLE wechat_push; --", "\\", "　"])
def test_odd_search_terms_answer_normally(client, push_editor, q):
    PushableArticleFactory(title="普通标题")
    client.force_login(push_editor)
    response = _search(client, q)
    assert response.status_code == 200
    titles = [hit["title"] for hit in response.json()["results"]]
    assert titles == ([] if q.strip() else ["普通标题"])


def test_search_runs_the_same_queries_whatever_it_finds(client, push_editor):
    client.force_login(push_editor)

    def queries(q: str) -> int:
        _search(client, q)
        with CaptureQueriesContext(connection) as captured:
            assert _search(client, q).status_code == 200
        return len(captured.captured_queries)

    PushableArticleFactory(title="单独一篇")
    one = queries("单独")
    for n in range(6):
        PushableArticleFactory(title=f"很多篇{n}")
        ActivityFactory(title=f"很多篇活动{n}", state=State.PUBLISHED)
        DonationProjectFactory(title=f"很多篇项目{n}", state=State.PUBLISHED)
    assert queries("很多篇") == one


def test_staff_who_may_not_compose_pushes_cannot_search(client):
    PushableArticleFactory(title="内部稿件")
    client.force_login(UserFactory(is_staff=True))
    response = _search(client, "内部")
    assert response.status_code == 403
    assert "内部稿件" not in response.content.decode()


def test_search_is_get_only(client, push_editor):
    client.force_login(push_editor)
    assert client.post(SEARCH, {"q": "x"}).status_code == 405


def _rows(keys, *, initial_ids=(), deleted=()) -> dict:
    data = {
        "mode": "mass",
        "audience": "all",
        "send_at_0": "",
        "send_at_1": "",
        "items-TOTAL_FORMS": str(max(len(keys), len(initial_ids))),
        "items-INITIAL_FORMS": str(len(initial_ids)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "8",
    }
    for n, key in enumerate(keys):
        data[f"items-{n}-item_key"] = key
        data[f"items-{n}-position"] = str(n + 1)
    for n, pk in enumerate(initial_ids):
        data[f"items-{n}-id"] = str(pk)
    for n, key in deleted:
        data[f"items-{n}-item_key"] = key
        data[f"items-{n}-position"] = str(n + 1)
        data[f"items-{n}-DELETE"] = "on"
    return data


def test_reordering_and_dropping_items_of_a_saved_push_as_the_picker_posts_them(
    client, push_editor, emulator, settings
):
    settings.WECHAT_TAGS_CACHE_SECONDS = 0
    first, second, third = (PushableArticleFactory(title=t) for t in ("甲", "乙", "丙"))
    push = PushFactory(created_by=push_editor, items=[first, second, third])
    ids = list(push.items.order_by("position").values_list("pk", flat=True))
    client.force_login(push_editor)
    data = _rows(
        [item_key(third), item_key(first)],
        initial_ids=ids,
        deleted=[(2, item_key(third))],
    )
    response = client.post(f"/admin/wechat/push/{push.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert list(Push.objects.get(pk=push.pk).items.values_list("title", flat=True)) == ["丙", "甲"]


def test_a_key_naming_no_item_is_refused_with_a_message(client, push_editor, emulator, settings):
    settings.WECHAT_TAGS_CACHE_SECONDS = 0
    client.force_login(push_editor)
    response = client.post("/admin/wechat/push/add/", _rows(["articles.article:999999"]))
    assert response.status_code == 200
    assert "该内容不存在，请在列表中选择。" in response.content.decode()
    assert not Push.objects.exists()


def test_compose_page_starts_the_picker_from_the_saved_items_in_order(
    client, push_editor, emulator, settings
):
    settings.WECHAT_TAGS_CACHE_SECONDS = 0
    push = PushFactory(
        created_by=push_editor,
        items=[
            PushableArticleFactory(title="头条"),
            ActivityFactory(title="次条", state="published"),
        ],
    )
    client.force_login(push_editor)
    page = client.get(f"/admin/wechat/push/{push.pk}/change/").content.decode()
    data = page.split('id="push-picker-data" type="application/json">')[1].split("</script>")[0]
    assert [item["title"] for item in json.loads(data)["chosen"]] == ["头条", "次条"]
    assert 'id="push-picker-search"' in page
