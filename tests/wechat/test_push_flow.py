"""Sending a push against the emulator, in this process: steps, exactly-once, faults, resume."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.models import State
from tests.factories import ActivityFactory
from tests.wechat.push_support import (
    approved_push,
    article_with_images,
    calls,
    run_push,
)
from tests.wechat.support import mass_finish_xml, signed_post
from wechat.errors import RetryableError
from wechat.gateway import WeChatGateway
from wechat.models import Push, PushEventKind, PushState, UploadedImage
from wechat.services import push_advance, push_preview, pushes_dispatch_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(emulator, push_editor, push_reviewer):
    """A function: approve a push of the items and run it against the emulator."""

    def push_items(*items, gateway=None, **options):
        push = approved_push(list(items), editor=push_editor, reviewer=push_reviewer, **options)
        return run_push(push, gateway=gateway)

    return push_items


def _events(push: Push) -> list[str]:
    return list(push.events.values_list("kind", flat=True))


def test_push_creates_one_draft_with_the_rewritten_content(emulator, send, settings):
    emulator.state.configure(consume_draft_on_send=False)
    article = article_with_images(2, title="校友返校日")
    article.body += '<p>报名见<a href="https://example.com/signup">学校官网</a>。</p>'
    article.save()
    push = send(article)
    [draft] = emulator.state.snapshot()["drafts"]
    [sent] = WeChatGateway().get_draft(draft["media_id"])
    uploaded = sorted(UploadedImage.objects.values_list("url", flat=True))
    assert sorted(draft["articles"][0]["images"]) == uploaded
    assert "/media/" not in sent.content and "<a" not in sent.content
    assert "报名见学校官网。" in sent.content
    assert sent.content_source_url == f"{settings.SITE_URL}/news/{article.pk}/"
    assert (push.state, push.draft_media_id) == (PushState.SENT, draft["media_id"])


def test_push_makes_exactly_one_mass_send(emulator, send):
    push = send(article_with_images(1))
    [mass] = emulator.state.snapshot()["sends"]
    assert (push.msg_id, push.msg_data_id) == (mass["msg_id"], mass["msg_data_id"])
    assert mass["clientmsgid"] == push.client_msg_id
    assert _events(push) == [
        PushEventKind.CREATED,
        PushEventKind.APPROVED,
        PushEventKind.UPLOADING,
        PushEventKind.IMAGES_UPLOADED,
        PushEventKind.DRAFT_CREATED,
        PushEventKind.SENT,
    ]


def test_images_of_one_push_are_uploaded_once_each(emulator, send):
    article = article_with_images(3)
    article.body += article.body  # every image twice
    article.save()
    send(article)
    assert calls(emulator, "cgi-bin/media/uploadimg") == 3


def test_a_second_push_of_the_same_article_uploads_nothing(emulator, send, settings):
    settings.WECHAT_ACCOUNT_TYPE = "service"
    emulator.state.configure(account_type="service")
    article = article_with_images(3)
    send(article)
    uploads = (
        calls(emulator, "cgi-bin/media/uploadimg"),
        calls(emulator, "cgi-bin/material/add_material"),
    )
    second = send(article)
    assert uploads == (3, 1)
    assert calls(emulator, "cgi-bin/media/uploadimg") == 3
    assert calls(emulator, "cgi-bin/material/add_material") == 1
    assert second.events.get(kind=PushEventKind.IMAGES_UPLOADED).description == (
        "新上传 0 个，4 个已在微信中"
    )


def test_push_to_a_tag_reaches_only_its_followers(emulator, send, gateway):
    tag = gateway.tag_create("上海校友")
    gateway.tag_members_add(tag.id, gateway.followers_page().openids[:4])
    send(article_with_images(1), tag_id=tag.id, tag_name=tag.name)
    [delivery] = emulator.state.snapshot()["inbox"]
    assert (delivery["audience"], delivery["recipients"]) == (f"tag {tag.id}", 4)


def test_finish_notice_stores_wechat_counts(emulator, send, client, settings):
    push = send(article_with_images(1))
    signed_post(client, mass_finish_xml(msg_id=push.msg_id), token=settings.WECHAT_TOKEN)
    run_push(Push.objects.get(pk=push.pk))  # the stored notice is applied by the next run too
    push.refresh_from_db()
    assert push.state == PushState.FINISHED
    assert (push.total_count, push.filter_count, push.sent_count, push.error_count) == (
        25,
        25,
        24,
        1,
    )
    assert push.status_text == "已完成：目标 25 人，过滤后 25 人，送达 24 人，失败 1 人"


def test_publish_only_push_publishes_the_items_when_wechat_reports_success(
    emulator, send, settings
):
    scheduled = ActivityFactory(
        state=State.SCHEDULED, publish_at=timezone.now() + timedelta(days=2), body="<p>活动</p>"
    )
    scheduled.cover = article_with_images(0).cover
    scheduled.save()
    push = send(scheduled, mode="publish")
    assert push.state == PushState.SENT
    assert emulator.state.snapshot()["sends"] == []
    settings.WECHAT_PUSH_POLL_INTERVAL = timedelta(0)
    time.sleep(0.1)  # the emulator's publish_delay
    push = run_push(push)
    scheduled.refresh_from_db()
    assert push.state == PushState.FINISHED
    assert push.article_id.startswith("EMU_ARTICLE_")
    assert push.items.get().article_url.startswith("https://mp.weixin.qq.com/s?")
    assert scheduled.state == State.PUBLISHED


def test_lost_send_answer_is_retried_with_the_same_clientmsgid(emulator, send):
    emulator.state.set_faults(drop_after_commit_rate=1.0, times=1, paths=["message/mass/sendall"])
    push = send(article_with_images(1))
    [mass] = emulator.state.snapshot()["sends"]
    assert push.msg_id == mass["msg_id"]
    assert push.send_attempts == 2
    assert "之前的一次尝试已经成功" in push.events.get(kind=PushEventKind.SENT).description


def test_finish_notice_before_the_send_answer_is_applied_when_the_push_learns_its_msg_id(
    emulator, push_editor, push_reviewer, client, settings
):
    emulator.state.set_faults(drop_after_commit_rate=1.0, times=1, paths=["message/mass/sendall"])
    push = approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    with pytest.raises(RetryableError):
        push_advance(push_id=push.pk)
    [mass] = emulator.state.snapshot()["sends"]
    signed_post(client, mass_finish_xml(msg_id=mass["msg_id"]), token=settings.WECHAT_TOKEN)
    push = run_push(push)
    assert (push.state, push.sent_count) == (PushState.FINISHED, 24)


def test_retryable_error_is_recorded_and_the_next_run_continues(
    emulator, push_editor, push_reviewer
):
    emulator.state.set_faults(error_rate=1.0, error_codes=[45009], times=1, paths=["draft/add"])
    push = approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    with pytest.raises(RetryableError):
        push_advance(push_id=push.pk)
    push.refresh_from_db()
    retry = push.events.get(kind=PushEventKind.RETRY)
    assert (push.state, push.lease_token) == (PushState.UPLOADING, "")
    assert retry.description == "今天的微信接口调用次数已用完，系统稍后会再试。"
    push = run_push(push)
    assert push.state == PushState.SENT
    assert calls(emulator, "cgi-bin/media/uploadimg") == 1


def test_token_expiring_in_the_middle_of_a_push_is_refreshed_once(emulator, send):
    class ExpiringGateway(WeChatGateway):
        def add_draft(self, articles):
            emulator.state.expire_tokens()
            return super().add_draft(articles)

    push = send(article_with_images(2), gateway=ExpiringGateway())
    assert push.state == PushState.SENT
    assert calls(emulator, "cgi-bin/stable_token") == 2
    assert calls(emulator, "cgi-bin/draft/add") == 2  # refused with 42001 once, then accepted


def test_token_expiring_before_concurrent_uploads_is_refreshed_once(emulator, send, gateway):
    gateway.tokens.get()  # cached, then expired at WeChat: every upload thread meets 42001
    emulator.state.expire_tokens()
    push = send(article_with_images(8))
    assert push.state == PushState.SENT
    assert calls(emulator, "cgi-bin/stable_token") == 2
    assert UploadedImage.objects.count() == 8


def test_exhausted_quota_fails_the_push_with_the_reason(emulator, send, make_draft, gateway):
    gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="sent-on-the-web-ui")
    push = send(article_with_images(1))
    assert push.state == PushState.FAILED
    assert push.status_text == "失败：公众号今天的群发次数已用完，请明天再发送。"
    assert _events(push)[-1] == PushEventKind.FAILED
    assert calls(emulator, "cgi-bin/message/mass/sendall") == 2


def test_invalid_request_fails_the_push_at_once(emulator, send):
    emulator.state.set_faults(error_rate=1.0, error_codes=[45166], paths=["draft/add"])
    push = send(article_with_images(1))
    assert (push.state, push.error_code) == (PushState.FAILED, 45166)
    assert calls(emulator, "cgi-bin/draft/add") == 1


def test_an_item_withdrawn_after_approval_fails_the_push(emulator, push_editor, push_reviewer):
    article = article_with_images(1)
    push = approved_push([article], editor=push_editor, reviewer=push_reviewer)
    article.withdraw(by=push_reviewer)
    push = run_push(push)
    assert push.state == PushState.FAILED
    assert push.error_message == f"“{article.title}”已不再处于可发布状态。"
    assert emulator.state.snapshot()["counters"].get("cgi-bin/media/uploadimg", 0) == 0


class _Killed(BaseException):
    """Stands for the worker process being killed: nothing after it runs."""


def _expire_lease(push: Push) -> None:
    past = timezone.now() - timedelta(seconds=1)
    Push.objects.filter(pk=push.pk).update(lease_until=past, next_run_at=past)


def test_push_killed_before_its_draft_resumes_without_uploading_again(
    emulator, push_editor, push_reviewer, django_capture_on_commit_callbacks
):
    class DyingGateway(WeChatGateway):
        def add_draft(self, articles):
            raise _Killed

    push = approved_push([article_with_images(3)], editor=push_editor, reviewer=push_reviewer)
    with pytest.raises(_Killed):
        push_advance(push_id=push.pk, gateway=DyingGateway())
    assert push_advance(push_id=push.pk).state == PushState.UPLOADING  # still held: nothing runs
    _expire_lease(push)
    with django_capture_on_commit_callbacks() as queued:
        assert pushes_dispatch_due() == 1
    assert len(queued) == 1
    push = run_push(push)
    assert push.state == PushState.SENT
    assert calls(emulator, "cgi-bin/media/uploadimg") == 3
    assert len(emulator.state.snapshot()["sends"]) == 1


def test_push_killed_while_sending_resumes_without_sending_twice(
    emulator, push_editor, push_reviewer
):
    class DyingGateway(WeChatGateway):
        def mass_send(self, **kwargs):
            super().mass_send(**kwargs)  # WeChat sends; the worker dies before recording it
            raise _Killed

    push = approved_push([article_with_images(1)], editor=push_editor, reviewer=push_reviewer)
    with pytest.raises(_Killed):
        push_advance(push_id=push.pk, gateway=DyingGateway())
    _expire_lease(push)
    push = run_push(push)
    [mass] = emulator.state.snapshot()["sends"]
    assert (push.state, push.msg_id) == (PushState.SENT, mass["msg_id"])


def test_scheduled_push_waits_for_its_time(
    emulator, push_editor, push_reviewer, django_capture_on_commit_callbacks
):
    later = timezone.now() + timedelta(hours=3)
    push = approved_push(
        [article_with_images(1)], editor=push_editor, reviewer=push_reviewer, send_at=later
    )
    assert push_advance(push_id=push.pk).state == PushState.APPROVED
    assert pushes_dispatch_due() == 0
    with django_capture_on_commit_callbacks() as queued:
        assert pushes_dispatch_due(now=later + timedelta(seconds=1)) == 1
    assert len(queued) == 1
    assert pushes_dispatch_due(now=later + timedelta(seconds=2)) == 0  # already queued


def test_preview_reaches_the_wechat_its_sender_linked(emulator, push_editor):
    from editorial.publishing import item_key
    from wechat.models import PreviewRecipient
    from wechat.services import push_create
    from wechat_emulator import openid_for

    PreviewRecipient.objects.create(user=push_editor, openid=openid_for(3))
    push = push_create(by=push_editor, keys=[item_key(article_with_images(1))])
    push_preview(push=push, by=push_editor)
    [preview] = emulator.state.snapshot()["inbox"]
    assert (preview["kind"], preview["sample_openids"]) == ("preview", [openid_for(3)])
    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def test_send_to_all_waits_for_the_administrator_with_mass_send_protection(
    emulator, send, settings
):
    settings.WECHAT_MASS_SEND_PROTECTION = True
    push = send(article_with_images(1))
    assert push.status_text == "等待管理员在微信中确认"
    assert PushEventKind.WAITING in _events(push)


def test_unconfirmed_send_fails_after_thirty_minutes(emulator, send, settings):
    settings.WECHAT_MASS_SEND_PROTECTION = True
    emulator.state.configure(callback_delay=3600)  # never confirmed: the send stays SENDING
    push = send(article_with_images(1))
    Push.objects.filter(pk=push.pk).update(sent_at=timezone.now() - timedelta(minutes=31))
    push = run_push(push)
    assert push.state == PushState.FAILED
    assert push.error_message == "管理员未在 30 分钟内在微信中确认群发。"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_queue_each_due_push_once(postgres_only, monkeypatch):
    import threading

    from django.db import connection

    from tests.factories import PushFactory

    past = timezone.now() - timedelta(minutes=1)
    ids = [
        PushFactory(state=PushState.APPROVED, send_at=past, next_run_at=past).pk for _ in range(30)
    ]
    queued: list[int] = []
    monkeypatch.setattr("wechat.services.pipeline.enqueue_run", queued.append)
    start = threading.Barrier(2)
    counts: list[int] = []

    def dispatch():
        start.wait()
        try:
            counts.append(pushes_dispatch_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 30
    assert sorted(queued) == ids
