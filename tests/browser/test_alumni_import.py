"""The office imports a CSV that Excel saved on Chinese Windows (GBK), in a real browser: the
preview speaks Chinese, its headers are the office's column names, and the records arrive."""

import pytest
from playwright.sync_api import expect

from alumni.models import Alumnus
from tests.factories import OfficeAdminFactory

from .conftest import RESULTS
from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GBK_CSV = "姓名,届别,学院,手机\n张伟,2005,计算机学院,13800138000\n欧阳娜娜,2010,外国语学院,\n"


def test_a_gbk_csv_is_previewed_with_chinese_headers_and_imported(open_page):
    page = open_page()
    log_in_to_admin(page, OfficeAdminFactory(username="office"))

    page.goto("/admin/alumni/alumnus/import/")
    page.locator("#id_import_file").set_input_files(
        {"name": "校友名单.csv", "mimeType": "text/csv", "buffer": GBK_CSV.encode("gbk")}
    )
    page.locator("#id_format").select_option(label="csv")
    page.get_by_role("button", name="提交").click()

    preview = page.locator("table.import-preview")
    expect(preview.locator("thead")).to_contain_text("姓名")
    expect(preview.locator("thead")).to_contain_text("届别")
    expect(preview).to_contain_text("欧阳娜娜")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / "alumni-import-preview.png", full_page=True)

    page.get_by_role("button", name="确认导入").click()

    expect(page.locator(".messagelist .success")).to_be_visible()
    assert set(Alumnus.objects.values_list("name", flat=True)) == {"张伟", "欧阳娜娜"}
