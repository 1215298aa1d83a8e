"""Forged WeChat callbacks are refused (issue 10, items 2 and 8; wechat/callbacks.py).

Every test sends the attack through /wechat/callback/ (or the parser it relies on) and checks
what was stored or answered; the payloads and limits are written out here.
"""

import logging
import time
import uuid

import pytest

from tests.factories import PushableArticleFactory, PushFactory
from tests.wechat.support import mass_finish_xml
from wechat import callbacks as wechat_callbacks
from wechat.constants import EMULATOR_TOKEN
from wechat.errors import CallbackPayloadError
from wechat.models import CallbackEvent, PushState
from wechat_emulator import callbacks as emulator

pytestmark = pytest.mark.django_db

URL = "/wechat/callback/"
TOKEN = "security-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
APP_ID = "wx-security-test"


@pytest.fixture(autouse=True)
def _wechat_settings(settings):
    settings.WECHAT_TOKEN = TOKEN
    settings.WECHAT_APP_ID = APP_ID
    settings.WECHAT_ENCODING_AES_KEY = ""
    settings.WECHAT_CALLBACK_MAX_AGE = 300
    settings.DEBUG = False


def _query(*, timestamp=None, nonce=None, token=TOKEN, **extra) -> dict:
    """Query parameters signed like WeChat's; now and a fresh nonce unless given."""
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    nonce = uuid.uuid4().hex if nonce is None else nonce
    signature = emulator.sign(token, timestamp, nonce)
    return {"signature": signature, "timestamp": timestamp, "nonce": nonce, **extra}


def _post(client, xml: str, query: dict):
    url = URL + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, data=xml.encode(), content_type="text/xml")


def _encrypted(xml: str, query: dict) -> tuple[str, dict]:
    """The safe-mode body of `xml` and `query` with encrypt_type and msg_signature added."""
    encrypted = emulator.encrypt(xml, encoding_aes_key=AES_KEY, app_id=APP_ID)
    msg_signature = emulator.sign(TOKEN, query["timestamp"], query["nonce"], encrypted)
    body = f"<xml><ToUserName>gh_test</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"
    return body, {**query, "encrypt_type": "aes", "msg_signature": msg_signature}


def _event(create_time="1700000000", extra: str = "") -> str:
    return (
        "<xml><ToUserName>gh_test</ToUserName><FromUserName>oFORGED</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType>event</MsgType>"
        f"<Event>subscribe</Event>{extra}</xml>"
    )


def _strings(data) -> list[str]:
    """Every string stored in a payload, at any depth (repr() would escape backslashes)."""
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return [data] if isinstance(data, str) else []


@pytest.mark.parametrize(
    "age",
    [15 * 60, 25 * 365 * 24 * 3600, -15 * 60],
    ids=["15-minutes-old", "25-years-old", "15-minutes-ahead"],
)
def test_callback_with_a_timestamp_outside_the_window_is_forbidden(client, age):
    query = _query(timestamp=int(time.time()) - age)
    response = _post(client, mass_finish_xml(), query)
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


def test_url_verification_with_an_old_timestamp_does_not_echo(client):
    query = _query(timestamp=int(time.time()) - 15 * 60, echostr="e42")
    response = client.get(URL, query)
    assert response.status_code == 403
    assert response.content != b"e42"


@pytest.mark.parametrize("timestamp", ["now", "1e9", "-1700000000", "9" * 40, "１７００"])
def test_non_numeric_or_huge_timestamp_is_forbidden_not_an_error(client, timestamp):
    response = _post(client, mass_finish_xml(), _query(timestamp=timestamp))
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


def test_callback_a_few_seconds_old_is_accepted(client):
    response = _post(client, mass_finish_xml(), _query(timestamp=int(time.time()) - 10))
    assert response.content == b"success"
    assert CallbackEvent.objects.count() == 1


def test_signature_replayed_with_another_body_is_forbidden(client):
    query = _query()
    first = _post(client, mass_finish_xml(msg_id="1000000001"), query)
    replay = _post(client, mass_finish_xml(msg_id="1000000666"), query)
    assert (first.status_code, replay.status_code) == (200, 403)
    assert list(CallbackEvent.objects.values_list("msg_id", flat=True)) == ["1000000001"]


def test_identical_retry_is_answered_success_and_stored_once(client):
    query = _query()
    first = _post(client, mass_finish_xml(), query)
    retry = _post(client, mass_finish_xml(), query)
    assert (first.content, retry.content) == (b"success", b"success")
    assert CallbackEvent.objects.count() == 1


def test_verification_signature_replayed_with_another_echostr_is_forbidden(client):
    query = _query(echostr="first")
    assert client.get(URL, query).content == b"first"
    response = client.get(URL, {**query, "echostr": "attacker"})
    assert response.status_code == 403


def test_encrypted_signature_replayed_with_another_body_is_forbidden(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    query = _query()
    body, signed = _encrypted(mass_finish_xml(msg_id="1000000001"), query)
    assert _post(client, body, signed).content == b"success"
    forged_body, forged = _encrypted(mass_finish_xml(msg_id="1000000666"), query)
    response = _post(client, forged_body, forged)
    assert response.status_code == 403
    assert list(CallbackEvent.objects.values_list("msg_id", flat=True)) == ["1000000001"]


def test_safe_mode_refuses_a_plaintext_body(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    response = _post(client, mass_finish_xml(), _query())
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


def test_safe_mode_refuses_aes_without_encrypt_element(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    query = _query(encrypt_type="aes", msg_signature="0" * 40)
    response = _post(client, mass_finish_xml(), query)
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_safe_mode_url_verification_still_echoes(client, settings):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    response = client.get(URL, _query(echostr="e42"))
    assert response.content == b"e42"


FOREIGN_URLS = [
    "javascript:alert(document.cookie)",
    "http://mp.weixin.qq.com/s/abc",
    "https://evil.example/s/abc",
    "https://mp.weixin.qq.com@evil.example/s",
    "https://mp.weixin.qq.com.evil.example/s",
    "https://evil.example\\@mp.weixin.qq.com/s",
    "https:/\\evil.example/s",
    "//evil.example/s",
    "https://mp.weixin.qq.com:8443/s",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.mark.parametrize("url", FOREIGN_URLS)
def test_mass_send_finish_with_a_foreign_article_url_stores_no_url(client, url):
    xml = mass_finish_xml().replace("https://mp.weixin.qq.com/s?mid=1&idx=1", url)
    assert url in xml
    response = _post(client, xml, _query())
    assert response.content == b"success"
    event = CallbackEvent.objects.get()
    assert event.payload["article_urls"] == [{"idx": 1, "url": ""}]
    assert url not in _strings(event.payload)


@pytest.mark.parametrize("url", FOREIGN_URLS)
def test_publish_finish_with_a_foreign_article_url_stores_no_url(client, url):
    job = {
        "publish_id": "2247500001",
        "final_status": 0,
        "article_id": "ARTICLE_1",
        "article_urls": [url, "https://mp.weixin.qq.com/s/b"],
    }
    xml = emulator.event_xml(
        to_user="gh_test",
        from_user="oMPHELPER",
        create_time=1_700_000_100,
        event="PUBLISHJOBFINISH",
        body=emulator.publish_finish_body(job),
    )
    assert _post(client, xml, _query()).content == b"success"
    payload = CallbackEvent.objects.get().payload
    assert [u["url"] for u in payload["article_urls"]] == ["", "https://mp.weixin.qq.com/s/b"]
    assert url not in _strings(payload)


def test_foreign_url_in_any_url_element_is_dropped_from_the_raw_payload(client):
    extra = "<CopyrightCheckResult><OriginalArticleUrl>javascript:alert(1)</OriginalArticleUrl>"
    xml = _event(extra=extra + "</CopyrightCheckResult>")
    assert _post(client, xml, _query()).content == b"success"
    assert not [s for s in _strings(CallbackEvent.objects.get().payload) if "javascript" in s]


def test_dropped_url_is_logged_without_its_content(client, caplog):
    xml = mass_finish_xml().replace("https://mp.weixin.qq.com/s?mid=1&idx=1", "javascript:x1()")
    with caplog.at_level(logging.WARNING, logger="wechat"):
        _post(client, xml, _query())
    assert "ArticleUrl" in caplog.text
    assert "javascript" not in caplog.text


@pytest.mark.parametrize("create_time", ["1" + "0" * 30, "-5", "abc", "99999999999"])
def test_create_time_out_of_range_is_a_bad_request(client, create_time):
    response = _post(client, _event(create_time=create_time), _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


@pytest.mark.parametrize("count", ["1" + "0" * 30, "-1", "2147483648", "lots"])
def test_mass_send_count_out_of_range_is_a_bad_request(client, count):
    xml = mass_finish_xml().replace(
        "<TotalCount>25</TotalCount>", f"<TotalCount>{count}</TotalCount>"
    )
    assert f"<TotalCount>{count}</TotalCount>" in xml
    response = _post(client, xml, _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_deeply_nested_body_is_a_bad_request(client):
    deep = "<a>" * 5000 + "</a>" * 5000
    response = _post(client, _event(extra=deep), _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_nesting_just_past_the_limit_is_a_bad_request(client):
    # <xml> is level 1: this reaches MAX_DEPTH + 1.
    depth = wechat_callbacks.MAX_DEPTH
    nested = "<a>" * depth + "x" + "</a>" * depth
    response = _post(client, _event(extra=nested), _query())
    assert response.status_code == 400


def test_too_many_elements_is_a_bad_request(client):
    many = "<i>1</i>" * (wechat_callbacks.MAX_ELEMENTS + 1)
    response = _post(client, _event(extra=many), _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_doctype_is_refused_and_nothing_stored(client):
    xml = "<!DOCTYPE xml>" + _event()
    response = _post(client, xml, _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_internal_entity_is_not_expanded_into_a_stored_event(client):
    xml = '<!DOCTYPE xml [<!ENTITY who "oVICTIM">]>' + _event().replace("oFORGED", "&who;")
    response = _post(client, xml, _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.filter(from_user="oVICTIM").exists()
    assert not CallbackEvent.objects.exists()


def test_entity_expansion_bomb_is_refused_and_nothing_stored(client):
    # 10^5 characters from 200 bytes of entities (an exponential bomb cut short to stay cheap
    # when the guard is missing): expat would expand it, and the event would be stored.
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcd", "bcde", strict=True)
    )
    xml = f"<!DOCTYPE xml [{entities}]>" + _event(extra="<Padding>&e;</Padding>")
    response = _post(client, xml, _query())
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_external_entity_is_refused_as_a_declaration(client):
    xxe = (
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<xml><MsgType>event</MsgType><FromUserName>&x;</FromUserName></xml>"
    )
    # The stdlib parser fails on it too ("undefined entity"): the reason shows who refused it.
    with pytest.raises(CallbackPayloadError, match="declarations .* are refused"):
        wechat_callbacks.parse_xml(xxe)
    assert _post(client, xxe, _query()).status_code == 400


def test_emulator_token_is_refused_outside_debug(client, settings):
    settings.WECHAT_TOKEN = EMULATOR_TOKEN
    response = _post(client, mass_finish_xml(), _query(token=EMULATOR_TOKEN))
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


def test_emulator_token_refusal_is_logged_as_an_error(client, settings, caplog):
    settings.WECHAT_TOKEN = EMULATOR_TOKEN
    wechat_callbacks._log_token_problem.cache_clear()
    with caplog.at_level(logging.ERROR, logger="wechat"):
        _post(client, mass_finish_xml(), _query(token=EMULATOR_TOKEN))
    assert "emulator" in caplog.text


def test_emulator_token_works_in_debug(client, settings):
    settings.WECHAT_TOKEN = EMULATOR_TOKEN
    settings.DEBUG = True
    response = _post(client, mass_finish_xml(), _query(token=EMULATOR_TOKEN))
    assert response.content == b"success"


def test_empty_token_refuses_every_callback(client, settings):
    settings.WECHAT_TOKEN = ""
    response = _post(client, mass_finish_xml(), _query(token=""))
    assert response.status_code == 403
    assert not CallbackEvent.objects.exists()


MSG_ID = "1000000077"


@pytest.fixture
def sent_push(db):
    return PushFactory(state=PushState.SENT, msg_id=MSG_ID, items=[PushableArticleFactory()])


def _forged_finish() -> str:
    return mass_finish_xml(msg_id=MSG_ID).replace(
        "<SentCount>24</SentCount>", "<SentCount>999999</SentCount>"
    )


def _push_after(client, sent_push, django_capture_on_commit_callbacks, xml, query):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, xml, query)
    sent_push.refresh_from_db()
    return response, sent_push


def test_genuine_finish_notice_finishes_the_push(
    client, sent_push, django_capture_on_commit_callbacks
):
    response, push = _push_after(
        client,
        sent_push,
        django_capture_on_commit_callbacks,
        mass_finish_xml(msg_id=MSG_ID),
        _query(),
    )
    assert response.content == b"success"
    assert (push.state, push.sent_count) == (PushState.FINISHED, 24)


@pytest.mark.parametrize(
    "forge",
    [
        lambda: _query(token="guessed-token"),
        lambda: _query(timestamp=int(time.time()) - 15 * 60),
        lambda: _query(timestamp=int(time.time()) - 25 * 365 * 24 * 3600),
    ],
    ids=["bad-signature", "15-minutes-old", "25-years-old"],
)
def test_forged_finish_notice_leaves_the_push_unchanged(
    client, sent_push, django_capture_on_commit_callbacks, forge
):
    response, push = _push_after(
        client, sent_push, django_capture_on_commit_callbacks, _forged_finish(), forge()
    )
    assert response.status_code == 403
    assert (push.state, push.sent_count, push.finish_status) == (PushState.SENT, None, "")
    assert not CallbackEvent.objects.exists()


def test_finish_notice_on_a_replayed_signature_leaves_the_push_unchanged(
    client, sent_push, django_capture_on_commit_callbacks
):
    query = _query()
    assert _post(client, _event(), query).content == b"success"  # a genuine subscribe
    response, push = _push_after(
        client, sent_push, django_capture_on_commit_callbacks, _forged_finish(), query
    )
    assert response.status_code == 403
    assert (push.state, push.sent_count) == (PushState.SENT, None)
    assert not CallbackEvent.objects.filter(event="MASSSENDJOBFINISH").exists()


def test_callbacks_log_no_signature_nonce_or_echostr(client, settings, caplog):
    settings.WECHAT_ENCODING_AES_KEY = AES_KEY
    verification = _query(echostr="echo-secret-0123")
    body, good = _encrypted(mass_finish_xml(msg_id="1000000001"), _query())
    bad_body, bad = _encrypted(mass_finish_xml(msg_id="1000000002"), _query())
    bad["msg_signature"] = "f" * 40
    stale = _query(timestamp=int(time.time()) - 3600)
    plain = _query()
    with caplog.at_level(logging.DEBUG):
        client.get(URL, verification)
        _post(client, body, good)
        _post(client, "<xml/>", good)  # the same signature with another body
        _post(client, bad_body, bad)  # wrong msg_signature
        _post(client, mass_finish_xml(), stale)
        _post(client, mass_finish_xml(), plain)  # plaintext in safe mode
    secrets = ["echo-secret-0123", "f" * 40, good["msg_signature"]]
    for query in (verification, good, bad, stale, plain):
        secrets += [query["signature"], query["nonce"]]
    assert len(caplog.records) >= 4
    assert [s for s in secrets if s in caplog.text] == []
