"""The office's screens: masked contact details, export permission, all-or-nothing import,
binding by hand, and the audience admins' query counts."""

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alumni.admin import AlumnusResource
from alumni.models import Alumnus
from audience.models import Follower, ProfileChange, RecordRequest
from audience.services import follower_bind, profile_update
from tests.factories import (
    AlumnusFactory,
    BranchFactory,
    EditorFactory,
    FollowerFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db

EXPORT_FIELDS = [
    "id", "name", "gender", "class_year", "college", "major", "city", "employer", "phone",
    "email", "branch", "notes",
]  # fmt: skip
GOOD_ROWS = "name,class_year,phone,email\n张伟,2005,13800138000,zw@example.com\n李娜,2010,,\n"


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("alumni.csv", text.encode("utf-8"), content_type="text/csv")


def import_preview(client, upload):
    return client.post(
        reverse("admin:alumni_alumnus_import"),
        {"resource": "0", "format": "0", "import_file": upload},
    )


def test_alumni_list_masks_phone_and_email(client, office_admin):
    AlumnusFactory(phone="13800138000", email="zhang.wei@example.com")
    client.force_login(office_admin)

    page = client.get(reverse("admin:alumni_alumnus_changelist")).content.decode()

    assert "138****8000" in page and "z***@example.com" in page
    assert "13800138000" not in page and "zhang.wei@example.com" not in page


def test_record_requests_list_masks_contact_details(client, office_admin):
    RecordRequest.objects.create(
        follower=FollowerFactory(), name="李娜", class_year=2010, phone="13900001111"
    )
    client.force_login(office_admin)

    page = client.get(reverse("admin:audience_recordrequest_changelist")).content.decode()

    assert "139****1111" in page and "13900001111" not in page


def test_export_is_refused_without_the_export_permission(client):
    AlumnusFactory()
    client.force_login(EditorFactory())

    response = client.get(reverse("admin:alumni_alumnus_export"))

    assert response.status_code == 403


def test_export_with_the_permission_gives_full_records(client, office_admin):
    AlumnusFactory(name="张伟", phone="13800138000")
    client.force_login(office_admin)
    form = {"resource": "0", "format": "0"}
    form.update({f"alumnusresource_{field}": "on" for field in EXPORT_FIELDS})

    response = client.post(reverse("admin:alumni_alumnus_export"), form)

    assert response.status_code == 200
    exported = b"".join(response).decode("utf-8-sig")
    assert "张伟" in exported and "13800138000" in exported


def test_office_admin_role_holds_the_export_permission(office_admin):
    assert office_admin.has_perm("alumni.export_alumnus")
    assert not EditorFactory().has_perm("alumni.export_alumnus")


def test_import_preview_lists_rows_and_saves_nothing_yet(client, office_admin):
    client.force_login(office_admin)

    response = import_preview(client, csv_upload(GOOD_ROWS))

    assert response.status_code == 200
    assert "张伟" in response.content.decode()
    assert response.context["confirm_form"] is not None
    assert not Alumnus.objects.exists()


def test_confirmed_import_creates_the_records(client, office_admin):
    client.force_login(office_admin)
    confirm = import_preview(client, csv_upload(GOOD_ROWS)).context["confirm_form"]

    client.post(
        reverse("admin:alumni_alumnus_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )

    assert set(Alumnus.objects.values_list("name", flat=True)) == {"张伟", "李娜"}


def test_import_with_bad_rows_shows_them_and_cannot_be_confirmed(client, office_admin):
    client.force_login(office_admin)
    bad = GOOD_ROWS + "王芳,not-a-year,,\n赵磊,2001,,bad-address\n"

    response = import_preview(client, csv_upload(bad))

    page = response.content.decode()
    assert "not-a-year" in page and "bad-address" in page
    assert "届别必须是四位数的年份" in page
    assert response.context.get("confirm_form") is None
    assert not Alumnus.objects.exists()


def test_import_with_one_bad_row_saves_no_row():
    dataset = tablib.Dataset(headers=["姓名", "届别", "校友分会"])
    dataset.append(["张伟", "2005", ""])
    dataset.append(["李娜", "2010", "不存在的分会"])

    result = AlumnusResource().import_data(dataset, dry_run=False)

    assert result.has_errors() or result.has_validation_errors()
    assert not Alumnus.objects.exists()


def test_import_reads_chinese_headers_branches_and_genders():
    BranchFactory(name="上海校友会")
    dataset = tablib.Dataset(headers=["姓名", "性别", "届别", "校友分会", "手机号"])
    dataset.append(["张伟", "男", "2005", "上海校友会", "13800138000"])

    result = AlumnusResource().import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    alumnus = Alumnus.objects.get()
    assert (alumnus.gender, alumnus.branch.name, alumnus.phone) == (
        "m",
        "上海校友会",
        "13800138000",
    )


def import_rows(*rows, headers=("姓名", "届别", "手机号", "邮箱", "工作单位")):
    dataset = tablib.Dataset(headers=list(headers))
    for row in rows:
        dataset.append(list(row))
    result = AlumnusResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    return result


def test_importing_the_same_file_again_updates_the_records_instead_of_doubling_them():
    import_rows(
        ("张伟", "2005", "13800138000", "", "甲公司"), ("李娜", "2010", "", "ln@example.com", "")
    )

    import_rows(
        ("张伟", "2005", "13800138000", "", "乙公司"),
        ("李娜", "2010", "", "LN@example.com", "丙大学"),
    )

    assert sorted(Alumnus.objects.values_list("name", "employer")) == [
        ("张伟", "乙公司"),
        ("李娜", "丙大学"),
    ]


def test_a_namesake_of_the_same_class_with_another_phone_is_a_new_record():
    import_rows(("张伟", "2005", "13800138000", "", ""))

    import_rows(("张伟", "2005", "13900139000", "", ""))

    assert Alumnus.objects.filter(name="张伟", class_year=2005).count() == 2


def test_a_row_without_phone_or_email_is_always_a_new_record():
    import_rows(("王芳", "2001", "", "", ""))

    import_rows(("王芳", "2001", "", "", ""))

    assert Alumnus.objects.filter(name="王芳").count() == 2


def test_excel_file_imports(client, office_admin):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["name", "class_year"])
    book.active.append(["张伟", 2005])
    data = io.BytesIO()
    book.save(data)
    client.force_login(office_admin)
    upload = SimpleUploadedFile("alumni.xlsx", data.getvalue())

    response = client.post(
        reverse("admin:alumni_alumnus_import"),
        {"resource": "0", "format": "1", "import_file": upload},
    )

    assert response.context["confirm_form"] is not None


def test_office_binds_a_follower_by_hand(client, office_admin):
    follower, alumnus = FollowerFactory(), AlumnusFactory()
    client.force_login(office_admin)

    client.post(
        reverse("admin:audience_follower_change", args=[follower.pk]), {"alumnus": alumnus.pk}
    )

    follower.refresh_from_db()
    assert follower.alumnus == alumnus
    assert ProfileChange.objects.get(alumnus=alumnus).user == office_admin


def test_office_cannot_bind_a_record_held_by_another_follower(client, office_admin):
    alumnus = AlumnusFactory()
    follower_bind(follower=FollowerFactory(), alumnus=alumnus)
    other = FollowerFactory()
    client.force_login(office_admin)

    response = client.post(
        reverse("admin:audience_follower_change", args=[other.pk]), {"alumnus": alumnus.pk}
    )

    assert response.status_code == 200  # the form again, with the error
    assert Follower.objects.get(pk=other.pk).alumnus is None


def test_office_unbinds_selected_followers(client, office_admin):
    follower = follower_bind(follower=FollowerFactory(), alumnus=AlumnusFactory())
    client.force_login(office_admin)

    client.post(
        reverse("admin:audience_follower_changelist"),
        {"action": "unbind_selected", "_selected_action": [follower.pk]},
    )

    follower.refresh_from_db()
    assert follower.alumnus is None
    assert follower.alumnus_id is None


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:alumni_alumnus_changelist",
        "admin:audience_follower_changelist",
        "admin:audience_profilechange_changelist",
        "admin:audience_segment_changelist",
        "admin:audience_recordrequest_changelist",
    ],
)
def test_office_lists_run_a_constant_number_of_queries(client, office_admin, queries_for, url_name):
    def add(n):
        for _ in range(n):
            follower = follower_bind(
                follower=FollowerFactory(), alumnus=AlumnusFactory(branch=BranchFactory())
            )
            profile_update(alumnus=follower.alumnus, changes={"city": "上海"}, follower=follower)
            SegmentFactory(branch=follower.alumnus.branch)
            RecordRequest.objects.create(
                follower=follower, name="李娜", class_year=2010, alumnus=follower.alumnus
            )

    client.force_login(office_admin)
    add(1)
    few = queries_for(reverse(url_name))
    add(4)
    assert queries_for(reverse(url_name)) == few


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:audience_follower_changelist",
        "admin:audience_followersyncrun_changelist",
        "admin:audience_followerdailycount_changelist",
        "admin:audience_segment_changelist",
        "admin:audience_segment_add",
        "admin:audience_profilechange_changelist",
        "admin:audience_recordrequest_changelist",
        "admin:alumni_alumnus_import",
        "admin:alumni_alumnus_export",
    ],
)
def test_office_admin_pages_open(client, office_admin, url_name):
    client.force_login(office_admin)

    assert client.get(reverse(url_name)).status_code == 200


def test_follower_change_page_opens(client, office_admin):
    follower = follower_bind(follower=FollowerFactory(), alumnus=AlumnusFactory())
    client.force_login(office_admin)

    response = client.get(reverse("admin:audience_follower_change", args=[follower.pk]))

    assert response.status_code == 200


def changelist(client, name: str, query: str) -> list:
    return list(client.get(reverse(f"admin:{name}_changelist") + query).context["cl"].result_list)


def test_followers_filter_by_whether_they_are_bound(client, office_admin):
    bound = follower_bind(follower=FollowerFactory(), alumnus=AlumnusFactory())
    unbound = FollowerFactory()
    client.force_login(office_admin)

    assert changelist(client, "audience_follower", "?bound=yes") == [bound]
    assert changelist(client, "audience_follower", "?bound=no") == [unbound]


def test_record_requests_filter_by_whether_they_are_handled(client, office_admin):
    waiting, handled = (
        RecordRequest.objects.create(follower=FollowerFactory(), name=name, class_year=2005)
        for name in ("张伟", "李娜")
    )
    RecordRequest.objects.filter(pk=handled.pk).update(handled_at=timezone.now())
    client.force_login(office_admin)

    assert changelist(client, "audience_recordrequest", "?handled=no") == [waiting]
    assert changelist(client, "audience_recordrequest", "?handled=yes") == [handled]


def test_alumni_filter_by_active_or_deleted_records(client, office_admin):
    active, deleted = AlumnusFactory(), AlumnusFactory()
    Alumnus.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    client.force_login(office_admin)

    assert changelist(client, "alumni_alumnus", "?record=active") == [active]
    assert changelist(client, "alumni_alumnus", "?record=deleted") == [deleted]
