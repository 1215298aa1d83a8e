"""The emulator's own behaviour where the gateway does not show it (raw requests)."""

import json

from tests.wechat.support import image_bytes
from wechat.gateway import ArticleFields, WeChatGateway
from wechat_emulator import EmulatorConfig, EmulatorServer, openid_for


def _token(state) -> str:
    config = state.config
    query = {"grant_type": "client_credential", "appid": config.app_id, "secret": config.app_secret}
    return state.handle("GET", "/cgi-bin/token", query, b"")["access_token"]


def _post(state, path, payload, token, raw: bytes | None = None) -> dict:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    return state.handle("POST", path, {"access_token": token}, body)


def test_call_without_token_is_refused(emulator):
    answer = emulator.state.handle("GET", "/cgi-bin/tags/get", {}, b"")
    assert answer["errcode"] == 41001


def test_previous_token_works_during_the_grace_period_then_expires(emulator):
    state = emulator.state
    old = _token(state)
    _token(state)
    assert "tags" in state.handle("GET", "/cgi-bin/tags/get", {"access_token": old}, b"")
    state.advance_clock(301)
    assert state.handle("GET", "/cgi-bin/tags/get", {"access_token": old}, b"")["errcode"] == 42001


def test_escaped_unicode_json_is_refused(emulator):
    token = _token(emulator.state)
    raw = json.dumps({"tag": {"name": "上海"}}).encode()  # ensure_ascii: \\u4e0a\\u6d77
    assert _post(emulator.state, "/cgi-bin/tags/create", None, token, raw=raw)["errcode"] == 40033


def test_batchget_over_100_openids_is_refused(emulator):
    token = _token(emulator.state)
    users = [{"openid": openid_for(i % 25)} for i in range(101)]
    answer = _post(emulator.state, "/cgi-bin/user/info/batchget", {"user_list": users}, token)
    assert answer["errcode"] == 40032


def test_client_msg_id_over_64_bytes_is_refused(emulator, make_draft):
    token = _token(emulator.state)
    payload = {
        "filter": {"is_to_all": True},
        "mpnews": {"media_id": make_draft()},
        "msgtype": "mpnews",
        "clientmsgid": "校" * 22,  # 66 bytes
    }
    answer = _post(emulator.state, "/cgi-bin/message/mass/sendall", payload, token)
    assert answer["errcode"] == 45067
    assert emulator.state.snapshot()["sends"] == []


def test_finish_counts_add_up_with_delivery_errors(emulator, gateway, make_draft):
    emulator.state.configure(delivery_error_rate=0.2)
    gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-err-v1")
    [send] = emulator.state.snapshot()["sends"]
    assert (send["total_count"], send["filter_count"]) == (25, 25)
    assert (send["sent_count"], send["error_count"]) == (20, 5)


def test_service_account_filters_followers_past_four_sends_a_month(emulator, gateway, cover):
    emulator.state.configure(account_type="service")
    for n in range(5):
        article = ArticleFields(
            title=f"第{n}期", content="<p>正文</p>", thumb_media_id=cover.media_id
        )
        media_id = gateway.add_draft([article])
        gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id=f"cms-svc-{n}")
    sends = emulator.state.snapshot()["sends"]
    assert [s["filter_count"] for s in sends] == [25, 25, 25, 25, 0]


def test_review_failure_is_reported_as_send_fail(emulator, gateway, make_draft):
    emulator.state.set_faults(send_status="err(20001)")
    result = gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-fail-v1")
    emulator.state.advance_clock(1)
    [send] = emulator.state.snapshot()["sends"]
    assert (send["finish_status"], send["sent_count"]) == ("err(20001)", 0)
    assert send["msg_id"] == result.msg_id


def test_state_file_keeps_drafts_across_restarts(tmp_path, settings):
    config = EmulatorConfig(app_id="wx-state-file", app_secret="s", follower_count=3)
    state_file = str(tmp_path / "emulator.json")
    with EmulatorServer(config=config, state_file=state_file) as first:
        gateway = WeChatGateway(base_url=first.url, app_id="wx-state-file", app_secret="s")
        gateway.tokens.clear()
        cover = gateway.add_image_material(image_bytes(), "cover.jpg")
        media_id = gateway.add_draft(
            [ArticleFields(title="留存", content="<p>正文</p>", thumb_media_id=cover.media_id)]
        )
    with EmulatorServer(config=config, state_file=state_file) as second:
        drafts = second.state.snapshot()["drafts"]
    assert [(d["media_id"], d["articles"][0]["title"]) for d in drafts] == [(media_id, "留存")]
    gateway.tokens.clear()


def test_settle_waits_for_a_callback_being_delivered(emulator):
    """The fixtures call settle() before the database is flushed: it returns only once the
    site has answered every callback the emulator started."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class SlowSite(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(0.4)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"success")

        def log_message(self, *args):
            pass

    site = HTTPServer(("127.0.0.1", 0), SlowSite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        emulator.state.configure(callback_url=f"http://127.0.0.1:{site.server_port}/cb/")
        emulator.state.subscribe()
        assert emulator.state.settle(timeout=5)
        [entry] = emulator.state.snapshot()["callbacks"]
        assert entry["status"] == 200
    finally:
        site.shutdown()
