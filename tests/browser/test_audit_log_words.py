"""The office admin's audit log (审计记录) names each action in Chinese, in the list and in its
filter (screenshot test-results/audit-log.png). Found on the demo: the list's 操作 column and
filter showed the codes, editorial.item.approved, editorial.item.imported…"""

import pytest
from playwright.sync_api import expect

from editorial import services
from tests.factories import ArticleFactory, EditorFactory, OfficeAdminFactory, ReviewerFactory

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_audit_log_says_what_happened_in_chinese(open_page):
    editor, reviewer = EditorFactory(), ReviewerFactory()
    article = ArticleFactory(created_by=editor)
    services.item_submit(item=article, by=editor)
    services.item_approve(item=article, by=reviewer)
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory(username="officeadmin"))
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto("/admin/editorial/auditentry/")
    actions = page.locator("#result_list td.field-action_label")
    expect(actions).to_have_text(["审核通过", "提交审核"])
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "audit-log.png"))

    page.get_by_role("button", name="过滤器").click()
    page.locator("#changelist-filter").get_by_role("link", name="审核通过").click()
    expect(actions).to_have_text(["审核通过"])
    expect(page.locator("#changelist-filter")).not_to_contain_text("editorial.item")
