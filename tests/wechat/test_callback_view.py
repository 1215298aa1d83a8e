import time
import uuid

import pytest

from tests.wechat.support import mass_finish_xml, signed_post
from wechat.models import CallbackEvent
from wechat.signals import callback_received
from wechat_emulator import callbacks

pytestmark = pytest.mark.django_db

TOKEN = "callback-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
APP_ID = "wx-callback-test"


@pytest.fixture(autouse=True)
def _wechat_settings(settings):
    settings.WECHAT_TOKEN = TOKEN
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_ENCODING_AES_KEY = ""


def _verification_query(token=TOKEN):
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    signature = callbacks.sign(token, timestamp, nonce)
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce, "echostr": "e42"}


def test_url_verification_echoes_echostr(client):
    response = client.get("/wechat/callback/", _verification_query())
    assert response.status_code == 200
    assert response.content == b"e42"


def test_url_verification_with_a_bad_signature_is_forbidden(client):
    response = client.get("/wechat/callback/", _verification_query(token="someone-else"))
    assert response.status_code == 403


def test_mass_send_finish_is_stored_with_its_counts(client):
    response = signed_post(client, mass_finish_xml(msg_id="1000000007"), token=TOKEN)
    assert response.content == b"success"
    event = CallbackEvent.objects.get()
    assert (event.event, event.msg_id, event.processed) == (
        "MASSSENDJOBFINISH",
        "1000000007",
        False,
    )
    assert event.payload["sent_count"] == 24
    assert event.payload["error_count"] == 1
    assert event.payload["succeeded"] is True
    assert event.payload["article_urls"] == [
        {"idx": 1, "url": "https://mp.weixin.qq.com/s?mid=1&idx=1"}
    ]


def test_post_with_a_bad_signature_is_forbidden_and_not_stored(client):
    response = signed_post(client, mass_finish_xml(), token="someone-else")
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


def test_safe_mode_post_is_decrypted_and_stored(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    response = signed_post(
        client, mass_finish_xml(msg_id="1000000009"), token=TOKEN, aes_key=AES_KEY, app_id=APP_ID
    )
    assert response.content == b"success"
    assert CallbackEvent.objects.get().msg_id == "1000000009"


def test_safe_mode_post_for_another_app_id_is_refused(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    response = signed_post(
        client, mass_finish_xml(), token=TOKEN, aes_key=AES_KEY, app_id="wx-someone-else"
    )
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_safe_mode_post_with_a_bad_msg_signature_is_forbidden(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    encrypted = callbacks.encrypt(mass_finish_xml(), encoding_aes_key=AES_KEY, app_id=APP_ID)
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
    query = {
        "signature": callbacks.sign(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": "0" * 40,
    }
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    url = "/wechat/callback/?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = client.post(url, data=body, content_type="text/xml")
    assert response.status_code == 403


def test_malformed_xml_is_a_bad_request(client):
    response = signed_post(client, "<xml><MsgType>event</MsgType>", token=TOKEN)
    assert response.status_code == 400


def test_oversized_body_is_a_bad_request(client, settings):
    settings.WECHAT_CALLBACK_MAX_BYTES = 1024
    padding = "<Padding>" + "x" * 2000 + "</Padding>"
    response = signed_post(
        client, mass_finish_xml().replace("</xml>", padding + "</xml>"), token=TOKEN
    )
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_push_without_create_time_is_a_bad_request(client):
    response = signed_post(client, "<xml><MsgType>event</MsgType></xml>", token=TOKEN)
    assert response.status_code == 400


def test_retried_event_is_stored_and_announced_once(client, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, event, **kwargs):
        received.append(event.pk)

    callback_received.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = signed_post(client, mass_finish_xml(), token=TOKEN)
            second = signed_post(client, mass_finish_xml(), token=TOKEN)
    finally:
        callback_received.disconnect(listener)
    assert (first.content, second.content) == (b"success", b"success")
    assert CallbackEvent.objects.count() == 1
    assert received == [CallbackEvent.objects.get().pk]


def test_two_jobs_finishing_in_the_same_second_are_both_stored(client):
    signed_post(client, mass_finish_xml(msg_id="1000000001"), token=TOKEN)
    signed_post(client, mass_finish_xml(msg_id="1000000002"), token=TOKEN)
    assert sorted(CallbackEvent.objects.values_list("msg_id", flat=True)) == [
        "1000000001",
        "1000000002",
    ]


def test_publish_finish_is_stored_with_its_article_urls(client):
    job = {
        "publish_id": "2247500001",
        "final_status": 0,
        "article_id": "ARTICLE_1",
        "article_urls": ["https://mp.weixin.qq.com/s/a", "https://mp.weixin.qq.com/s/b"],
        "fail_idx": [],
    }
    xml = callbacks.event_xml(
        to_user="gh_test",
        from_user="oMPHELPER0000000000000000000",
        create_time=1_700_000_100,
        event="PUBLISHJOBFINISH",
        body=callbacks.publish_finish_body(job),
    )
    signed_post(client, xml, token=TOKEN)
    event = CallbackEvent.objects.get()
    assert event.publish_id == "2247500001"
    assert event.payload["article_id"] == "ARTICLE_1"
    assert [u["idx"] for u in event.payload["article_urls"]] == [1, 2]


def test_failed_publish_keeps_its_failed_indexes(client):
    job = {"publish_id": "2247500002", "final_status": 2, "fail_idx": [1, 2]}
    xml = callbacks.event_xml(
        to_user="gh_test",
        from_user="oMPHELPER0000000000000000000",
        create_time=1_700_000_200,
        event="PUBLISHJOBFINISH",
        body=callbacks.publish_finish_body(job),
    )
    signed_post(client, xml, token=TOKEN)
    payload = CallbackEvent.objects.get().payload
    assert (payload["succeeded"], payload["fail_idx"]) == (False, [1, 2])


def test_subscribe_event_is_stored_with_the_follower(client):
    xml = callbacks.event_xml(
        to_user="gh_test",
        from_user="oEMU000000000000000000000042",
        create_time=1_700_000_300,
        event="subscribe",
        body=callbacks.subscribe_body("subscribe"),
    )
    signed_post(client, xml, token=TOKEN)
    event = CallbackEvent.objects.get()
    assert (event.event, event.payload["openid"]) == ("subscribe", "oEMU000000000000000000000042")
