import time

import pytest

from wechat.errors import DuplicateSendError, QuotaError, RetryableError


def test_same_client_msg_id_raises_duplicate_with_the_original_msg_id(
    emulator, gateway, make_draft
):
    media_id = make_draft()
    first = gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-1-v1")
    with pytest.raises(DuplicateSendError) as caught:
        gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-1-v1")
    assert caught.value.msg_id == first.msg_id
    assert len(emulator.state.snapshot()["sends"]) == 1


def test_dropped_connection_after_commit_is_retryable_and_the_retry_is_a_duplicate(
    emulator, gateway, make_draft
):
    media_id = make_draft()
    emulator.state.set_faults(drop_after_commit_rate=1.0, times=1, paths=["message/mass/sendall"])
    with pytest.raises(RetryableError):
        gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-2-v1")
    [recorded] = emulator.state.snapshot()["sends"]
    with pytest.raises(DuplicateSendError) as caught:
        gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-2-v1")
    assert caught.value.msg_id == recorded["msg_id"]


def test_retry_within_the_window_is_too_fast(emulator, gateway, make_draft):
    emulator.state.configure(clientmsgid_retry_window=60)
    media_id = make_draft()
    gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-3-v1")
    with pytest.raises(RetryableError) as caught:
        gateway.mass_send(media_id=media_id, tag_id=None, client_msg_id="cms-article-3-v1")
    assert caught.value.errcode == 45066
    assert caught.value.retry_after == 60


def test_subscription_account_gets_one_mass_send_a_day(emulator, gateway, make_draft):
    gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-a-v1")
    with pytest.raises(QuotaError) as caught:
        gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-b-v1")
    assert caught.value.user_message == "公众号今天的群发次数已用完，请明天再发送。"
    emulator.state.advance_clock(24 * 3600)
    assert gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-b-v1").msg_id


def test_send_by_tag_reaches_only_the_tagged_followers(emulator, gateway, make_draft):
    tag = gateway.tag_create("上海校友")
    members = gateway.followers_page().openids[:3]
    gateway.tag_members_add(tag.id, members)
    result = gateway.mass_send(media_id=make_draft(), tag_id=tag.id, client_msg_id="cms-tag-v1")
    [delivery] = emulator.state.snapshot()["inbox"]
    assert delivery["msg_id"] == result.msg_id
    assert delivery["recipients"] == 3
    assert delivery["sample_openids"] == members


def test_mass_status_turns_to_success_when_the_job_finishes(emulator, gateway, make_draft):
    result = gateway.mass_send(media_id=make_draft(), tag_id=None, client_msg_id="cms-st-v1")
    assert gateway.mass_status(result.msg_id).status == "SENDING"
    deadline = time.monotonic() + 3
    while gateway.mass_status(result.msg_id).status == "SENDING" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gateway.mass_status(result.msg_id).status == "SEND_SUCCESS"
