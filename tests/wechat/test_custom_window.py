"""WeChat's customer-service windows as the emulator keeps them (WeChat's rules since June
2023, wechat/README.md): a follower's message allows 5 messages within 48 hours; a follow or a
QR scan 3 within a minute; a new interaction while a window is open keeps the longer time and
the larger count. Over HTTP through the gateway."""

import pytest

from wechat.errors import CustomWindowClosedError, InvalidRequestError
from wechat_emulator.api.common import openid_for

OPENID = openid_for(2)


def send(gateway, n=1):
    for number in range(n):
        gateway.custom_send_text(openid=OPENID, content=f"第{number + 1}条")


def test_a_message_allows_five_answers_and_the_sixth_is_refused(emulator, gateway):
    emulator.state.touch_follower(2)
    send(gateway, 5)
    with pytest.raises(InvalidRequestError) as refused:
        send(gateway)
    assert refused.value.errcode == 45047
    assert len(emulator.state.snapshot()["custom_messages"]) == 5


def test_a_new_message_allows_five_more(emulator, gateway):
    emulator.state.touch_follower(2)
    send(gateway, 5)
    emulator.state.touch_follower(2)
    send(gateway, 5)
    assert len(emulator.state.snapshot()["custom_messages"]) == 10


def test_a_message_window_closes_after_48_hours(emulator, gateway):
    emulator.state.touch_follower(2)
    emulator.state.advance_clock(48 * 3600 + 1)
    with pytest.raises(CustomWindowClosedError):
        send(gateway)


def test_a_follow_allows_three_messages_within_a_minute(emulator, gateway):
    emulator.state.subscribe(OPENID)
    send(gateway, 3)
    with pytest.raises(InvalidRequestError) as refused:
        send(gateway)
    assert refused.value.errcode == 45047


def test_a_follow_opens_no_48_hour_window(emulator, gateway):
    emulator.state.subscribe(OPENID)
    emulator.state.advance_clock(61)
    with pytest.raises(CustomWindowClosedError):
        send(gateway)


def test_a_scan_during_a_message_window_keeps_its_48_hours(emulator, gateway):
    ticket = gateway.qrcode_create(scene="branch-x").ticket
    emulator.state.touch_follower(2)
    emulator.state.qrcode_scan(ticket=ticket, openid=OPENID)
    emulator.state.advance_clock(3600)
    send(gateway, 5)
    assert len(emulator.state.snapshot()["custom_messages"]) == 5
