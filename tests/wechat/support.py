"""Helpers for the WeChat tests."""

import io

from PIL import Image


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, fmt)
    return buffer.getvalue()


def api_calls(emulator, path: str) -> int:
    """How many times the emulator was called on `path` (e.g. "cgi-bin/stable_token")."""
    return emulator.state.snapshot()["counters"].get(path, 0)


def mass_finish_xml(*, msg_id: str = "1000000001", create_time: int = 1_700_000_000) -> str:
    """A MASSSENDJOBFINISH push as the emulator (and WeChat) writes it."""
    from wechat_emulator import callbacks

    send = {
        "msg_id": msg_id,
        "finish_status": "send success",
        "total_count": 25,
        "filter_count": 25,
        "sent_count": 24,
        "error_count": 1,
        "articles": [{"idx": 1, "url": "https://mp.weixin.qq.com/s?mid=1&idx=1"}],
    }
    return callbacks.event_xml(
        to_user="gh_test",
        from_user="oMPHELPER0000000000000000000",
        create_time=create_time,
        event="MASSSENDJOBFINISH",
        body=callbacks.mass_finish_body(send),
    )


def signed_post(client, xml: str, *, token: str, aes_key: str = "", app_id: str = ""):
    """POST `xml` to the callback view signed (and encrypted when `aes_key`) like WeChat."""
    from wechat_emulator import callbacks

    url, body = callbacks.signed_request(
        url="/wechat/callback/",
        xml=xml,
        openid="oMPHELPER0000000000000000000",
        token=token,
        encoding_aes_key=aes_key,
        app_id=app_id,
        to_user="gh_test",
    )
    return client.post(url, data=body, content_type="text/xml")
