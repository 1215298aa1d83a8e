import pytest

from tests.wechat.support import api_calls
from wechat.errors import InvalidRequestError
from wechat_emulator import openid_for


def test_follower_pages_end_with_an_empty_page(emulator, gateway):
    pages = [gateway.followers_page()]
    while not pages[-1].is_last:
        pages.append(gateway.followers_page(pages[-1].next_openid))
    assert [p.count for p in pages] == [10, 10, 5, 0]
    assert pages[2].next_openid == openid_for(24)
    assert pages[0].total == 25


def test_follower_pages_end_with_an_empty_next_openid(emulator, gateway):
    emulator.state.configure(user_get_end="empty_next_openid")
    openids = list(gateway.iter_followers())
    assert openids == [openid_for(i) for i in range(25)]
    assert api_calls(emulator, "cgi-bin/user/get") == 3


def test_iter_followers_skips_unfollowed(emulator, gateway):
    emulator.state.unsubscribe(openid_for(3))
    openids = list(gateway.iter_followers())
    assert len(openids) == 24
    assert openid_for(3) not in openids


def test_unknown_next_openid_is_invalid(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        gateway.followers_page("oSomeoneElse")
    assert caught.value.errcode == 40003


def test_users_info_is_fetched_100_at_a_time(emulator, gateway):
    emulator.state.configure(follower_count=150)
    infos = gateway.users_info([openid_for(i) for i in range(150)])
    assert [i.openid for i in infos] == [openid_for(i) for i in range(150)]
    assert all(i.subscribed for i in infos)
    assert api_calls(emulator, "cgi-bin/user/info/batchget") == 2


def test_tag_members_are_added_50_at_a_time(emulator, gateway):
    emulator.state.configure(follower_count=120)
    tag = gateway.tag_create("北京校友")
    gateway.tag_members_add(tag.id, [openid_for(i) for i in range(120)])
    assert api_calls(emulator, "cgi-bin/tags/members/batchtagging") == 3
    assert [t.count for t in gateway.tags_list() if t.id == tag.id] == [120]
    assert gateway.tags_of(openid_for(7)) == [tag.id]


def test_system_tag_cannot_be_renamed(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        gateway.tag_update(2, "新名字")
    assert caught.value.errcode == 45058


def test_tag_name_over_30_bytes_is_refused(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        gateway.tag_create("一二三四五六七八九十一")  # 11 chars, 33 bytes
    assert caught.value.errcode == 45158
