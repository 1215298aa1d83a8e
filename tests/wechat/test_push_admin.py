"""The push admin: compose with ordered items, buttons, quota, timeline, one-item pushes."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.models import State
from editorial.publishing import item_key
from tests.factories import ArticleFactory, PushableArticleFactory, PushFactory
from tests.wechat.push_support import approved_push, article_with_images, run_push
from wechat.models import Push, PushEventKind, PushMode, PushState

pytestmark = pytest.mark.django_db

ADD = "/admin/wechat/push/add/"
CHANGELIST = "/admin/wechat/push/"


def _change(push) -> str:
    return f"/admin/wechat/push/{push.pk}/change/"


def _compose_data(keys: list[str], **fields) -> dict:
    data = {
        "mode": "mass",
        "audience": "all",
        "send_at_0": "",
        "send_at_1": "",
        "items-TOTAL_FORMS": str(len(keys)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "8",
    }
    for n, key in enumerate(keys):
        data[f"items-{n}-item_key"] = key
        data[f"items-{n}-position"] = str(len(keys) - n)  # typed in reverse order
    return {**data, **fields}


@pytest.fixture(autouse=True)
def _no_tag_cache(settings):
    settings.WECHAT_TAGS_CACHE_SECONDS = 0


def test_editor_composes_a_push_with_items_in_the_order_of_their_positions(
    client, push_editor, emulator
):
    first, second = PushableArticleFactory(title="第一篇"), PushableArticleFactory(title="第二篇")
    client.force_login(push_editor)
    response = client.post(ADD, _compose_data([item_key(second), item_key(first)]))
    assert response.status_code == 302, response.content.decode()[-3000:]
    push = Push.objects.get()
    assert list(push.items.values_list("title", flat=True)) == ["第一篇", "第二篇"]
    assert (push.state, push.created_by, push.title) == (PushState.DRAFT, push_editor, "第一篇")


def test_composing_with_an_unapproved_item_shows_why_and_saves_nothing(
    client, push_editor, emulator
):
    draft = ArticleFactory(title="未审核的稿件", state=State.DRAFT)
    client.force_login(push_editor)
    response = client.post(ADD, _compose_data([f"articles.article:{draft.pk}"]))
    assert response.status_code == 200
    assert "“未审核的稿件”尚未通过审核（或已撤回）。" in response.content.decode()
    assert not Push.objects.exists()


def test_composing_with_an_image_from_another_site_is_refused(client, push_editor, emulator):
    article = PushableArticleFactory(body='<p>正文</p><img src="https://elsewhere.cn/x.jpg">')
    client.force_login(push_editor)
    response = client.post(ADD, _compose_data([item_key(article)]))
    assert "不在本站" in response.content.decode()
    assert not Push.objects.exists()


def test_audience_offers_the_wechat_tags_by_name(client, push_editor, emulator, gateway):
    gateway.tag_create("北京校友会")
    client.force_login(push_editor)
    assert "北京校友会" in client.get(ADD).content.decode()


def test_compose_page_shows_the_quota_left_today(client, push_editor, emulator):
    client.force_login(push_editor)
    page = client.get(ADD).content.decode()
    assert "订阅号：今天还可群发 1 次" in page


def test_quota_counts_todays_approved_send(
    client, push_editor, push_reviewer, emulator, django_capture_on_commit_callbacks
):
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    client.force_login(push_editor)
    assert "订阅号：今天还可群发 0 次" in client.get(ADD).content.decode()


def test_reviewer_approves_from_the_change_page(
    client, push_editor, push_reviewer, emulator, django_capture_on_commit_callbacks, monkeypatch
):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    client.force_login(push_reviewer)
    assert 'id="push-approve"' in client.get(_change(push)).content.decode()
    runs = []
    monkeypatch.setattr("wechat.services.compose.enqueue_run", runs.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/wechat/push/{push.pk}/approve/", {"comment": "好"})
    assert response.status_code == 302
    push.refresh_from_db()
    assert (push.state, push.approved_by) == (PushState.APPROVED, push_reviewer)
    assert runs == [push.pk]  # the run is queued once the approval is committed


def test_author_gets_no_approve_button(client, push_editor, emulator):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    client.force_login(push_editor)
    assert 'id="push-approve"' not in client.get(_change(push)).content.decode()


def test_author_cannot_approve_through_the_url(client, push_reviewer, emulator):
    push = PushFactory(created_by=push_reviewer, items=[PushableArticleFactory()])
    client.force_login(push_reviewer)
    response = client.post(f"/admin/wechat/push/{push.pk}/approve/", follow=True)
    assert "你不能批准自己创建的推送。" in response.content.decode()
    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def test_second_send_to_all_on_the_same_day_is_refused_on_a_subscription_account(
    client, push_editor, push_reviewer, emulator
):
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    second = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    client.force_login(push_reviewer)
    response = client.post(f"/admin/wechat/push/{second.pk}/approve/", follow=True)
    assert "订阅号每天只能群发一次" in response.content.decode()
    assert Push.objects.get(pk=second.pk).state == PushState.DRAFT


def test_author_cancels_a_push_before_it_starts(client, push_editor, emulator):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    client.force_login(push_editor)
    client.post(f"/admin/wechat/push/{push.pk}/cancel/", {"reason": "改期"})
    push.refresh_from_db()
    assert push.state == PushState.CANCELLED
    assert push.events.get(kind=PushEventKind.CANCELLED).detail == "改期"


def test_preview_button_sends_to_the_linked_wechat(client, push_editor, emulator):
    from wechat.models import PreviewRecipient
    from wechat_emulator import openid_for

    PreviewRecipient.objects.create(user=push_editor, openid=openid_for(1))
    push = PushFactory(created_by=push_editor, items=[article_with_images(1)])
    client.force_login(push_editor)
    response = client.post(f"/admin/wechat/push/{push.pk}/preview/", follow=True)
    assert "预览已发送到你的微信。" in response.content.decode()
    assert [m["kind"] for m in emulator.state.snapshot()["inbox"]] == ["preview"]


def test_timeline_shows_each_step_and_the_counts(
    client, push_editor, push_reviewer, emulator, settings
):
    from tests.wechat.support import mass_finish_xml, signed_post

    push = run_push(
        approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    )
    signed_post(client, mass_finish_xml(msg_id=push.msg_id), token=settings.WECHAT_TOKEN)
    run_push(push)
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    timeline = page.split('id="push-timeline"')[1]
    for step in ("正在上传图片", "图片已上传", "草稿已创建", "已发往微信", "已完成"):
        assert step in timeline
    assert "目标 25 人，过滤后 25 人，送达 24 人，失败 1 人" in page


def test_failed_push_shows_the_reason(client, push_editor, push_reviewer, emulator, gateway):
    from wechat.gateway import ArticleFields

    cover = gateway.add_image_material(PushableArticleFactory().cover.read(), "c.jpg")
    draft = gateway.add_draft(
        [ArticleFields(title="网页端群发", content="<p>x</p>", thumb_media_id=cover.media_id)]
    )
    gateway.mass_send(media_id=draft, tag_id=None, client_msg_id="web-ui")
    push = run_push(
        approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    )
    client.force_login(push_editor)
    status = client.get(_change(push)).content.decode().split('id="push-status"')[1][:200]
    assert "失败：公众号今天的群发次数已用完，请明天再发送。" in status


def test_a_push_on_its_way_cannot_be_edited(client, push_editor, push_reviewer, emulator):
    push = approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    client.force_login(push_editor)
    response = client.post(_change(push), _compose_data([item_key(PushableArticleFactory())]))
    assert response.status_code == 403


def test_push_one_item_composes_a_one_item_push(client, push_editor, emulator):
    article = PushableArticleFactory(title="单篇推送")
    client.force_login(push_editor)
    url = f"/admin/wechat/push/single/{item_key(article)}/"
    assert "订阅号：今天还可群发" in client.get(url).content.decode()
    response = client.post(url, {"mode": "publish", "audience": "all", "send_at": ""})
    push = Push.objects.get()
    assert response.url == _change(push)
    assert (push.mode, push.title, push.items.count()) == ("publish", "单篇推送", 1)


def test_push_one_item_refuses_an_item_not_approved(client, push_editor, emulator):
    draft = ArticleFactory(state=State.DRAFT)
    client.force_login(push_editor)
    url = f"/admin/wechat/push/single/{item_key(draft)}/"
    response = client.post(url, {"mode": "mass", "audience": "all", "send_at": ""})
    assert "尚未通过审核" in response.content.decode()
    assert not Push.objects.exists()


def test_push_list_runs_the_same_queries_at_two_sizes(
    client, push_editor, emulator, django_assert_num_queries
):
    article = PushableArticleFactory()
    client.force_login(push_editor)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            assert client.get(CHANGELIST).status_code == 200
        return len(context.captured_queries)

    PushFactory.create_batch(2, items=[article])
    few = count()
    PushFactory.create_batch(10, items=[article], send_at=timezone.now() + timedelta(days=1))
    assert count() == few


# Composing a push (issue 12 item 5): the mode's default, the preview button, technical details


def test_add_form_without_a_mode_saves_a_mass_send(client, push_editor, emulator):
    data = _compose_data([item_key(PushableArticleFactory())])
    del data["mode"]
    client.force_login(push_editor)
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Push.objects.get().mode == PushMode.MASS


def test_add_form_has_mass_send_selected_and_no_blank_mode(client, push_editor, emulator):
    client.force_login(push_editor)
    page = client.get(ADD).content.decode()
    select = re.search(r'<select name="mode"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.search(r'<option value="mass" selected>', select)
    assert 'value=""' not in select


def test_preview_button_is_offered_on_a_push_awaiting_approval(client, push_editor, emulator):
    push = PushFactory(created_by=push_editor, items=[article_with_images(1)])
    client.force_login(push_editor)
    assert 'id="push-preview"' in client.get(_change(push)).content.decode()


@pytest.mark.parametrize("state", [PushState.DRAFT, PushState.APPROVED])
def test_the_preview_section_is_open_before_the_push_is_sent(client, push_editor, emulator, state):
    push = PushFactory(created_by=push_editor, state=state, items=[article_with_images(1)])
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    assert 'id="push-preview"' in page
    assert 'id="push-preview-folded"' not in page


@pytest.mark.parametrize("state", [PushState.UPLOADING, PushState.DRAFT_CREATED, PushState.SENT])
def test_the_preview_section_is_folded_below_the_status_while_the_push_is_sent(
    client, push_editor, emulator, state
):
    push = PushFactory(created_by=push_editor, state=state, items=[article_with_images(1)])
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    folded = re.search(r'<details class="push-preview-folded".*?</details>', page, re.S)
    assert folded is not None
    assert 'id="push-preview"' in folded.group()
    assert "<summary>发送预览到我的微信</summary>" in folded.group()
    assert page.index('id="push-preview-folded"') < page.index('id="push-progress"')


@pytest.mark.parametrize("state", [PushState.FINISHED, PushState.FAILED, PushState.CANCELLED])
def test_no_preview_button_once_a_push_is_final(client, push_editor, emulator, state):
    push = PushFactory(created_by=push_editor, state=state, items=[article_with_images(1)])
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    assert 'id="push-status"' in page  # the panel is there, without the preview form
    assert 'id="push-preview"' not in page
    assert f"/admin/wechat/push/{push.pk}/preview/" not in page


@pytest.mark.parametrize("state", [PushState.FINISHED, PushState.FAILED])
def test_preview_of_a_final_push_is_refused_through_the_url(client, push_editor, emulator, state):
    from wechat.models import PreviewRecipient
    from wechat_emulator import openid_for

    PreviewRecipient.objects.create(user=push_editor, openid=openid_for(1))
    push = PushFactory(created_by=push_editor, state=state, items=[article_with_images(1)])
    client.force_login(push_editor)
    response = client.post(f"/admin/wechat/push/{push.pk}/preview/", follow=True)
    assert "预览已发送" not in response.content.decode()
    assert emulator.state.snapshot()["inbox"] == []
    assert not push.events.filter(kind=PushEventKind.PREVIEWED).exists()


def test_technical_ids_are_folded_under_technical_details_with_chinese_labels(
    client, push_editor, emulator
):
    push = PushFactory(
        created_by=push_editor,
        state=PushState.FINISHED,
        items=[article_with_images(1)],
        draft_media_id="DRAFT-MEDIA-7",
        client_msg_id="CLIENT-MSG-7",
        msg_id="1000000007",
        msg_data_id="2247483007",
    )
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    details = re.findall(r"<details>(.*?)</details>", page, re.S)
    [technical] = [d for d in details if "技术信息" in d]
    assert re.search(r"<summary>\s*<h2[^>]*>技术信息</h2>\s*</summary>", technical)
    for label, value in [
        ("微信草稿编号（media_id）", "DRAFT-MEDIA-7"),
        ("群发防重编号（clientmsgid）", "CLIENT-MSG-7"),
        ("群发消息编号（msg_id）", "1000000007"),
        ("图文数据编号（msg_data_id）", "2247483007"),
    ]:
        assert label in technical and value in technical
        assert page.count(value) == 1  # shown only there, folded


def test_list_and_page_name_the_author_and_approver_as_people_read_them(
    client, push_editor, push_reviewer, emulator
):
    """They showed the logins (editor, reviewer) where the progress log beside them and the
    header say 林晓舟 and 顾明澜."""
    type(push_editor).objects.filter(pk=push_editor.pk).update(first_name="晓舟", last_name="林")
    type(push_reviewer).objects.filter(pk=push_reviewer.pk).update(
        first_name="明澜", last_name="顾"
    )
    push_editor.refresh_from_db()
    push_reviewer.refresh_from_db()
    push = approved_push(
        [PushableArticleFactory(title="化学系校友返校日")],
        editor=push_editor,
        reviewer=push_reviewer,
    )
    client.force_login(push_reviewer)

    listing = client.get(CHANGELIST).content.decode()
    author = re.search(r'<td class="field-author">(.*?)</td>', listing, re.S).group(1)
    assert author == "林晓舟"
    page = client.get(_change(push)).content.decode()
    approver = re.search(r"批准人.*?<div class=\"readonly\">(.*?)</div>", page, re.S).group(1)
    assert approver.strip() == "顾明澜"
