"""Issue 12, item 7: people are named 林晓舟 (not 晓舟 林 or their login); "Change" reads 修改."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from articles.models import Category
from audience.models import ProfileChange
from donations.services import gift_save
from editorial import services
from editorial.models import State
from editorial.signals import item_withdrawn
from stats.models import UserSource
from tests.factories import (
    AlumnusFactory,
    ArticleFactory,
    DonationsOfficerFactory,
    EditorFactory,
    GiftFactory,
    PushFactory,
    ReviewerFactory,
    UserFactory,
)
from wechat.models import PushEventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def lin(db):
    """An editor whose login is not her name."""
    return EditorFactory(username="linxz", first_name="晓舟", last_name="林")


@pytest.fixture
def gu(db):
    return ReviewerFactory(username="guml", first_name="明澜", last_name="顾")


def _change_url(item):
    opts = item._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[item.pk])


def test_the_email_to_reviewers_names_the_submitter_family_name_first(
    lin, gu, django_capture_on_commit_callbacks
):
    article = ArticleFactory(created_by=lin, title="校友返校日")
    with django_capture_on_commit_callbacks(execute=True):
        services.item_submit(item=article, by=lin)
    (message,) = mail.outbox
    assert "林晓舟 提交了新闻“校友返校日”" in message.body
    assert "晓舟 林" not in message.body


def test_the_email_to_the_author_names_the_reviewer_family_name_first(
    lin, gu, django_capture_on_commit_callbacks
):
    article = ArticleFactory(created_by=lin, title="校友返校日")
    services.item_submit(item=article, by=lin)
    with django_capture_on_commit_callbacks(execute=True):
        services.item_reject(item=article, by=gu, reason="请补充时间")
    (message,) = mail.outbox
    assert message.to == [lin.email]
    assert "顾明澜" in message.body


def test_the_items_audit_trail_names_people_not_logins(client, lin, gu):
    article = ArticleFactory(created_by=lin)
    services.item_submit(item=article, by=lin)
    client.force_login(gu)
    html = client.get(_change_url(article)).content.decode()
    trail = html.split('id="editorial-audit-trail"', 1)[1]
    assert "<td>林晓舟</td>" in trail
    assert "linxz" not in trail


def test_review_comments_name_the_reviewer(client, lin, gu):
    article = ArticleFactory(created_by=lin)
    services.item_submit(item=article, by=lin)
    client.force_login(gu)
    client.post(
        reverse("admin:articles_article_comment", args=[article.pk]), {"body": "请补充时间"}
    )
    html = client.get(_change_url(article)).content.decode()
    comments = html.split('id="editorial-comments"', 1)[1].split('id="editorial-audit-trail"')[0]
    assert "<td>顾明澜</td>" in comments
    assert "guml" not in comments


def test_the_audit_log_lists_people_by_name(client, lin, office_admin):
    services.item_submit(item=ArticleFactory(created_by=lin), by=lin)
    client.force_login(office_admin)
    response = client.get(reverse("admin:editorial_auditentry_changelist"))
    html = response.content.decode()
    assert "林晓舟" in html
    assert ">linxz<" not in html


def test_the_audit_log_finds_entries_by_a_persons_family_name(client, lin, office_admin):
    services.item_submit(item=ArticleFactory(created_by=lin), by=lin)
    client.force_login(office_admin)
    response = client.get(reverse("admin:editorial_auditentry_changelist"), {"q": "林"})
    assert response.context["cl"].result_count == 1


def test_the_gift_audit_trail_names_the_officer(client):
    officer = DonationsOfficerFactory(username="fangyq", first_name="雅琴", last_name="方")
    gift = GiftFactory(amount=Decimal("100.00"))
    gift.amount = Decimal("150.00")
    gift_save(gift=gift, by=officer)
    client.force_login(officer)
    html = client.get(reverse("admin:donations_gift_change", args=[gift.pk])).content.decode()
    assert "方雅琴" in html
    assert "fangyq ·" not in html


def test_editing_a_published_item_withdraws_it_naming_who_changed_it(
    lin, django_capture_on_commit_callbacks
):
    reasons = []

    def listener(sender, item, by, reason="", **kwargs):
        reasons.append(reason)

    article = ArticleFactory(state=State.PUBLISHED, created_by=lin)
    item_withdrawn.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.item_save(item=article, by=lin, data={"title": "改过的标题"})
    finally:
        item_withdrawn.disconnect(listener)
    assert reasons == ["已由 林晓舟 修改，需重新审核。"]


def test_the_push_timeline_names_who_acted(client, push_editor, lin):
    push = PushFactory(created_by=push_editor)
    push.events.create(kind=PushEventKind.CREATED, user=lin)
    client.force_login(push_editor)
    html = client.get(f"/admin/wechat/push/{push.pk}/change/").content.decode()
    timeline = html.split('id="push-timeline"', 1)[1]
    assert "<td>林晓舟</td>" in timeline
    assert "linxz" not in timeline


def test_alumni_record_changes_name_the_office_member(admin_client, lin):
    ProfileChange.objects.create(alumnus=AlumnusFactory(), user=lin, field="city", new_value="上海")
    html = admin_client.get(reverse("admin:audience_profilechange_changelist")).content.decode()
    assert "林晓舟" in html
    assert ">linxz<" not in html


def test_the_admin_says_xiugai_for_change(client, office_admin):
    client.force_login(office_admin)
    html = client.get(reverse("admin:index")).content.decode()
    assert re.search(r'class="changelink"[^>]*>修改</a>', html)
    assert "变化" not in html


def test_the_login_lockout_tables_are_named_in_chinese_in_the_admin(client, office_admin):
    """django-axes ships no Chinese: its tables read 登录尝试 / 登录失败记录 / 登录日志."""
    client.force_login(office_admin)
    html = client.get(reverse("admin:index")).content.decode()
    for name in ("登录尝试", "登录失败记录", "登录日志"):
        assert f">{name}</a>" in html
    assert "Access attempts" not in html
    assert "Access logs" not in html
    assert ">登录锁定</a>" in html
    assert ">Axes</a>" not in html


def test_the_filter_column_reads_an_zhuangtai(client, office_admin):
    client.force_login(office_admin)
    html = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert re.search(r"<summary>\s*按状态\s*</summary>", html)
    assert "以 状态" not in html


def test_the_change_form_title_reads_xiugai_and_the_type_without_a_space(client, lin):
    article = ArticleFactory(created_by=lin, title="校友返校日")
    client.force_login(lin)
    html = client.get(_change_url(article)).content.decode()
    assert "| 修改新闻 |" in html.split("</title>")[0]


def test_the_admin_history_page_names_the_person_not_login_and_western_order(client):
    fang = UserFactory(
        username="fangyq", first_name="雅琴", last_name="方", is_staff=True, is_superuser=True
    )
    client.force_login(fang)
    add = reverse("admin:articles_category_add")
    client.post(add, {"name": "校友动态", "slug": "alumni-news", "position": "0"})
    category = Category.objects.get(name="校友动态")
    history = reverse("admin:articles_category_history", args=[category.pk])
    html = client.get(history).content.decode()
    table = html.split('id="change-history"', 1)[1]
    assert "<td>方雅琴</td>" in table
    assert "雅琴 方" not in table


def test_the_admin_search_button_says_sousuo(client, office_admin):
    client.force_login(office_admin)
    html = client.get(reverse("admin:editorial_auditentry_changelist")).content.decode()
    assert 'value="搜索"' in html
    assert "搜一搜" not in html


def test_wechat_search_as_a_reading_source_is_still_sousuosou():
    assert str(UserSource.SEARCH.label) == "搜一搜"
