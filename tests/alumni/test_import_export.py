"""Import and export for a Chinese office (issue 12, item 8): CSV files saved by Excel on
Chinese Windows (GBK) or as "CSV UTF-8" (with a BOM) import through the admin; exports carry
Chinese headers and a UTF-8 BOM, so Excel opens them without mojibake; errors are Chinese."""

import csv
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alumni.models import Alumnus
from core.spreadsheet import UnreadableFileError, decode_text
from tests.factories import ActivityFactory, AlumnusFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

BOM = "\ufeff".encode()
ROWS = "姓名,届别,手机\n张伟,2005,13800138000\n欧阳娜娜,2010,13900139000\n"


def upload(data: bytes, name: str = "校友.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def preview(client, data: bytes):
    return client.post(
        reverse("admin:alumni_alumnus_import"),
        {"resource": "0", "format": "0", "import_file": upload(data)},
    )


def import_and_confirm(client, data: bytes):
    confirm = preview(client, data).context["confirm_form"]
    return client.post(
        reverse("admin:alumni_alumnus_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )


def stored_names():
    return set(Alumnus.objects.values_list("name", flat=True))


def test_a_gbk_csv_from_excel_imports_with_its_chinese_names(client, office_admin):
    client.force_login(office_admin)

    import_and_confirm(client, ROWS.encode("gbk"))

    assert stored_names() == {"张伟", "欧阳娜娜"}


def test_a_gb18030_csv_with_a_name_outside_gbk_imports(client, office_admin):
    client.force_login(office_admin)

    import_and_confirm(client, "姓名,届别,手机\n𠮷乃,2012,13700137000\n".encode("gb18030"))

    assert stored_names() == {"𠮷乃"}


def test_a_utf8_csv_with_a_bom_imports_and_the_bom_is_not_part_of_the_first_header(
    client, office_admin
):
    client.force_login(office_admin)

    import_and_confirm(client, BOM + ROWS.encode("utf-8"))

    assert stored_names() == {"张伟", "欧阳娜娜"}


def test_an_unreadable_file_gets_a_chinese_message_and_saves_nothing(client, office_admin):
    client.force_login(office_admin)
    garbage = b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x80" + os.urandom(512)

    response = preview(client, garbage)

    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert errors == [
        "无法将此文件读取为 CSV 表格。请在 Excel 中另存为“CSV（逗号分隔）”或“CSV UTF-8”，"
        "或直接上传 Excel 工作簿（.xlsx）。"
    ]
    assert "UnicodeDecodeError" not in response.content.decode()
    assert not Alumnus.objects.exists()


def test_a_file_that_is_no_workbook_chosen_as_excel_gets_a_chinese_message(client, office_admin):
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:alumni_alumnus_import"),
        {"resource": "0", "format": "1", "import_file": upload(b"not a zip", "校友.xlsx")},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == [
        "无法读取此文件。请确认所选格式与文件一致（CSV 或 Excel 工作簿）。"
    ]


def test_the_import_preview_shows_chinese_column_headers(client, office_admin):
    client.force_login(office_admin)

    response = preview(client, "name,class_year,phone\n张伟,2005,13800138000\n".encode())

    headers = response.context["result"].diff_headers
    assert headers[:4] == ["编号", "姓名", "性别", "届别"]
    page = response.content.decode()
    assert "<th>姓名</th>" in page and "Class_Year" not in page and "CLASS_YEAR" not in page


def alumni_export(client):
    response = client.post(
        reverse("admin:alumni_alumnus_export"),
        {"resource": "0", "format": "0", "alumnusresource_name": "on"}
        | {f"alumnusresource_{f}": "on" for f in ("id", "gender", "class_year", "phone")},
    )
    return b"".join(response)


def test_the_alumni_csv_export_starts_with_a_bom_and_has_chinese_headers(client, office_admin):
    AlumnusFactory(name="张伟", phone="13800138000")
    client.force_login(office_admin)

    exported = alumni_export(client)

    assert exported.startswith(BOM)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0] == ["编号", "姓名", "性别", "届别", "电话"]
    assert rows[1][1] == "张伟"


def test_an_exported_alumni_csv_imports_back_as_an_update(client, office_admin):
    alumnus = AlumnusFactory(name="张伟", phone="13800138000", class_year=2005)
    client.force_login(office_admin)
    exported = alumni_export(client).replace("张伟".encode(), "张薇".encode())

    import_and_confirm(client, exported)

    alumnus.refresh_from_db()
    assert (alumnus.name, Alumnus.objects.count()) == ("张薇", 1)


def test_the_registrations_csv_export_starts_with_a_bom_and_has_chinese_headers(
    client, office_admin
):
    registration = RegistrationFactory(activity=ActivityFactory(), name="欧阳娜娜")
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:activities_registration_changelist"),
        {"action": "export_csv", "_selected_action": [registration.pk]},
    )

    assert response.content.startswith(BOM)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["活动", "姓名", "届别", "电话", "状态", "报名时间"]
    assert rows[0][6:9] == ["票号", "签到时间", "入口"]
    assert rows[1][1] == "欧阳娜娜"


def test_a_binary_file_that_happens_to_decode_is_refused_as_unreadable():
    with pytest.raises(UnreadableFileError):
        decode_text(b"\x00\x00\x00\x01IHDR\x00\x00\x00 binary header")


def test_the_export_page_labels_the_columns_in_chinese(client, office_admin):
    client.force_login(office_admin)

    form = client.get(reverse("admin:alumni_alumnus_export")).context["form"]

    labels = [str(form.fields[f"alumnusresource_{f}"].label) for f in ("name", "class_year")]
    assert labels == ["姓名", "届别"]


def test_a_file_without_a_known_column_is_refused_with_a_chinese_message(client, office_admin):
    client.force_login(office_admin)

    response = preview(client, "姓名;届别\n张伟;2005\n".encode("gbk"))

    page = response.content.decode()
    assert "此文件中没有可识别的列（姓名;届别）。第一行须为列名" in page
    assert "Traceback" not in page and "ValueError" not in page
    assert response.context.get("confirm_form") is None
    assert not Alumnus.objects.exists()


def test_a_row_error_names_the_column_by_its_chinese_header(client, office_admin):
    client.force_login(office_admin)

    response = preview(client, "姓名,届别,性别,邮箱\n张伟,2005,未知,not-an-address\n".encode("gbk"))

    row = response.context["result"].invalid_rows[0]
    assert set(row.field_specific_errors) == {"性别", "电子邮箱"}
    assert "部分行的数据未通过校验" in response.content.decode()
    assert '<span class="validation-error-field-label">性别</span>' in response.content.decode()
