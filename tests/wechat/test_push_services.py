"""Composing, approving, scheduling and cancelling pushes: who may, when, with what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.errors import InvalidValueError, NotAllowedError, TransitionError
from editorial.models import State
from editorial.publishing import item_key
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    DonationProjectFactory,
    PushableArticleFactory,
    PushFactory,
    grant_push_permissions,
)
from tests.wechat.push_support import approved_push
from wechat.models import Push, PushEventKind, PushMode, PushState
from wechat.selectors import mass_quota
from wechat.services import (
    push_approve,
    push_cancel,
    push_create,
    push_save,
    push_schedule,
    tag_choices,
)

pytestmark = pytest.mark.django_db


def _keys(*items) -> list[str]:
    return [item_key(item) for item in items]


def test_a_push_bundles_approved_items_of_any_module_in_order(push_editor):
    activity = ActivityFactory(state=State.SCHEDULED, cover=PushableArticleFactory().cover)
    project = DonationProjectFactory(state=State.PUBLISHED, cover=activity.cover)
    push = push_create(by=push_editor, keys=_keys(project, activity))
    assert [(i.position, i.title) for i in push.items.all()] == [
        (1, project.title),
        (2, activity.title),
    ]
    assert push.events.get().kind == PushEventKind.CREATED


def test_a_push_needs_at_least_one_item(push_editor):
    with pytest.raises(InvalidValueError) as caught:
        push_create(by=push_editor, keys=[])
    assert str(caught.value) == "请至少选择一篇文章。"
    assert not Push.objects.exists()


def test_a_push_carries_at_most_eight_items(push_editor):
    articles = PushableArticleFactory.create_batch(9)
    with pytest.raises(InvalidValueError) as caught:
        push_create(by=push_editor, keys=_keys(*articles))
    assert caught.value.errors["items"] == ["一次推送最多 8 篇文章。"]


def test_an_item_not_approved_cannot_be_pushed(push_editor):
    draft = ArticleFactory(title="草稿", state=State.SUBMITTED)
    with pytest.raises(InvalidValueError) as caught:
        push_create(by=push_editor, keys=_keys(draft))
    assert str(caught.value) == "“草稿”尚未通过审核（或已撤回）。"


def test_an_item_appears_once_per_push(push_editor):
    article = PushableArticleFactory()
    with pytest.raises(InvalidValueError):
        push_create(by=push_editor, keys=_keys(article, article))


def test_composing_needs_the_push_permission(liaison):
    with pytest.raises(NotAllowedError):
        push_create(by=liaison, keys=_keys(PushableArticleFactory()))


def test_the_editor_role_may_compose_a_push(editor):
    push = push_create(by=editor, keys=_keys(PushableArticleFactory()))
    assert push.items.count() == 1


def test_changing_a_push_raises_its_version(push_editor):
    push = push_create(by=push_editor, keys=_keys(PushableArticleFactory()))
    push.mode = PushMode.PUBLISH
    push = push_save(push=push, by=push_editor, keys=_keys(PushableArticleFactory(title="换一篇")))
    assert (push.version, push.title, push.items.get().title) == (2, "换一篇", "换一篇")


def test_send_time_in_the_past_is_refused(push_editor):
    with pytest.raises(InvalidValueError):
        push_create(
            by=push_editor,
            keys=_keys(PushableArticleFactory()),
            send_at=timezone.now() - timedelta(minutes=1),
        )


def test_publish_only_push_has_no_audience(push_editor):
    push = push_create(
        by=push_editor,
        keys=_keys(PushableArticleFactory()),
        mode=PushMode.PUBLISH,
        tag_id=101,
        tag_name="上海",
    )
    assert (push.tag_id, push.tag_name, push.audience_label) == (None, "", "不通知")


def test_only_reviewers_approve_pushes(push_editor, editor):
    push = push_create(by=push_editor, keys=_keys(PushableArticleFactory()))
    other_editor = type(editor).objects.create(username="editor2", is_staff=True)
    with pytest.raises(NotAllowedError):
        push_approve(push=push, by=other_editor)


def test_reviewer_cannot_approve_own_push(push_reviewer):
    push = push_create(by=push_reviewer, keys=_keys(PushableArticleFactory()))
    with pytest.raises(NotAllowedError) as caught:
        push_approve(push=push, by=push_reviewer)
    assert str(caught.value) == "你不能批准自己创建的推送。"


def test_self_approval_when_the_office_allows_it(push_reviewer, settings):
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True
    push = push_create(by=push_reviewer, keys=_keys(PushableArticleFactory()))
    assert push_approve(push=push, by=push_reviewer).state == PushState.APPROVED


def test_a_push_is_approved_once(push_editor, push_reviewer, second_reviewer):
    push = approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    with pytest.raises(TransitionError):
        push_approve(push=push, by=second_reviewer)


def test_approval_rechecks_the_items(push_editor, push_reviewer):
    article = PushableArticleFactory()
    push = push_create(by=push_editor, keys=_keys(article))
    article.withdraw(by=push_reviewer)
    with pytest.raises(InvalidValueError):
        push_approve(push=push, by=push_reviewer)
    assert Push.objects.get(pk=push.pk).state == PushState.DRAFT


def _runs_queued(monkeypatch) -> list[int]:
    """The pushes whose run gets queued after the commit (other after-commit work, such as
    the author's approval notice, is not a run)."""
    runs: list[int] = []
    monkeypatch.setattr("wechat.services.compose.enqueue_run", runs.append)
    return runs


def test_approval_without_send_time_sends_now_and_queues_the_run(
    push_editor, push_reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    push = push_create(by=push_editor, keys=_keys(PushableArticleFactory()))
    runs = _runs_queued(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        push = push_approve(push=push, by=push_reviewer)
    assert push.send_at <= timezone.now()
    assert (push.state, push.approved_by, runs) == (PushState.APPROVED, push_reviewer, [push.pk])


def test_scheduled_push_is_not_queued_on_approval(
    push_editor, push_reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    later = timezone.now() + timedelta(days=1)
    push = push_create(by=push_editor, keys=_keys(PushableArticleFactory()), send_at=later)
    runs = _runs_queued(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        push = push_approve(push=push, by=push_reviewer)
    assert (push.send_at, push.next_run_at, runs) == (later, later, [])


def test_subscription_account_refuses_a_second_mass_send_the_same_day(
    push_editor, push_reviewer, second_reviewer
):
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    second = push_create(by=push_editor, keys=_keys(PushableArticleFactory()))
    with pytest.raises(InvalidValueError) as caught:
        push_approve(push=second, by=second_reviewer)
    assert "订阅号每天只能群发一次" in str(caught.value)


def test_publish_only_does_not_use_the_daily_mass_send(push_editor, push_reviewer, second_reviewer):
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    second = push_create(
        by=push_editor, keys=_keys(PushableArticleFactory()), mode=PushMode.PUBLISH
    )
    assert push_approve(push=second, by=second_reviewer).state == PushState.APPROVED


def test_service_account_allows_several_mass_sends_a_day(
    push_editor, push_reviewer, second_reviewer, settings
):
    settings.WECHAT_ACCOUNT_TYPE = "service"
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    second = push_create(by=push_editor, keys=_keys(PushableArticleFactory()))
    assert push_approve(push=second, by=second_reviewer).state == PushState.APPROVED


def test_quota_of_a_subscription_account_counts_todays_sends(push_editor, push_reviewer):
    assert mass_quota().left == 1
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    quota = mass_quota()
    assert (quota.used, quota.left) == (1, 0)
    assert (
        str(quota) == "订阅号：今天还可群发 0 次（共 1 次，在 mp.weixin.qq.com 上的群发也计入）。"
    )


def test_quota_of_a_service_account_counts_sends_to_all_this_month(
    push_editor, push_reviewer, settings
):
    settings.WECHAT_ACCOUNT_TYPE = "service"
    approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    approved_push(
        [PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer, tag_id=101
    )
    assert str(mass_quota()) == (
        "服务号：本月已向全部关注者群发 1 次；每位关注者每月最多收到 4 条群发消息。"
    )


def test_reviewer_moves_an_approved_push_to_another_time(push_editor, push_reviewer):
    push = approved_push(
        [PushableArticleFactory()],
        editor=push_editor,
        reviewer=push_reviewer,
        send_at=timezone.now() + timedelta(days=1),
    )
    later = timezone.now() + timedelta(days=2)
    push = push_schedule(push=push, by=push_reviewer, send_at=later)
    assert (push.send_at, push.state) == (later, PushState.DRAFT)  # to be approved again
    assert push.events.last().kind == PushEventKind.SCHEDULED
    assert push.events.last().description.endswith("，推送需要重新审批")


def test_editor_who_is_not_the_author_cannot_move_a_push(push_editor, push_reviewer, editor):
    push = approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    other = grant_push_permissions(type(editor).objects.create(username="editor2", is_staff=True))
    with pytest.raises(NotAllowedError):
        push_schedule(push=push, by=other, send_at=timezone.now() + timedelta(days=1))


def test_push_cannot_be_cancelled_once_started(push_editor, push_reviewer):
    push = approved_push([PushableArticleFactory()], editor=push_editor, reviewer=push_reviewer)
    Push.objects.filter(pk=push.pk).update(state=PushState.UPLOADING)
    with pytest.raises(TransitionError) as caught:
        push_cancel(push=push, by=push_reviewer)
    assert str(caught.value) == "此推送正在发送。"


def test_someone_else_cannot_cancel_a_push(push_editor, editor):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    stranger = type(editor).objects.create(username="stranger", is_staff=True)
    with pytest.raises(NotAllowedError):
        push_cancel(push=push, by=stranger)


def test_tag_choices_list_the_account_tags_by_name(emulator, gateway, settings):
    settings.WECHAT_TAGS_CACHE_SECONDS = 0
    tag = gateway.tag_create("杭州校友会")
    assert (tag.id, "杭州校友会") in tag_choices()


def test_tag_choices_are_empty_when_wechat_is_unreachable(settings):
    settings.WECHAT_TAGS_CACHE_SECONDS = 0
    settings.WECHAT_API_BASE_URL = "http://127.0.0.1:9"
    settings.WECHAT_APP_ID = "wx-unreachable"
    assert tag_choices() == []


def test_approving_an_item_composes_a_push_when_the_setting_says_so(
    push_editor, push_reviewer, settings, django_capture_on_commit_callbacks
):
    settings.WECHAT_PUSH_ON_APPROVAL = "publish"
    article = PushableArticleFactory(state=State.SUBMITTED, created_by=push_editor)
    with django_capture_on_commit_callbacks(execute=True):
        article.approve(by=push_reviewer)
    push = Push.objects.get()
    assert (push.mode, push.state, push.created_by) == ("publish", PushState.DRAFT, push_editor)


def test_approving_an_item_composes_nothing_by_default(
    push_editor, push_reviewer, django_capture_on_commit_callbacks
):
    article = PushableArticleFactory(state=State.SUBMITTED, created_by=push_editor)
    with django_capture_on_commit_callbacks(execute=True):
        article.approve(by=push_reviewer)
    assert not Push.objects.exists()
