import time

import pytest

from wechat.models import CallbackEvent

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def _wait_for_event(**lookup) -> CallbackEvent | None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        event = CallbackEvent.objects.filter(**lookup).first()
        if event:
            return event
        time.sleep(0.05)
    return None


def _wait_for_delivery(emulator) -> dict:
    """The emulator's record of its callback, once our answer reached it (after the row)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        callbacks = emulator.state.snapshot()["callbacks"]
        if callbacks and callbacks[0]["delivered"]:
            break
        time.sleep(0.05)
    return callbacks[0] if callbacks else {}


@pytest.mark.parametrize("aes_key", ["", AES_KEY], ids=["plain", "safe-mode"])
def test_emulator_mass_send_finish_reaches_the_live_site(
    emulator, gateway, make_draft, live_server, settings, aes_key
):
    settings.WECHAT_ENCODING_AES_KEY = aes_key
    emulator.state.configure(
        callback_url=f"{live_server.url}/wechat/callback/", encoding_aes_key=aes_key
    )
    result = gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-live-v1")
    event = _wait_for_event(msg_id=result.msg_id)
    assert event is not None
    assert event.payload["sent_count"] == 25
    delivery = _wait_for_delivery(emulator)
    assert (delivery["delivered"], delivery["attempts"]) == (True, 1)
    assert len(emulator.state.snapshot()["callbacks"]) == 1


def test_emulator_retries_a_failing_callback_three_times(
    emulator, gateway, make_draft, live_server
):
    emulator.state.configure(callback_url=f"{live_server.url}/wechat/nowhere/")
    gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-live-v2")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        [delivery] = emulator.state.snapshot()["callbacks"] or [{"attempts": 0}]
        if delivery["attempts"] == 3:
            break
        time.sleep(0.05)
    assert (delivery["attempts"], delivery["delivered"], delivery["status"]) == (3, False, 404)
