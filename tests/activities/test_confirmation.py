"""After signing up, the person gets a confirmation with the link to their sign-up: by e-mail
when they gave one, in WeChat when the sign-up is linked to a bound follower; again when they
move up from the waitlist and when they cancel. A mail server, WeChat or the broker being down
never breaks the sign-up."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Registration, RegistrationStatus
from activities.selectors import registration_by_token
from activities.services import registration_cancel, registration_create, registration_token
from editorial.models import State
from notifications.models import Channel, Kind, Notification, NotificationState
from notifications.services import (
    NotificationRetry,
    notification_send,
    notifications_dispatch_due,
    registration_notify,
)
from tests.factories import ActivityFactory, AlumnusFactory, FollowerFactory, RegistrationFactory
from wechat.constants import EMULATOR_SIGNUP_TEMPLATE
from wechat_emulator.api.common import openid_for

pytestmark = pytest.mark.django_db

SITE = "https://alumni.example.edu.cn"
FORM = {"name": "张三", "class_year": "2010", "phone": "13800138000", "email": "zhang@example.com"}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.SITE_NAME = "北大校友会"


@pytest.fixture
def activity():
    return ActivityFactory(
        state=State.PUBLISHED, title="北京校友年会", place="北京饭店宴会厅", capacity=10
    )


def _sign_up(client, activity, *, capture, **changes):
    with capture(execute=True):
        return client.post(
            reverse("activities:detail", args=[activity.pk]), {**FORM, **changes}, follow=True
        )


def _has_link(text: str, registration) -> bool:
    """Whether `text` holds an absolute link to `registration`'s page. Compared by the sign-up
    the token names: a token made a second later (its signature is timestamped) differs."""
    prefix = SITE + reverse("activities:registration", args=["TOKEN"]).split("TOKEN")[0]
    tokens = re.findall(re.escape(prefix) + r'([^/\s"<]+)/', text)
    return any(registration_by_token(token=token).pk == registration.pk for token in tokens)


def test_signing_up_with_an_email_sends_the_confirmation_with_the_link(
    client, activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    registration = Registration.objects.get()
    assert registration.email == "zhang@example.com"
    [mail] = mailoutbox
    assert mail.to == ["zhang@example.com"]
    assert mail.subject == "【北大校友会】报名确认：北京校友年会"
    assert _has_link(mail.body, registration)
    for text in ("北京校友年会", "北京饭店宴会厅", "已报名", "张三"):
        assert text in mail.body
    html = mail.alternatives[0][0]
    assert _has_link(html, registration)


def test_the_notification_is_recorded_as_sent(
    client, activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    notification = Notification.objects.get()
    assert (notification.channel, notification.kind, notification.state) == (
        Channel.EMAIL,
        Kind.SIGNUP,
        NotificationState.SENT,
    )
    assert notification.registration == Registration.objects.get()
    assert notification.attempts == 1


def test_the_page_after_signing_up_says_where_the_confirmation_went(
    client, activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    page = _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    html = page.content.decode()
    assert "确认信息已发送至 z***@example.com" in html
    assert "zhang@example.com" not in html
    assert "找回我的报名" in html


def test_the_notice_is_shown_once_the_link_stays(
    client, activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    page = _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    again = client.get(page.redirect_chain[-1][0]).content.decode()
    assert "确认信息已发送至" not in again
    assert "取消报名" in again


def test_without_an_email_nothing_is_sent_and_the_page_says_to_keep_the_link(
    client, activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    page = _sign_up(client, activity, capture=django_capture_on_commit_callbacks, email="")

    assert mailoutbox == []
    assert not Notification.objects.exists()
    assert Registration.objects.get().email == ""
    assert "请保存本页链接" in page.content.decode()


def test_an_invalid_email_is_refused_with_a_chinese_message(client, activity):
    response = client.post(
        reverse("activities:detail", args=[activity.pk]), {**FORM, "email": "zhang@"}
    )

    assert response.status_code == 200
    assert "请输入有效的电子邮箱地址，或留空。" in response.content.decode()
    assert not Registration.objects.exists()


def test_joining_the_waitlist_says_so_in_the_confirmation(
    client, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    full = ActivityFactory(state=State.PUBLISHED, title="满员活动", capacity=1)
    RegistrationFactory(activity=full)

    _sign_up(client, full, capture=django_capture_on_commit_callbacks)

    assert "候补名单第 1 位" in mailoutbox[0].body


def test_moving_up_from_the_waitlist_sends_a_confirmation(
    activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    activity.capacity = 1
    activity.save()
    holder = RegistrationFactory(activity=activity)
    waiting = RegistrationFactory(
        activity=activity, status=RegistrationStatus.WAITLISTED, email="li@example.com"
    )

    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(registration=holder)

    [mail] = mailoutbox
    assert mail.to == ["li@example.com"]
    assert mail.subject == "【北大校友会】您已获得名额：北京校友年会"
    assert _has_link(mail.body, waiting)
    assert Notification.objects.get().kind == Kind.PROMOTED


def test_cancelling_sends_a_confirmation(
    activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(registration=registration)

    [mail] = mailoutbox
    assert mail.subject == "【北大校友会】报名已取消：北京校友年会"
    assert "已取消" in mail.body


def test_the_same_event_is_notified_once(activity, django_capture_on_commit_callbacks):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")

    registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    again = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)

    assert again == []
    assert Notification.objects.count() == 1


def test_sending_a_sent_notification_again_sends_nothing(activity, mailoutbox):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)

    notification_send(notification_id=notification.pk)
    notification_send(notification_id=notification.pk)

    assert len(mailoutbox) == 1


def test_a_mail_server_down_never_breaks_the_sign_up(
    client, activity, settings, django_capture_on_commit_callbacks, celery_eager
):
    settings.EMAIL_BACKEND = "tests.activities.support.DownMailBackend"

    page = _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    assert page.status_code == 200
    assert "报名成功" in page.content.decode()
    notification = Notification.objects.get()
    assert notification.state == NotificationState.FAILED
    assert notification.attempts == settings.NOTIFICATIONS_RETRY_MAX
    assert "SMTPServerDisconnected" in notification.error


def test_a_mail_server_down_is_tried_again_later(activity, settings, mailoutbox):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    settings.EMAIL_BACKEND = "tests.activities.support.DownMailBackend"

    with pytest.raises(NotificationRetry) as retry:
        notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.state == NotificationState.RETRYING
    assert notification.next_attempt_at is not None
    assert retry.value.countdown >= settings.NOTIFICATIONS_RETRY_BACKOFF_BASE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notification.next_attempt_at = notification.created_at
    notification.save()

    notification = notification_send(notification_id=notification.pk)

    assert notification.state == NotificationState.SENT
    assert len(mailoutbox) == 1


def test_a_refused_address_fails_at_once_with_the_reason_stored(activity, settings):
    registration = RegistrationFactory(activity=activity, email="nobody@example.com")
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    settings.EMAIL_BACKEND = "tests.activities.support.RefusingMailBackend"

    notification = notification_send(notification_id=notification.pk)

    assert notification.state == NotificationState.FAILED
    assert notification.attempts == 1
    assert "SMTPRecipientsRefused" in notification.error


def test_a_failing_listener_never_breaks_the_sign_up(
    client, activity, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("the notifications database table is locked")

    monkeypatch.setattr("notifications.receivers.registration_notify", broken)

    page = _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    assert page.status_code == 200
    assert Registration.objects.get().status == RegistrationStatus.REGISTERED


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_confirmation_goes_once_it_is_back(
    client, activity, mailoutbox, broker_down, celery_eager
):
    from alumni_cms.celery import app as celery_app

    page = client.post(reverse("activities:detail", args=[activity.pk]), FORM, follow=True)

    assert "报名成功" in page.content.decode()
    notification = Notification.objects.get()
    assert notification.state == NotificationState.PENDING
    celery_app.set_current()  # the broker is back (tasks run in this process)
    Notification.objects.update(created_at=notification.created_at.replace(year=2020))

    assert notifications_dispatch_due() == 1

    assert Notification.objects.get().state == NotificationState.SENT
    assert len(mailoutbox) == 1


# WeChat: a sign-up made in a session that WeChat's web authorization opened for a bound follower


@pytest.fixture
def service_account(emulator, settings):
    """The emulator as a service account with the sign-up template, and the site set to use it."""
    emulator.state.configure(account_type="service")
    settings.WECHAT_ACCOUNT_TYPE = "service"
    settings.WECHAT_TEMPLATE_SIGNUP = EMULATOR_SIGNUP_TEMPLATE
    return emulator


@pytest.fixture
def bound_follower():
    return FollowerFactory(openid=openid_for(3), alumnus=AlumnusFactory(name="张三"))


def _in_wechat(client, follower):
    session = client.session
    session["audience_openid"] = follower.openid
    session.save()


def test_a_bound_follower_signing_up_in_wechat_is_linked_and_gets_a_template_message(
    client,
    activity,
    service_account,
    bound_follower,
    mailoutbox,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    _in_wechat(client, bound_follower)

    page = _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    registration = Registration.objects.get()
    assert registration.alumnus == bound_follower.alumnus
    [message] = service_account.state.snapshot()["template_messages"]
    assert message["touser"] == bound_follower.openid
    assert _has_link(message["url"], registration)
    assert message["data"]["keyword1"] == "北京校友年会"
    assert message["data"]["keyword3"] == "北京饭店宴会厅"
    wechat = Notification.objects.get(channel=Channel.WECHAT)
    assert (wechat.state, wechat.msgid) == (NotificationState.SENT, message["msgid"])
    assert "确认信息已发送至 z***@example.com、您的微信" in page.content.decode()
    assert len(mailoutbox) == 1


def test_a_session_of_an_unbound_follower_links_nothing(
    client, activity, service_account, django_capture_on_commit_callbacks, celery_eager
):
    follower = FollowerFactory(openid=openid_for(4))
    _in_wechat(client, follower)

    _sign_up(client, activity, capture=django_capture_on_commit_callbacks, email="")

    assert Registration.objects.get().alumnus is None
    assert service_account.state.snapshot()["template_messages"] == []


def test_a_follower_still_bound_to_a_deleted_record_links_nothing(
    client, activity, django_capture_on_commit_callbacks
):
    erased = AlumnusFactory(deleted_at=timezone.now())
    _in_wechat(client, FollowerFactory(openid=openid_for(5), alumnus=erased))

    _sign_up(client, activity, capture=django_capture_on_commit_callbacks, email="")

    assert Registration.objects.get().alumnus is None


def test_a_posted_alumnus_is_ignored(
    client, activity, bound_follower, django_capture_on_commit_callbacks
):
    _sign_up(
        client,
        activity,
        capture=django_capture_on_commit_callbacks,
        alumnus=bound_follower.alumnus.pk,
        alumnus_id=bound_follower.alumnus.pk,
    )

    assert Registration.objects.get().alumnus is None


def test_without_a_template_setting_wechat_is_skipped_and_email_stays(
    client,
    activity,
    service_account,
    bound_follower,
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    settings.WECHAT_TEMPLATE_SIGNUP = ""
    _in_wechat(client, bound_follower)

    _sign_up(client, activity, capture=django_capture_on_commit_callbacks)

    assert list(Notification.objects.values_list("channel", flat=True)) == [Channel.EMAIL]
    assert service_account.state.snapshot()["template_messages"] == []
    assert len(mailoutbox) == 1


def test_a_follower_who_left_is_a_final_failure_stored_not_raised(
    activity, service_account, bound_follower, mailoutbox
):
    registration = registration_create(
        activity=activity,
        name="张三",
        class_year=2010,
        phone="13800138000",
        alumnus_id=bound_follower.alumnus_id,
    )
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    service_account.state.unsubscribe(bound_follower.openid)

    notification = notification_send(notification_id=notification.pk)

    assert notification.state == NotificationState.FAILED
    assert notification.error.startswith("43004")


def test_wechat_busy_is_tried_again_and_delivers_once(activity, service_account, bound_follower):
    registration = RegistrationFactory(activity=activity, alumnus=bound_follower.alumnus)
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    # The first call takes effect but its answer is lost; the retry must not deliver twice.
    service_account.state.set_faults(
        drop_after_commit_rate=1.0, paths=["cgi-bin/message/template/send"], times=1
    )

    with pytest.raises(NotificationRetry):
        notification_send(notification_id=notification.pk)
    notification = notification_send(notification_id=notification.pk)

    assert notification.state == NotificationState.SENT
    assert len(service_account.state.snapshot()["template_messages"]) == 1


def test_erasing_a_record_blanks_its_sign_ups_email_and_sends_it_nothing(
    activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    from audience.services import alumnus_erase

    alumnus = AlumnusFactory(phone="13800138000")
    registration = RegistrationFactory(
        activity=activity, phone="13800138000", email="zhang@example.com"
    )

    with django_capture_on_commit_callbacks(execute=True):
        alumnus_erase(alumnus=alumnus)

    registration.refresh_from_db()
    assert (registration.status, registration.email) == (RegistrationStatus.CANCELLED, "")
    assert mailoutbox == []


def test_a_notification_claimed_by_a_worker_that_died_is_sent_by_the_scheduler(
    activity, mailoutbox, celery_eager, settings
):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    stale = timezone.now() - settings.NOTIFICATIONS_SENDING_LEASE - timedelta(minutes=1)
    Notification.objects.filter(pk=notification.pk).update(
        state=NotificationState.SENDING, attempts=1
    )
    # updated_at is auto_now: set it past the lease with a queryset update of its own.
    Notification.objects.filter(pk=notification.pk).update(updated_at=stale)

    assert notifications_dispatch_due() == 1

    assert Notification.objects.get().state == NotificationState.SENT
    assert len(mailoutbox) == 1


def test_a_notification_being_sent_is_left_alone_by_the_scheduler(activity, mailoutbox):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")
    [notification] = registration_notify(registration_id=registration.pk, kind=Kind.SIGNUP)
    Notification.objects.filter(pk=notification.pk).update(state=NotificationState.SENDING)

    assert notifications_dispatch_due() == 0
    assert notification_send(notification_id=notification.pk).state == NotificationState.SENDING
    assert mailoutbox == []


def test_the_page_after_cancelling_says_where_the_confirmation_went(
    client, activity, mailoutbox, django_capture_on_commit_callbacks, celery_eager
):
    registration = RegistrationFactory(activity=activity, email="wang@example.com")
    token = registration_token(registration=registration)

    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("activities:registration_cancel", args=[token]), follow=True
        ).content.decode()

    assert "报名已取消" in page
    assert "确认信息已发送至 w***@example.com" in page
    assert mailoutbox[0].to == ["wang@example.com"]
