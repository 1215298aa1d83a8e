"""The menu editor in the admin: edit, preview, approve by a second person, compare with WeChat."""

import pytest
from django.urls import reverse

from tests.factories import ReviewerFactory
from wechat.models import Menu, MenuVersionState
from wechat.services.menu import menu_approve, menu_default, menu_publish, menu_save

pytestmark = pytest.mark.django_db

SITE = "https://alumni.example.edu"
MENU = [
    {"type": "view", "name": "校友新闻", "url": f"{SITE}/news/"},
    {"name": "校友服务", "sub_button": [{"type": "click", "name": "联系我们", "key": "CONTACT"}]},
]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def post_data(**values):
    data = {"_save": "1"}
    for i in range(3):
        data[f"b{i}_type"] = "items"
        for j in range(5):
            data[f"b{i}s{j}_type"] = "view"
    data.update(values)
    return data


def change_url(menu):
    return reverse("admin:wechat_menu_change", args=[menu.pk])


def test_the_editor_shows_the_phone_preview(client, editor):
    menu = menu_default()
    menu_save(menu=menu, buttons=MENU, by=editor)
    client.force_login(editor)
    response = client.get(change_url(menu))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="menu-preview"' in html
    assert "<summary>≡ 校友服务</summary>" in html
    assert "联系我们" in html


def test_an_editor_saves_the_form_as_a_version(client, editor):
    menu = menu_default()
    client.force_login(editor)
    response = client.post(
        change_url(menu),
        post_data(b0_name="新闻", b0_type="view", b0_url=f"{SITE}/news/"),
    )
    assert response.status_code == 302
    version = menu.versions.get()
    assert version.state == MenuVersionState.DRAFT
    assert version.buttons == [{"name": "新闻", "type": "view", "url": f"{SITE}/news/"}]


def test_a_name_too_long_is_shown_in_chinese_and_not_saved(client, editor):
    menu = menu_default()
    client.force_login(editor)
    response = client.post(
        change_url(menu), post_data(b0_name="校友服务中心", b0_type="click", b0_key="K")
    )
    assert response.status_code == 200
    assert "名称最多 16 个字节" in response.content.decode()
    assert not menu.versions.exists()


def test_a_link_to_another_site_is_refused_in_the_form(client, editor):
    menu = menu_default()
    client.force_login(editor)
    response = client.post(
        change_url(menu), post_data(b0_name="新闻", b0_type="view", b0_url="https://evil.example/")
    )
    assert response.status_code == 200
    assert "链接只能指向" in response.content.decode()
    assert not menu.versions.exists()


def test_preview_without_saving_saves_nothing(client, editor):
    menu = menu_default()
    client.force_login(editor)
    data = post_data(b0_name="预览", b0_type="click", b0_key="K")
    del data["_save"]
    data["_preview"] = "1"
    response = client.post(change_url(menu), data)
    assert response.status_code == 200
    assert "预览" in response.content.decode()
    assert not menu.versions.exists()


def test_the_reviewer_who_edited_gets_no_approve_button_and_is_refused(client, reviewer):
    menu = menu_default()
    menu_save(menu=menu, buttons=MENU, by=reviewer)
    client.force_login(reviewer)
    assert 'id="menu-approve"' not in client.get(change_url(menu)).content.decode()
    response = client.post(reverse("admin:wechat_menu_approve", args=[menu.pk]), follow=True)
    assert "需由另一位审核员审核" in response.content.decode()
    assert menu.versions.get().state == MenuVersionState.DRAFT


def test_another_reviewer_approves_from_the_page(
    client, editor, reviewer, emulator, celery_eager, django_capture_on_commit_callbacks
):
    menu = menu_default()
    menu_save(menu=menu, buttons=MENU, by=editor)
    client.force_login(reviewer)
    assert 'id="menu-approve"' in client.get(change_url(menu)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:wechat_menu_approve", args=[menu.pk]))
    assert menu.versions.get().state == MenuVersionState.PUBLISHED
    assert emulator.state.snapshot()["menu"]["button"][1]["name"] == "校友服务"


def test_approving_needs_a_post(client, editor, reviewer):
    menu = menu_default()
    menu_save(menu=menu, buttons=MENU, by=editor)
    client.force_login(reviewer)
    response = client.get(reverse("admin:wechat_menu_approve", args=[menu.pk]))
    assert response.status_code == 405


def test_the_drift_page_shows_wechats_edit(client, editor, reviewer, emulator):
    menu = menu_default()
    version = menu_approve(version=menu_save(menu=menu, buttons=MENU, by=editor), by=reviewer)
    menu_publish(version_id=version.pk)
    emulator.state.menu_edit_in_backend(
        [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    )
    client.force_login(reviewer)
    html = client.get(reverse("admin:wechat_menu_drift", args=[menu.pk])).content.decode()
    assert 'id="menu-drift"' in html
    assert "官网 — 链接 https://www.example.edu/" in html
    assert 'id="menu-adopt"' in html


def test_the_drift_page_says_when_wechat_cannot_be_reached(client, reviewer, emulator):
    emulator.state.set_faults(http_error_rate=1.0, http_status=503)
    client.force_login(reviewer)
    response = client.get(reverse("admin:wechat_menu_drift", args=[menu_default().pk]))
    assert response.status_code == 200
    assert 'id="menu-drift-error"' in response.content.decode()


def test_taking_wechats_version_from_the_page(client, editor, reviewer, emulator):
    menu = menu_default()
    version = menu_approve(version=menu_save(menu=menu, buttons=MENU, by=editor), by=reviewer)
    menu_publish(version_id=version.pk)
    emulator.state.menu_edit_in_backend(
        [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    )
    client.force_login(reviewer)
    client.post(reverse("admin:wechat_menu_adopt", args=[menu.pk]))
    latest = menu.versions.order_by("-number").first()
    assert latest.state == MenuVersionState.PUBLISHED
    assert latest.buttons[0]["name"] == "官网"


def test_an_editor_cannot_take_wechats_version(client, editor, emulator):
    menu = menu_default()
    emulator.state.menu_edit_in_backend(
        [{"type": "view", "name": "官网", "url": "https://www.example.edu/"}]
    )
    client.force_login(editor)
    client.post(reverse("admin:wechat_menu_adopt", args=[menu.pk]))
    assert not menu.versions.exists()


def test_a_conditional_menu_is_added_for_a_tag(client, office_admin, emulator, gateway):
    tag = gateway.tag_create("已绑定校友")
    client.force_login(office_admin)
    response = client.post(
        reverse("admin:wechat_menu_add"), {"name": "已绑定校友", "tag": str(tag.id)}
    )
    menu = Menu.objects.get(tag_id=tag.id)
    assert response.status_code == 302
    assert menu.tag_name == "已绑定校友"


def test_the_menu_list_runs_the_same_queries_for_more_menus(client, editor, queries_for):
    client.force_login(editor)
    menu_save(menu=menu_default(), buttons=MENU, by=editor)
    url = reverse("admin:wechat_menu_changelist")
    few = queries_for(url)
    for n in range(3):
        menu = Menu.objects.create(name=f"菜单{n}", tag_id=200 + n, tag_name=f"t{n}")
        menu_save(menu=menu, buttons=MENU, by=editor)
    assert queries_for(url) == few


def test_rollback_from_the_page_makes_a_version_awaiting_approval(client, editor, reviewer):
    menu = menu_default()
    first = menu_approve(version=menu_save(menu=menu, buttons=MENU, by=editor), by=reviewer)
    first.state = MenuVersionState.PUBLISHED
    first.save()
    second = menu_save(menu=menu, buttons=MENU[:1], by=editor)
    menu_approve(version=second, by=ReviewerFactory())
    second.refresh_from_db()
    second.state = MenuVersionState.PUBLISHED
    second.save()
    first.state = MenuVersionState.SUPERSEDED
    first.save()
    client.force_login(editor)
    client.post(reverse("admin:wechat_menu_rollback", args=[menu.pk, first.number]))
    back = menu.versions.order_by("-number").first()
    assert back.number == 3 and back.state == MenuVersionState.DRAFT
    assert back.buttons == MENU


def test_button_names_are_shown_escaped(client, editor):
    menu = menu_default()
    menu_save(
        menu=menu,
        buttons=[{"type": "click", "name": "<i>x</i>", "key": "K"}],
        by=editor,
    )
    client.force_login(editor)
    html = client.get(change_url(menu)).content.decode()
    assert "<span>&lt;i&gt;x&lt;/i&gt;</span>" in html
    assert "<i>x</i>" not in html


def test_an_editor_cannot_approve_from_the_page(client, editor, reviewer):
    menu = menu_default()
    menu_save(menu=menu, buttons=MENU, by=reviewer)
    client.force_login(editor)
    client.post(reverse("admin:wechat_menu_approve", args=[menu.pk]))
    assert menu.versions.get().state == MenuVersionState.DRAFT


def test_the_new_conditional_menu_page_lists_wechats_tags(client, office_admin, emulator, gateway):
    gateway.tag_create("已绑定校友")
    client.force_login(office_admin)
    response = client.get(reverse("admin:wechat_menu_add"))
    assert response.status_code == 200
    assert "已绑定校友" in response.content.decode()


def test_a_tag_gets_one_menu_only(client, office_admin, emulator, gateway):
    tag = gateway.tag_create("已绑定校友")
    Menu.objects.create(name="已绑定校友", tag_id=tag.id, tag_name="已绑定校友")
    client.force_login(office_admin)
    response = client.post(reverse("admin:wechat_menu_add"), {"name": "再来一个", "tag": tag.id})
    assert response.status_code == 200
    assert "此标签已有菜单" in response.content.decode()
    assert Menu.objects.filter(tag_id=tag.id).count() == 1


def test_an_empty_menu_page_shows_an_empty_phone(client, reviewer):
    client.force_login(reviewer)
    response = client.get(change_url(menu_default()))
    assert response.status_code == 200
    assert "无菜单" in response.content.decode()
