from datetime import timedelta

import pytest
from django.utils import timezone

from tests.wechat.support import api_calls, image_bytes
from wechat.errors import InvalidRequestError
from wechat.gateway import ArticleFields


def test_uploaded_content_image_is_accepted_in_a_draft(emulator, gateway, cover):
    url = gateway.upload_content_image(image_bytes(), "photo.jpg")
    media_id = gateway.add_draft(
        [
            ArticleFields(
                title="校友返校日",
                content=f'<p>合影</p><img src="{url}">',
                thumb_media_id=cover.media_id,
            )
        ]
    )
    assert [a.content for a in gateway.get_draft(media_id)] == [f'<p>合影</p><img src="{url}">']


def test_draft_with_a_foreign_image_is_refused(emulator, gateway, cover):
    article = ArticleFields(
        title="校友返校日",
        content='<p>合影</p><img src="https://example.edu.cn/photo.jpg">',
        thumb_media_id=cover.media_id,
    )
    with pytest.raises(InvalidRequestError) as caught:
        gateway.add_draft([article])
    assert caught.value.errcode == 45166
    assert emulator.state.snapshot()["drafts"] == []


def test_draft_with_an_unknown_cover_is_refused(emulator, gateway):
    article = ArticleFields(title="校友返校日", content="<p>正文</p>", thumb_media_id="nope")
    with pytest.raises(InvalidRequestError) as caught:
        gateway.add_draft([article])
    assert caught.value.errcode == 40007


def test_too_long_title_is_refused_before_calling_wechat(emulator, gateway, cover):
    article = ArticleFields(title="长" * 33, content="<p>正文</p>", thumb_media_id=cover.media_id)
    with pytest.raises(InvalidRequestError) as caught:
        gateway.add_draft([article])
    assert caught.value.errcode == 45003
    assert caught.value.user_message == "标题超出微信的长度限制（最多 32 字）。"
    assert api_calls(emulator, "cgi-bin/draft/add") == 0


def test_content_image_upload_refuses_gif(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        gateway.upload_content_image(image_bytes("GIF"), "anim.gif")
    assert caught.value.errcode == 40005


def test_draft_json_is_sent_as_raw_utf8(emulator, gateway, make_draft):
    # The emulator answers 40033 to \uXXXX escapes, as WeChat does.
    media_id = make_draft(title="中文标题")
    assert gateway.get_draft(media_id)[0].title == "中文标题"


def test_updated_draft_article_replaces_the_old_one(emulator, gateway, make_draft, cover):
    media_id = make_draft()
    new = ArticleFields(title="改后的标题", content="<p>新正文</p>", thumb_media_id=cover.media_id)
    gateway.update_draft(media_id=media_id, index=0, article=new)
    assert gateway.get_draft(media_id)[0].title == "改后的标题"


def test_published_draft_is_consumed_and_publish_finishes(emulator, gateway, make_draft):
    media_id = make_draft()
    publish_id = gateway.publish_submit(media_id)
    emulator.state.advance_clock(1)
    status = gateway.publish_status(publish_id)
    assert status.is_success
    assert len(status.article_urls) == 1
    with pytest.raises(InvalidRequestError) as caught:
        gateway.publish_submit(media_id)
    assert caught.value.errcode == 40007


def test_datacube_calls_reach_the_emulator_despite_absolute_urls(emulator, gateway):
    emulator.state.configure(token_ttl=3 * 24 * 3600)  # no token refresh after the clock jump
    cover = gateway.add_image_material(image_bytes(), "cover.jpg")
    article = ArticleFields(
        title="校友返校日", content="<p>正文</p>", thumb_media_id=cover.media_id
    )
    media_id = gateway.add_draft([article])
    send = gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-stats-1")
    emulator.state.advance_clock(24 * 3600)
    rows = gateway.article_summary(timezone.localdate())
    assert [(r.msg_data_id, r.article_index, r.title) for r in rows] == [
        (send.msg_data_id, 1, "校友返校日")
    ]
    assert rows[0].int_page_read_user >= 3
    assert api_calls(emulator, "datacube/getarticlesummary") == 1


def test_datacube_refuses_today(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        gateway.user_read(timezone.localdate() - timedelta(days=1), timezone.localdate())
    assert caught.value.errcode == 61501
