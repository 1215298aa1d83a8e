"""Channel QR codes: issuing a channel's code, attributing scans pushed by the emulator to our
callback over HTTP, the admin's code, PNG and print page, and the dashboard's panel."""

import time
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from tests.factories import ActivityFactory, BranchFactory, UserFactory
from wechat.channels.models import Channel, ChannelKind, ChannelScan
from wechat.channels.services import channel_code_issue, channel_scan_record
from wechat.errors import RetryableError
from wechat.models import CallbackEvent
from wechat_emulator import EmulatorClient


def _channel(**fields) -> Channel:
    defaults = {"name": "上海校友会", "kind": ChannelKind.BRANCH, "scene": "branch-sh"}
    return Channel.objects.create(**{**defaults, **fields})


def _wait_for(query, count: int = 1):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if query.count() >= count:
            return list(query)
        time.sleep(0.05)
    return list(query)


@pytest.fixture
def live_emulator(emulator, live_server):
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/callback/")
    return emulator


@pytest.mark.django_db
def test_issuing_a_temporary_code_stores_ticket_url_and_expiry(emulator):
    channel = _channel(permanent=False, expire_days=7)
    channel_code_issue(channel=channel)
    channel.refresh_from_db()
    assert channel.ticket and channel.url
    assert abs(channel.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert emulator.state.snapshot()["qrcodes"][0]["scene"] == "branch-sh"


@pytest.mark.django_db
def test_a_failed_issue_leaves_the_channel_without_a_code(emulator):
    emulator.state.set_faults(error_rate=1.0, error_codes=[-1], paths=["qrcode/create"])
    channel = _channel()
    with pytest.raises(RetryableError):
        channel_code_issue(channel=channel)
    channel.refresh_from_db()
    assert channel.url == "" and not channel.has_code


def test_a_new_follower_scanning_is_attributed_as_a_new_follower(live_emulator, db):
    channel = channel_code_issue(channel=_channel())
    EmulatorClient(live_emulator.url).qrcode_scan(ticket=channel.ticket, new=True)
    [scan] = _wait_for(ChannelScan.objects.all())
    assert (scan.channel_id, scan.new_follower) == (channel.pk, True)
    assert scan.event.event == "subscribe"
    assert scan.event.payload["event_key"] == "qrscene_branch-sh"


def test_an_existing_follower_scanning_is_attributed_as_a_scan(live_emulator, db):
    channel = channel_code_issue(channel=_channel())
    EmulatorClient(live_emulator.url).qrcode_scan(ticket=channel.ticket, openid=None)
    [scan] = _wait_for(ChannelScan.objects.all())
    assert (scan.new_follower, scan.event.event) == (False, "SCAN")
    assert scan.event.processed


def test_a_callback_is_attributed_once(live_emulator, db):
    """A receiver run again on the same event (a retry, a replay) records no second scan."""
    channel = channel_code_issue(channel=_channel())
    EmulatorClient(live_emulator.url).qrcode_scan(ticket=channel.ticket, new=True)
    [scan] = _wait_for(ChannelScan.objects.all())
    event = scan.event
    assert channel_scan_record(event=event) is None  # a second run records nothing
    assert ChannelScan.objects.count() == 1


@pytest.mark.django_db
def test_a_scan_of_an_unknown_scene_is_not_attributed():
    event = CallbackEvent.objects.create(
        dedup_key="event:o1:1:SCAN:",
        msg_type="event",
        event="SCAN",
        from_user="o1",
        to_user="gh",
        sent_at=timezone.now(),
        payload={"event_key": "made-in-the-wechat-backend"},
    )
    assert channel_scan_record(event=event) is None
    assert ChannelScan.objects.count() == 0


@pytest.mark.django_db
def test_a_plain_subscribe_is_not_a_channel_follow():
    _channel(scene="")
    event = CallbackEvent.objects.create(
        dedup_key="event:o1:1:subscribe:",
        msg_type="event",
        event="subscribe",
        from_user="o1",
        to_user="gh",
        sent_at=timezone.now(),
        payload={"event_key": ""},
    )
    assert channel_scan_record(event=event) is None


@pytest.fixture
def staff(client):
    user = UserFactory(username="office", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_creating_a_channel_in_the_admin_issues_its_code(client, staff, emulator):
    branch = BranchFactory(name="北京校友会")
    response = client.post(
        reverse("admin:wechat_channels_channel_add"),
        {"name": "北京分会迎新", "kind": "branch", "branch": branch.pk, "permanent": "on",
         "expire_days": 30},
    )  # fmt: skip
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.scene.startswith("branch-") and channel.url and channel.created_by == staff
    page = client.get(reverse("admin:wechat_channels_channel_change", args=[channel.pk]))
    assert b"channel-qr" in page.content and "下载 PNG".encode() in page.content


@pytest.mark.django_db
def test_a_temporary_code_beyond_thirty_days_gets_a_chinese_message(client, staff, emulator):
    response = client.post(
        reverse("admin:wechat_channels_channel_add"),
        {"name": "海报", "kind": "poster", "expire_days": 31},
    )
    assert response.status_code == 200
    assert "临时二维码的有效期为 1 至 30 天。" in response.content.decode()
    assert not Channel.objects.exists()


@pytest.mark.django_db
def test_an_item_id_that_does_not_exist_is_refused(client, staff, emulator):
    activity_type = ContentType.objects.get_by_natural_key("activities", "activity")
    response = client.post(
        reverse("admin:wechat_channels_channel_add"),
        {"name": "返校日", "kind": "activity", "content_type": activity_type.pk,
         "object_id": 999999, "permanent": "on", "expire_days": 30},
    )  # fmt: skip
    assert response.status_code == 200
    assert not Channel.objects.exists()


@pytest.mark.django_db
def test_a_channel_for_an_activity_links_it(client, staff, emulator):
    activity = ActivityFactory(title="返校日")
    activity_type = ContentType.objects.get_for_model(activity)
    client.post(
        reverse("admin:wechat_channels_channel_add"),
        {"name": "返校日签到", "kind": "activity", "content_type": activity_type.pk,
         "object_id": activity.pk, "permanent": "", "expire_days": 3},
    )  # fmt: skip
    channel = Channel.objects.get()
    assert channel.item == activity and channel.expires_at is not None


@pytest.mark.django_db
def test_the_png_download_is_a_png(client, staff, emulator):
    channel = channel_code_issue(channel=_channel())
    response = client.get(reverse("admin:wechat_channels_channel_png", args=[channel.pk]))
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.django_db
def test_the_print_page_shows_the_code_and_the_name(client, staff, emulator):
    channel = channel_code_issue(channel=_channel(name="<b>校友</b>"))
    response = client.get(reverse("admin:wechat_channels_channel_print", args=[channel.pk]))
    assert b"<svg" in response.content
    assert "&lt;b&gt;校友&lt;/b&gt;" in response.content.decode()


@pytest.mark.django_db
def test_an_expired_code_has_no_png(client, staff, emulator):
    channel = channel_code_issue(channel=_channel(permanent=False, expire_days=1))
    Channel.objects.filter(pk=channel.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("admin:wechat_channels_channel_png", args=[channel.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_renewing_issues_a_new_ticket(client, staff, emulator):
    channel = channel_code_issue(channel=_channel(permanent=False, expire_days=1))
    old = channel.ticket
    client.post(reverse("admin:wechat_channels_channel_renew", args=[channel.pk]))
    channel.refresh_from_db()
    assert channel.ticket != old


@pytest.mark.django_db
def test_staff_without_the_permission_cannot_download(client, emulator):
    channel = channel_code_issue(channel=_channel())
    client.force_login(UserFactory(username="clerk", is_staff=True))
    response = client.get(reverse("admin:wechat_channels_channel_png", args=[channel.pk]))
    assert response.status_code in (403, 404)


def _scans(channel: Channel, *, followers: int, scans: int = 0, day=None):
    when = day or timezone.now()
    for n in range(followers + scans):
        event = CallbackEvent.objects.create(
            dedup_key=f"event:{channel.pk}:{when.timestamp()}:{n}",
            msg_type="event",
            event="subscribe" if n < followers else "SCAN",
            from_user=f"o{n}",
            to_user="gh",
            sent_at=when,
        )
        ChannelScan.objects.create(
            channel=channel, event=event, openid=f"o{n}", new_follower=n < followers,
            scanned_at=when,
        )  # fmt: skip


@pytest.mark.django_db
def test_the_dashboard_shows_followers_gained_per_channel(client, staff):
    shanghai = _channel(name="上海校友会", scene="a")
    poster = _channel(name="返校日海报", scene="b", kind=ChannelKind.POSTER)
    _scans(shanghai, followers=3, scans=2)
    _scans(poster, followers=1)
    response = client.get(reverse("stats:dashboard"))
    html = response.content.decode()
    assert 'id="table-channel-followers-by-day"' in html
    assert 'data-series="上海校友会" data-total="3"' in html
    assert 'data-label="返校日海报" data-value="1"' in html


@pytest.mark.django_db
def test_the_dashboard_query_count_does_not_grow_with_channels(client, staff, queries_for):
    _scans(_channel(name="一", scene="a"), followers=1)
    few = queries_for(reverse("stats:dashboard"))
    for n in range(6):
        _scans(_channel(name=f"渠道{n}", scene=f"s{n}"), followers=2, scans=1)
    assert queries_for(reverse("stats:dashboard")) == few


@pytest.mark.django_db
def test_the_channel_list_query_count_is_constant(client, staff, queries_for):
    _scans(_channel(name="一", scene="a", branch=BranchFactory()), followers=1)
    activity_type = ContentType.objects.get_for_model(ActivityFactory())
    _channel(name="活动", scene="x", content_type=activity_type, object_id=ActivityFactory().pk)
    few = queries_for(reverse("admin:wechat_channels_channel_changelist"))
    for n in range(5):
        _scans(_channel(name=f"渠道{n}", scene=f"s{n}", branch=BranchFactory()), followers=1)
        activity = ActivityFactory()
        _channel(name=f"活动{n}", scene=f"a{n}", content_type=activity_type, object_id=activity.pk)
    assert queries_for(reverse("admin:wechat_channels_channel_changelist")) == few


def test_a_bound_follower_scanning_an_activity_code_is_checked_in(live_emulator, db):
    from activities.models import RegistrationStatus
    from tests.factories import AlumnusFactory, RegistrationFactory
    from wechat_emulator.api.common import openid_for

    activity = ActivityFactory(title="返校日")
    alumnus = AlumnusFactory(wechat_openid=openid_for(3))
    registration = RegistrationFactory(activity=activity, alumnus=alumnus)
    channel = channel_code_issue(
        channel=_channel(
            name="北门",
            kind=ChannelKind.ACTIVITY,
            content_type=ContentType.objects.get_for_model(activity),
            object_id=activity.pk,
        )
    )
    EmulatorClient(live_emulator.url).qrcode_scan(ticket=channel.ticket, openid=openid_for(3))
    _wait_for(ChannelScan.objects.all())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        registration.refresh_from_db()
        if registration.checked_in_at:
            break
        time.sleep(0.05)
    assert registration.status == RegistrationStatus.ATTENDED
    assert registration.checked_in_door == "北门"


def test_an_unbound_follower_scanning_an_activity_code_only_counts(live_emulator, db):
    from tests.factories import RegistrationFactory

    activity = ActivityFactory(title="返校日")
    registration = RegistrationFactory(activity=activity)
    channel = channel_code_issue(
        channel=_channel(
            kind=ChannelKind.ACTIVITY,
            content_type=ContentType.objects.get_for_model(activity),
            object_id=activity.pk,
        )
    )
    EmulatorClient(live_emulator.url).qrcode_scan(ticket=channel.ticket)
    _wait_for(ChannelScan.objects.all())
    registration.refresh_from_db()
    assert registration.checked_in_at is None


@pytest.mark.django_db
def test_editors_make_channel_codes_liaisons_do_not(client, emulator):
    from tests.factories import EditorFactory, LiaisonFactory

    client.force_login(EditorFactory(username="editor1"))
    assert client.get(reverse("admin:wechat_channels_channel_add")).status_code == 200
    client.force_login(LiaisonFactory(username="liaison1", is_staff=True))
    assert client.get(reverse("admin:wechat_channels_channel_add")).status_code == 403


def test_the_emulator_page_simulates_a_scan_that_reaches_the_site(live_emulator, db, client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    channel = channel_code_issue(channel=_channel())
    page = client.get("/admin/wechat/emulator/").content.decode()
    assert "branch-sh" in page.split('id="emulator-qrcodes"')[1].split("</table>")[0]
    response = client.post(
        "/admin/wechat/emulator/", {"action": "scan", "ticket": channel.ticket, "new": "1"}
    )
    assert response.status_code == 302
    [scan] = _wait_for(ChannelScan.objects.all())
    assert scan.new_follower
