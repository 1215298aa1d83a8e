"""The custom menu: validation as the contract's limits say, and the four-eyes approval."""

import pytest

from editorial.errors import InvalidValueError, NotAllowedError, TransitionError
from tests.factories import EditorFactory, ReviewerFactory
from wechat.menu_forms import MenuEditForm
from wechat.models import MenuVersionState
from wechat.services.menu import (
    menu_approve,
    menu_default,
    menu_discard,
    menu_problems,
    menu_rollback,
    menu_save,
)

pytestmark = pytest.mark.django_db

SITE = "https://alumni.example.edu"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.WECHAT_MENU_URL_HOSTS = ["mp.weixin.qq.com"]


def view(name, url=f"{SITE}/news/"):
    return {"type": "view", "name": name, "url": url}


def click(name, key="K"):
    return {"type": "click", "name": name, "key": key}


# Validation


def test_a_menu_within_every_limit_has_no_problems():
    buttons = [
        view("校友新闻"),
        {"name": "校友服务", "sub_button": [click("联系我们", "CONTACT"), view("我的校友卡")]},
        {
            "type": "miniprogram",
            "name": "小程序",
            "url": f"{SITE}/",
            "appid": "wx0123456789abcdef",
            "pagepath": "pages/index",
        },
    ]
    assert menu_problems(buttons) == []


def test_four_buttons_are_refused():
    assert menu_problems([view("一"), view("二"), view("三"), view("四")])


def test_an_empty_menu_is_refused():
    assert menu_problems([])


def test_a_top_name_of_sixteen_bytes_passes_and_seventeen_is_refused():
    assert menu_problems([view("校友之家")]) == []  # 4 characters, 12 bytes
    assert menu_problems([view("a" * 16)]) == []
    [problem] = menu_problems([view("a" * 17)])
    assert "16" in problem and "17" in problem


def test_a_sub_name_counts_bytes_up_to_sixty():
    ok = {"name": "服务", "sub_button": [view("校" * 20)]}  # 60 bytes
    too_long = {"name": "服务", "sub_button": [view("校" * 20 + "a")]}  # 61 bytes
    assert menu_problems([ok]) == []
    [problem] = menu_problems([too_long])
    assert "60" in problem and "61" in problem


def test_six_items_under_a_button_are_refused():
    button = {"name": "服务", "sub_button": [view(f"项{i}") for i in range(6)]}
    assert menu_problems([button])


def test_a_key_over_128_bytes_is_refused():
    assert menu_problems([click("联系", "K" * 128)]) == []
    [problem] = menu_problems([click("联系", "K" * 129)])
    assert "128" in problem


def test_a_plain_http_link_elsewhere_is_refused():
    [problem] = menu_problems([view("新闻", "http://alumni.example.edu.evil.com/")])
    assert "https" in problem


def test_a_link_to_another_host_is_refused():
    [problem] = menu_problems([view("新闻", "https://evil.example.com/")])
    assert "alumni.example.edu" in problem


def test_a_link_with_user_info_is_refused():
    assert menu_problems([view("新闻", "https://alumni.example.edu@evil.example.com/")])


def test_a_javascript_link_is_refused():
    assert menu_problems([view("新闻", "javascript:alert(1)")])


def test_a_link_on_an_allowed_wechat_host_passes():
    assert menu_problems([view("文章", "https://mp.weixin.qq.com/s/abc")]) == []


def test_a_link_over_1024_bytes_is_refused():
    url = f"{SITE}/news/?" + "a" * 1024
    [problem] = menu_problems([view("新闻", url)])
    assert "1024" in problem


def test_a_mini_program_needs_its_appid_page_and_fallback_link():
    problems = menu_problems([{"type": "miniprogram", "name": "小程序"}])
    assert len(problems) == 3


# The form


def form_data(**values):
    data = {}
    for i in range(3):
        data[f"b{i}_type"] = "items"
        for j in range(5):
            data[f"b{i}s{j}_type"] = "view"
    data.update(values)
    return data


def test_the_form_builds_wechats_json_from_its_rows():
    form = MenuEditForm(
        form_data(
            b0_name="新闻",
            b0_type="view",
            b0_page=f"{SITE}/news/",
            b1_name="服务",
            b1s0_name="联系我们",
            b1s0_type="click",
            b1s0_key="CONTACT",
        ),
        pages=[("", "-"), (f"{SITE}/news/", "新闻")],
    )
    assert form.is_valid(), form.errors
    assert form.buttons == [
        {"name": "新闻", "type": "view", "url": f"{SITE}/news/"},
        {"name": "服务", "sub_button": [{"name": "联系我们", "type": "click", "key": "CONTACT"}]},
    ]


def test_the_form_says_in_chinese_what_is_too_long():
    form = MenuEditForm(form_data(b0_name="校友服务中心", b0_type="click", b0_key="K"), pages=[])
    assert not form.is_valid()
    assert "最多 16 个字节" in " ".join(form.non_field_errors())


# Approval


@pytest.fixture
def menu():
    return menu_default()


@pytest.fixture
def buttons():
    return [view("新闻"), {"name": "服务", "sub_button": [click("联系我们", "CONTACT")]}]


def test_an_editor_saves_a_version_awaiting_approval(editor, menu, buttons):
    version = menu_save(menu=menu, buttons=buttons, by=editor)
    assert version.state == MenuVersionState.DRAFT
    assert version.number == 1
    assert version.editor_ids == [editor.pk]


def test_a_menu_with_problems_is_not_saved(editor, menu):
    with pytest.raises(InvalidValueError):
        menu_save(menu=menu, buttons=[view("a" * 17)], by=editor)
    assert not menu.versions.exists()


def test_someone_without_the_menu_permission_cannot_save(liaison, menu, buttons):
    with pytest.raises(NotAllowedError):
        menu_save(menu=menu, buttons=buttons, by=liaison)


def test_another_reviewer_approves(
    editor, reviewer, menu, buttons, django_capture_on_commit_callbacks
):
    version = menu_save(menu=menu, buttons=buttons, by=editor)
    with django_capture_on_commit_callbacks() as callbacks:
        version = menu_approve(version=version, by=reviewer)
    assert version.state == MenuVersionState.APPROVED
    assert version.approved_by == reviewer
    assert len(callbacks) == 1  # the publishing task, after commit


def test_a_reviewer_who_edited_cannot_approve(reviewer, menu, buttons):
    version = menu_save(menu=menu, buttons=buttons, by=reviewer)
    with pytest.raises(NotAllowedError):
        menu_approve(version=version, by=reviewer)
    version.refresh_from_db()
    assert version.state == MenuVersionState.DRAFT


def test_a_reviewer_who_changed_someone_elses_version_cannot_approve(
    editor, reviewer, menu, buttons
):
    menu_save(menu=menu, buttons=buttons, by=editor)
    version = menu_save(menu=menu, buttons=[view("校友新闻")], by=reviewer)
    with pytest.raises(NotAllowedError):
        menu_approve(version=version, by=reviewer)


def test_self_approval_setting_does_not_open_the_menu(settings, reviewer, menu, buttons):
    settings.EDITORIAL_ALLOW_SELF_APPROVAL = True
    version = menu_save(menu=menu, buttons=buttons, by=reviewer)
    with pytest.raises(NotAllowedError):
        menu_approve(version=version, by=reviewer)


def test_an_editor_cannot_approve(editor, menu, buttons):
    version = menu_save(menu=menu, buttons=buttons, by=ReviewerFactory())
    with pytest.raises(NotAllowedError):
        menu_approve(version=version, by=editor)


def test_an_approved_version_cannot_be_approved_again(
    editor, reviewer, second_reviewer, menu, buttons
):
    version = menu_save(menu=menu, buttons=buttons, by=editor)
    menu_approve(version=version, by=reviewer)
    with pytest.raises(TransitionError):
        menu_approve(version=version, by=second_reviewer)


def test_editing_again_changes_the_open_version(editor, menu, buttons):
    first = menu_save(menu=menu, buttons=buttons, by=editor)
    other = EditorFactory()
    second = menu_save(menu=menu, buttons=[view("新闻二")], by=other)
    assert second.pk == first.pk
    assert sorted(second.editor_ids) == sorted([editor.pk, other.pk])


def test_a_discarded_version_cannot_be_approved(editor, reviewer, menu, buttons):
    version = menu_save(menu=menu, buttons=buttons, by=editor)
    menu_discard(version=version, by=editor)
    with pytest.raises(TransitionError):
        menu_approve(version=version, by=reviewer)


def test_a_rollback_is_a_new_version_that_needs_approval(editor, reviewer, menu, buttons):
    old = menu_save(menu=menu, buttons=buttons, by=editor)
    menu_approve(version=old, by=reviewer)
    old.refresh_from_db()
    back = menu_rollback(version=old, by=reviewer)
    assert back.number == 2
    assert back.buttons == old.buttons
    assert back.state == MenuVersionState.DRAFT
    with pytest.raises(NotAllowedError):
        menu_approve(version=back, by=reviewer)  # who rolled back is its editor


def test_the_demo_menu_keeps_every_limit(settings, db):
    from alumni_cms.demo import data

    def button(spec):
        if "sub_button" in spec:
            return {"name": spec["name"], "sub_button": [button(s) for s in spec["sub_button"]]}
        if "path" in spec:
            return {"type": "view", "name": spec["name"], "url": SITE + spec["path"]}
        return spec

    assert menu_problems([button(spec) for spec in data.MENU_BUTTONS]) == []
