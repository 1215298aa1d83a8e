"""The push page's live progress (issue 12 item 4): the fragment its page polls, the upload
progress the pipeline records for it, who may read it and what it costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PushableArticleFactory, PushFactory, UserFactory
from tests.wechat.push_support import approved_push, article_with_images, run_push
from wechat.models import PushEventKind, PushState
from wechat.progress import upload_progress, upload_progress_record

pytestmark = pytest.mark.django_db


def _progress(push) -> str:
    return f"/admin/wechat/push/{push.pk}/progress/"


def _change(push) -> str:
    return f"/admin/wechat/push/{push.pk}/change/"


def test_fragment_shows_each_items_upload_count_while_uploading(client, push_editor):
    push = PushFactory(
        created_by=push_editor,
        state=PushState.UPLOADING,
        items=[PushableArticleFactory(title="返校日"), PushableArticleFactory(title="校庆")],
    )
    upload_progress_record(push.pk, [(2, 3), (0, 2)])
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    assert 'data-state="uploading"' in page and 'data-final="0"' in page
    assert 'aria-current="step">正在上传图片' in page
    rows = page.split('data-position="')[1:]
    assert "返校日" in rows[0] and "2/3" in rows[0]
    assert "校庆" in rows[1] and "0/2" in rows[1]


def test_pipeline_records_each_items_uploaded_images_and_cover(
    push_editor, push_reviewer, emulator
):
    push = approved_push(
        [article_with_images(2), article_with_images(1)], editor=push_editor, reviewer=push_reviewer
    )
    run_push(push)
    # Two images and a cover, then one image and a cover: all uploaded.
    assert upload_progress(push.pk) == [(3, 3), (2, 2)]


def test_fragment_shows_wechats_figures_and_article_links_once_finished(
    client, push_editor, push_reviewer, emulator, settings
):
    from tests.wechat.support import mass_finish_xml, signed_post

    push = run_push(
        approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    )
    signed_post(client, mass_finish_xml(msg_id=push.msg_id), token=settings.WECHAT_TOKEN)
    run_push(push)
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    assert 'data-final="1"' in page
    for label, value in [("目标关注者", 25), ("过滤后", 25), ("送达", 24), ("失败", 1)]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page
    assert 'href="https://mp.weixin.qq.com/s?mid=1&amp;idx=1"' in page
    assert page.count('class="push-step push-step-done"') == 5


def test_fragment_lists_the_last_events_newest_first(client, push_editor, push_reviewer, emulator):
    push = run_push(
        approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    )
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    kinds = [part.split('"')[0] for part in page.split('<li data-kind="')[1:]]
    assert kinds[:3] == [PushEventKind.SENT, PushEventKind.DRAFT_CREATED, "images_uploaded"]


def test_a_failed_push_marks_the_step_it_failed_at(client, push_editor):
    push = PushFactory(
        created_by=push_editor,
        state=PushState.FAILED,
        draft_media_id="DRAFT-1",
        error_message="配额用完",
        items=[PushableArticleFactory()],
    )
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    assert 'push-step-failed" data-step="draft"' in page
    assert 'data-final="1"' in page


def test_staff_without_view_permission_gets_no_progress(client):
    outsider = UserFactory(is_staff=True)  # may use the admin, but not see pushes
    push = PushFactory(state=PushState.SENT, items=[PushableArticleFactory(title="内部推送")])
    client.force_login(outsider)
    response = client.get(_progress(push))
    assert response.status_code == 403
    assert "内部推送" not in response.content.decode()


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    push = PushFactory(state=PushState.SENT, items=[PushableArticleFactory(title="内部推送")])
    response = client.get(_progress(push))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_progress_of_a_missing_push_is_404(client, push_editor):
    client.force_login(push_editor)
    assert client.get("/admin/wechat/push/999999/progress/").status_code == 404


def test_progress_costs_the_same_queries_for_one_item_and_eight(client, push_editor):
    client.force_login(push_editor)

    def queries(push) -> int:
        client.get(_progress(push))  # the session and permissions warmed up alike
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_progress(push)).status_code == 200
        return len(captured.captured_queries)

    small = PushFactory(state=PushState.SENT, items=[PushableArticleFactory()])
    big = PushFactory(state=PushState.SENT, items=PushableArticleFactory.create_batch(8))
    for _n in range(12):
        big.events.create(kind=PushEventKind.RETRY, detail="稍后重试")
    assert queries(small) == queries(big)
    assert queries(big) <= 8


def test_change_page_of_a_push_on_its_way_polls_its_progress(client, push_editor):
    push = PushFactory(
        created_by=push_editor, state=PushState.SENT, items=[PushableArticleFactory()]
    )
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    assert f'data-url="{_progress(push)}"' in page
    assert "wechat/push_progress" in page


def test_change_page_of_a_push_awaiting_approval_has_no_progress_panel(client, push_editor):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    client.force_login(push_editor)
    page = client.get(_change(push)).content.decode()
    assert 'id="push-progress"' not in page
    assert "wechat/push_progress" not in page


def test_a_push_waiting_for_next_week_is_polled_rarely(client, push_editor):
    from datetime import timedelta

    from django.utils import timezone

    push = PushFactory(
        state=PushState.APPROVED,
        send_at=timezone.now() + timedelta(days=7),
        items=[PushableArticleFactory()],
    )
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    assert 'data-poll-seconds="30"' in page


def test_a_push_on_its_way_is_polled_every_two_seconds(client, push_editor):
    push = PushFactory(state=PushState.DRAFT_CREATED, items=[PushableArticleFactory()])
    client.force_login(push_editor)
    assert 'data-poll-seconds="2"' in client.get(_progress(push)).content.decode()


@pytest.mark.parametrize("object_id", ["abc", "1%00", "99999999999999999999999"])
def test_odd_push_ids_get_404_not_500(client, push_editor, object_id):
    client.force_login(push_editor)
    assert client.get(f"/admin/wechat/push/{object_id}/progress/").status_code in (400, 404)


def test_an_article_url_not_on_wechat_is_shown_as_text_never_as_a_link(client, push_editor):
    push = PushFactory(state=PushState.FINISHED, items=[PushableArticleFactory()])
    push.items.update(article_url="javascript:alert(document.cookie)")
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    assert "javascript:alert(document.cookie)" in page
    assert 'href="javascript:' not in page


def test_a_push_stopped_by_a_wechat_error_says_when_it_tries_again(client, push_editor):
    from datetime import timedelta

    from django.utils import timezone

    push = PushFactory(state=PushState.UPLOADING, items=[PushableArticleFactory()])
    at = timezone.now().replace(microsecond=0)
    push.events.create(
        kind=PushEventKind.RETRY, created_at=at, detail="微信服务器繁忙", data={"countdown": 90}
    )
    client.force_login(push_editor)
    page = client.get(_progress(push)).content.decode()
    when = timezone.localtime(at + timedelta(seconds=90)).strftime("%H:%M:%S")
    assert f"微信未能正常响应，将于 {when} 再试。" in page


def test_a_finished_push_says_nothing_of_retries(client, push_editor):
    push = PushFactory(state=PushState.FINISHED, items=[PushableArticleFactory()])
    push.events.create(kind=PushEventKind.RETRY, data={"countdown": 90})
    client.force_login(push_editor)
    assert "再试" not in client.get(_progress(push)).content.decode()
