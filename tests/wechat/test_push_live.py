"""A push end to end in this process: approval queues the run, WeChat's notice reaches the site."""

import pytest

from editorial.models import State
from tests.factories import ActivityFactory
from tests.wechat.push_support import approved_push, article_with_images, wait_for_state
from wechat.models import PushState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_emulator(emulator, live_server):
    # The notice comes once the run has ended: in-memory SQLite shared between threads refuses
    # concurrent writers ("table is locked") where PostgreSQL would wait for the row lock.
    emulator.state.configure(
        callback_url=f"{live_server.url}/wechat/callback/", callback_delay=0.5, publish_delay=0.5
    )
    return emulator


def test_approved_push_is_sent_and_the_finish_notice_stores_the_counts(
    live_emulator, celery_eager, push_editor, push_reviewer
):
    push = approved_push([article_with_images(2)], editor=push_editor, reviewer=push_reviewer)
    push = wait_for_state(push)
    [mass] = live_emulator.state.snapshot()["sends"]
    assert (push.state, push.msg_id) == (PushState.FINISHED, mass["msg_id"])
    assert (push.total_count, push.sent_count, push.error_count) == (25, 25, 0)


def test_publication_notice_publishes_the_items_on_the_site(
    live_emulator, celery_eager, push_editor, push_reviewer
):
    activity = ActivityFactory(state=State.SCHEDULED, cover=article_with_images(0).cover)
    push = approved_push([activity], editor=push_editor, reviewer=push_reviewer, mode="publish")
    push = wait_for_state(push)
    activity.refresh_from_db()
    assert push.state == PushState.FINISHED
    assert activity.state == State.PUBLISHED
    assert push.items.get().article_url.startswith("https://mp.weixin.qq.com/s?")


def test_mass_send_notice_publishes_the_approved_items_on_the_site(
    live_emulator, celery_eager, push_editor, push_reviewer
):
    activity = ActivityFactory(state=State.SCHEDULED, cover=article_with_images(0).cover)
    push = approved_push([activity], editor=push_editor, reviewer=push_reviewer)
    push = wait_for_state(push)
    activity.refresh_from_db()
    assert push.state == PushState.FINISHED
    assert activity.state == State.PUBLISHED
