"""A broker that cannot be reached never turns a web request into a 500.

The broker here is real and down: Celery's current app points at a Redis port nobody listens
on, so every publish is refused at once (kombu's OperationalError after its quick retries).
The approval test commits for real (transaction=True) because the run is queued on commit.
"""

import pytest
from celery import Celery
from django.urls import reverse

from alumni_cms.celery import app as celery_app
from tests.factories import PushableArticleFactory, PushFactory, SegmentFactory
from wechat.models import PushState
from wechat.services import push_approve, pushes_dispatch_due

DOWN_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down():
    """Tasks are sent through an app whose broker refuses every connection."""
    down = Celery("broker-down", broker=DOWN_BROKER, set_as_current=False)
    # Publishing uses the write URL, which (unlike broker_url) CELERY_BROKER_URL in the
    # environment does not override.
    down.conf.broker_write_url = DOWN_BROKER
    down.conf.broker_connection_timeout = 1
    down.set_current()
    yield down
    celery_app.set_current()
    down.close()


@pytest.mark.django_db(transaction=True)
def test_approving_with_the_broker_down_keeps_the_approval_and_tells_the_editor(
    client, push_editor, push_reviewer, emulator, broker_down
):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    client.force_login(push_reviewer)

    response = client.post(reverse("admin:wechat_push_approve", args=[push.pk]))

    assert response.status_code == 302
    push.refresh_from_db()
    assert (push.state, push.approved_by) == (PushState.APPROVED, push_reviewer)
    assert "任务队列暂时不可用" in client.get(response.url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_push_whose_run_could_not_be_queued_is_sent_by_the_scheduler_once_the_broker_is_back(
    push_editor, push_reviewer, emulator, broker_down, celery_eager
):
    push = PushFactory(created_by=push_editor, items=[PushableArticleFactory()])
    push_approve(push=push, by=push_reviewer)
    celery_app.set_current()  # the broker is back (tasks run in this process)

    assert pushes_dispatch_due() == 1

    push.refresh_from_db()
    assert push.state == PushState.SENT
    assert len(emulator.state.snapshot()["sends"]) == 1


@pytest.fixture
def rabbitmq_refusing_us():
    """The machine's RabbitMQ, asked with a wrong password (skipped where none runs)."""
    import socket

    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    url = "amqp://guest:not-the-password@127.0.0.1:5672//"
    refusing = Celery("broker-refusing", broker=url, set_as_current=False)
    refusing.conf.broker_write_url = url
    refusing.set_current()
    yield refusing
    celery_app.set_current()
    refusing.close()


@pytest.mark.django_db
def test_a_broker_refusing_our_login_is_reported_like_one_that_is_down(
    client, office_admin, rabbitmq_refusing_us
):
    client.force_login(office_admin)

    response = client.post(reverse("admin:audience_follower_sync"), follow=True)

    assert response.status_code == 200
    assert "任务队列暂时不可用" in response.content.decode()


@pytest.mark.django_db
def test_follower_sync_with_the_broker_down_says_so_instead_of_failing(
    client, office_admin, broker_down
):
    client.force_login(office_admin)

    response = client.post(reverse("admin:audience_follower_sync"), follow=True)

    assert response.status_code == 200
    assert "任务队列暂时不可用" in response.content.decode()


@pytest.mark.django_db
def test_large_segment_sync_with_the_broker_down_says_so_instead_of_failing(
    client, office_admin, broker_down, settings
):
    settings.AUDIENCE_SEGMENT_SYNC_INLINE_MAX = -1  # every segment is "large": queued
    segment = SegmentFactory(name="大分组")
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:audience_segment_changelist"),
        {"action": "sync_to_wechat", "_selected_action": [segment.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "任务队列暂时不可用" in response.content.decode()
