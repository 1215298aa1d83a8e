"""Building follower pushes and reading the passive replies, for the reply and inbox tests."""

import time
import xml.etree.ElementTree as ET
from itertools import count

from wechat_emulator import callbacks

TOKEN = "reply-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx-reply-test"
ACCOUNT = "gh_replytest01"
FOLLOWER = "oREPLY000000000000000000001"

_msg_ids = count(9_100_000_000)


def text_xml(content: str, *, openid: str = FOLLOWER, msg_id: str | None = None) -> str:
    return callbacks.message_xml(
        to_user=ACCOUNT,
        from_user=openid,
        create_time=int(time.time()),
        msg_type="text",
        msg_id=msg_id or str(next(_msg_ids)),
        fields={"Content": content},
    )


def message_xml(msg_type: str, *, openid: str = FOLLOWER, **fields) -> str:
    return callbacks.message_xml(
        to_user=ACCOUNT,
        from_user=openid,
        create_time=int(time.time()),
        msg_type=msg_type,
        msg_id=str(next(_msg_ids)),
        fields=fields,
    )


def subscribe_xml(openid: str = FOLLOWER) -> str:
    return callbacks.event_xml(
        to_user=ACCOUNT,
        from_user=openid,
        create_time=int(time.time()),
        event="subscribe",
        body=callbacks.subscribe_body("subscribe"),
    )


def post(client, xml: str, *, aes_key: str = ""):
    url, body = callbacks.signed_request(
        url="/wechat/callback/",
        xml=xml,
        openid=FOLLOWER,
        token=TOKEN,
        encoding_aes_key=aes_key,
        app_id=APP_ID,
        to_user=ACCOUNT,
    )
    return client.post(url, data=body, content_type="text/xml")


def reply_of(response) -> dict:
    """The plaintext reply's fields ({} for "success")."""
    text = response.content.decode()
    if text == "success":
        return {}
    root = ET.fromstring(text)
    fields = {child.tag: child.text or "" for child in root if len(child) == 0}
    if root.find("Image") is not None:
        fields["MediaId"] = root.findtext("Image/MediaId")
    items = root.findall("Articles/item")
    if items:
        fields["Articles"] = [{c.tag: c.text or "" for c in item} for item in items]
    return fields
