"""The custom menu through the gateway and the emulator over HTTP: limits, conditional menus,
publishing after approval (with a fault), drift, taking WeChat's version, publishing again."""

import pytest

from editorial.errors import InvalidValueError, NotAllowedError
from wechat.errors import InvalidRequestError, RetryableError
from wechat.models import Menu, MenuVersionState
from wechat.services.menu import (
    menu_adopt_wechat,
    menu_approve,
    menu_default,
    menu_drift,
    menu_publish,
    menu_remove,
    menu_republish,
    menu_save,
)
from wechat_emulator.api.common import openid_for

pytestmark = pytest.mark.django_db

SITE = "https://alumni.example.edu"
MENU = [
    {"type": "view", "name": "校友新闻", "url": f"{SITE}/news/"},
    {
        "name": "校友服务",
        "sub_button": [
            {"type": "click", "name": "联系我们", "key": "CONTACT"},
            {"type": "view", "name": "我的校友卡", "url": f"{SITE}/me/"},
        ],
    },
]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _raw_create(gateway, buttons):
    """menu/create without the gateway's local check, to see what the emulator answers."""
    return gateway._call("POST", "cgi-bin/menu/create", body={"button": buttons})


# Gateway and emulator


def test_a_created_menu_reads_back_the_same(gateway):
    gateway.menu_create(MENU)
    assert gateway.menu_get().buttons == MENU


def test_no_menu_reads_back_empty(gateway):
    assert gateway.menu_get().buttons == []


@pytest.mark.parametrize(
    ("buttons", "errcode"),
    [
        ([{"type": "click", "name": "a" * 17, "key": "K"}], 40018),
        ([{"type": "click", "name": "a", "key": "K" * 129}], 40019),
        ([{"type": "click", "name": str(i), "key": "K"} for i in range(4)], 40016),
        ([{"name": "a", "sub_button": [{"type": "view", "name": "b" * 61, "url": SITE}]}], 40025),
        (
            [
                {
                    "name": "a",
                    "sub_button": [{"type": "click", "name": str(i), "key": "K"} for i in range(6)],
                }
            ],
            40023,
        ),
        ([{"type": "bogus", "name": "a"}], 40017),
    ],
)
def test_the_emulator_refuses_what_the_contract_limits(gateway, buttons, errcode):
    with pytest.raises(InvalidRequestError) as caught:
        _raw_create(gateway, buttons)
    assert caught.value.errcode == errcode


def test_the_gateway_checks_locally_before_calling(emulator, gateway):
    with pytest.raises(InvalidRequestError) as caught:
        gateway.menu_create([{"type": "click", "name": "a" * 17, "key": "K"}])
    assert caught.value.errcode == 40018
    assert emulator.state.snapshot()["counters"].get("cgi-bin/menu/create", 0) == 0


def test_a_conditional_menu_needs_a_default_menu_first(gateway):
    tag = gateway.tag_create("已绑定校友")
    with pytest.raises(InvalidRequestError) as caught:
        gateway.menu_add_conditional(MENU, matchrule={"tag_id": tag.id})
    assert caught.value.errcode == 65303


def test_a_tagged_follower_sees_the_conditional_menu(gateway):
    tag = gateway.tag_create("已绑定校友")
    gateway.tag_members_add(tag.id, [openid_for(1)])
    gateway.menu_create(MENU)
    card = [{"type": "view", "name": "我的校友卡", "url": f"{SITE}/me/"}]
    gateway.menu_add_conditional(card, matchrule={"tag_id": tag.id})
    assert gateway.menu_try_match(openid_for(1)) == card
    assert gateway.menu_try_match(openid_for(2)) == MENU


def test_deleting_the_menu_deletes_conditional_menus(gateway):
    tag = gateway.tag_create("已绑定校友")
    gateway.menu_create(MENU)
    gateway.menu_add_conditional(MENU, matchrule={"tag_id": tag.id})
    gateway.menu_delete()
    state = gateway.menu_get()
    assert state.buttons == [] and state.conditional == []


# Publishing


def _approved(editor, reviewer, menu, buttons=MENU):
    version = menu_save(menu=menu, buttons=buttons, by=editor)
    return menu_approve(version=version, by=reviewer)


def test_an_approved_menu_reaches_wechat(
    emulator, editor, reviewer, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = _approved(editor, reviewer, menu_default())
    version.refresh_from_db()
    assert version.state == MenuVersionState.PUBLISHED
    assert emulator.state.snapshot()["menu"]["button"][0]["name"] == "校友新闻"


def test_publishing_after_a_busy_wechat_succeeds_on_the_retry(emulator, editor, reviewer):
    version = _approved(editor, reviewer, menu_default())
    emulator.state.set_faults(
        error_rate=1.0, error_codes=[-1], paths=["cgi-bin/menu/create"], times=1
    )
    with pytest.raises(RetryableError):
        menu_publish(version_id=version.pk)
    version.refresh_from_db()
    assert version.state == MenuVersionState.APPROVED
    assert menu_publish(version_id=version.pk).state == MenuVersionState.PUBLISHED
    assert emulator.state.snapshot()["menu"] is not None


def test_publishing_twice_is_harmless(emulator, editor, reviewer):
    version = _approved(editor, reviewer, menu_default())
    menu_publish(version_id=version.pk)
    menu_publish(version_id=version.pk)
    assert emulator.state.snapshot()["counters"]["cgi-bin/menu/create"] == 1


def test_a_conditional_menu_published_twice_is_held_once(emulator, gateway, editor, reviewer):
    tag = gateway.tag_create("已绑定校友")
    gateway.menu_create(MENU)
    menu = Menu.objects.create(name="已绑定校友", tag_id=tag.id, tag_name="已绑定校友")
    version = _approved(editor, reviewer, menu)
    menu_publish(version_id=version.pk)
    version.state = MenuVersionState.APPROVED  # as if the first run lost WeChat's answer
    version.save()
    menu_publish(version_id=version.pk)
    assert len(emulator.state.snapshot()["conditional_menus"]) == 1
    menu.refresh_from_db()
    assert menu.wechat_menuid


def test_a_refusal_is_stored_on_the_version(emulator, editor, reviewer):
    menu = Menu.objects.create(name="不存在的标签", tag_id=999, tag_name="x")
    menu_default_version = _approved(editor, reviewer, menu_default())
    menu_publish(version_id=menu_default_version.pk)
    version = _approved(editor, reviewer, menu)
    version = menu_publish(version_id=version.pk)
    assert version.state == MenuVersionState.FAILED
    assert version.error_code == 40050
    assert version.error_message == "微信上没有此个性化菜单的标签。"


# Drift


def _published(editor, reviewer):
    version = _approved(editor, reviewer, menu_default())
    return menu_publish(version_id=version.pk)


def test_no_drift_right_after_publishing(emulator, editor, reviewer):
    _published(editor, reviewer)
    assert not menu_drift(menu=menu_default()).differs


def test_an_edit_on_wechats_backend_shows_as_drift(emulator, editor, reviewer):
    _published(editor, reviewer)
    emulator.state.menu_edit_in_backend(
        [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    )
    drift = menu_drift(menu=menu_default())
    assert drift.differs
    assert ("+", "官网 — 链接 https://www.example.edu/") in drift.diff
    assert ("-", "校友新闻 — 链接 https://alumni.example.edu/news/") in drift.diff


def test_taking_wechats_version_makes_it_ours(emulator, editor, reviewer):
    _published(editor, reviewer)
    theirs = [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    emulator.state.menu_edit_in_backend(theirs)
    menu = menu_default()
    version = menu_adopt_wechat(menu=menu, by=reviewer, buttons=menu_drift(menu=menu).theirs)
    assert version.state == MenuVersionState.PUBLISHED
    assert not menu_drift(menu=menu).differs


def test_publishing_ours_again_replaces_wechats_edit(emulator, editor, reviewer):
    _published(editor, reviewer)
    emulator.state.menu_edit_in_backend(
        [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    )
    version = menu_republish(menu=menu_default(), by=reviewer)
    menu_publish(version_id=version.pk)
    assert not menu_drift(menu=menu_default()).differs


def test_removing_a_conditional_menu_removes_it_from_wechat(emulator, gateway, editor, reviewer):
    tag = gateway.tag_create("已绑定校友")
    gateway.menu_create(MENU)
    menu = Menu.objects.create(name="已绑定校友", tag_id=tag.id, tag_name="已绑定校友")
    menu_publish(version_id=_approved(editor, reviewer, menu).pk)
    menu.refresh_from_db()
    menu_remove(menu=menu, by=reviewer)
    assert emulator.state.snapshot()["conditional_menus"] == []
    assert not Menu.objects.filter(pk=menu.pk).exists()


def test_an_editor_cannot_remove_a_conditional_menu(emulator, editor):
    menu = Menu.objects.create(name="已绑定校友", tag_id=101, tag_name="已绑定校友")
    with pytest.raises(NotAllowedError):
        menu_remove(menu=menu, by=editor)
    assert Menu.objects.filter(pk=menu.pk).exists()


def test_a_rule_on_personal_data_is_refused(gateway):
    gateway.menu_create(MENU)
    with pytest.raises(InvalidRequestError) as caught:
        gateway.menu_add_conditional(MENU, matchrule={"sex": "1"})
    assert caught.value.errcode == 65320


def test_a_menu_made_on_wechats_backend_is_what_followers_see(emulator, gateway):
    gateway.menu_create(MENU)
    theirs = [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    emulator.state.menu_edit_in_backend(theirs)
    assert gateway.menu_shown().buttons == theirs
    assert gateway.menu_get().buttons == MENU  # the API's own menu, unchanged


def test_a_backend_only_button_cannot_be_taken_as_ours(emulator, editor, reviewer):
    _published(editor, reviewer)
    emulator.state.menu_edit_in_backend([{"type": "text", "name": "简介", "value": "校友会简介"}])
    menu = menu_default()
    drift = menu_drift(menu=menu)
    assert ("+", "简介 — text 校友会简介") in drift.diff
    with pytest.raises(InvalidValueError):
        menu_adopt_wechat(menu=menu, by=reviewer, buttons=drift.theirs)


def test_the_task_retries_a_busy_wechat_and_publishes(emulator, editor, reviewer, celery_eager):
    from wechat.tasks import menu_publish_task

    version = _approved(editor, reviewer, menu_default())
    emulator.state.set_faults(
        error_rate=1.0, error_codes=[-1], paths=["cgi-bin/menu/create"], times=1
    )
    menu_publish_task.delay(version.pk)
    version.refresh_from_db()
    assert version.state == MenuVersionState.PUBLISHED
    assert emulator.state.snapshot()["counters"]["cgi-bin/menu/create"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_approving_at_once_approve_once(postgres_only, editor, monkeypatch):
    import threading

    from django.db import connection

    from editorial.errors import TransitionError
    from tests.factories import ReviewerFactory

    monkeypatch.setattr("wechat.services.menu._enqueue_publish", lambda version_id: None)
    version = menu_save(menu=menu_default(), buttons=MENU, by=editor)
    reviewers = [ReviewerFactory(), ReviewerFactory()]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(reviewer):
        start.wait()
        try:
            menu_approve(version=version, by=reviewer)
            outcomes.append("approved")
        except TransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]


def test_an_older_version_waiting_for_a_retry_does_not_overwrite_a_newer_one(
    emulator, editor, reviewer, second_reviewer
):
    older = _approved(editor, reviewer, menu_default())
    newer = _approved(editor, second_reviewer, menu_default(), buttons=MENU[:1])
    assert menu_publish(version_id=newer.pk).state == MenuVersionState.PUBLISHED
    assert menu_publish(version_id=older.pk).state == MenuVersionState.SUPERSEDED
    assert [b["name"] for b in emulator.state.snapshot()["menu"]["button"]] == ["校友新闻"]
