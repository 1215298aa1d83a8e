"""The organiser's check-in page on a phone: name the door, type a ticket's code, see who it
is at once; the same code again shows when and at which door they came in; the ticket page
shows the QR code (screenshots test-results/checkin-*.png)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity, RegistrationStatus
from activities.services import registration_token
from editorial.models import State
from tests.browser.conftest import RESULTS
from tests.browser.support import log_in_to_admin
from tests.factories import (
    ActivityFactory,
    OfficeAdminFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(open_page):
    return open_page(phone=True)


def _shot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=RESULTS / f"{name}.png", full_page=True)


def _fits_the_screen(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_checking_in_at_the_door_on_a_phone(phone):
    starts = timezone.now() + timedelta(hours=1)
    activity = ActivityFactory(
        state=State.PUBLISHED,
        title="北京校友年会",
        place="北京饭店宴会厅",
        starts_at=starts,
        announced_starts_at=starts,
    )
    guest = RegistrationFactory(activity=activity, name="林晓舟", class_year=2008)
    waiting = RegistrationFactory(
        activity=activity, name="陈思远", status=RegistrationStatus.WAITLISTED
    )
    RegistrationFactory(activity=activity, name="王一")
    staff = UserFactory(username="door", first_name="晓", last_name="门", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="check_in_registration"))

    phone.goto(f"/activities/registration/{registration_token(registration=guest)}/")
    expect(phone.locator("#ticket svg")).to_be_visible()
    _shot(phone, "checkin-ticket")

    log_in_to_admin(phone, staff)
    phone.locator("#checkin-link a").click()
    phone.get_by_role("link", name="北京校友年会").click()
    phone.get_by_label("您在哪个入口？").fill("北门")
    phone.get_by_role("button", name="开始签到").click()
    expect(phone.locator("#door-name")).to_have_text("北门")
    expect(phone.locator("#checkin-count")).to_have_text("已签到 0 / 2")

    code = phone.get_by_label("票号")
    code.fill(guest.code[:4].lower() + " " + guest.code[4:])
    code.press("Enter")
    result = phone.locator("#result")
    expect(result).to_have_attribute("data-outcome", "checked_in")
    expect(result).to_contain_text("林晓舟")
    expect(result).to_contain_text("2008")
    expect(phone.locator("#checkin-count")).to_have_text("已签到 1 / 2")
    expect(code).to_have_value("")  # ready for the next one, without a page load
    assert _fits_the_screen(phone)
    _shot(phone, "checkin-ok")

    code.fill(guest.code)
    phone.get_by_role("button", name="签到", exact=True).click()
    expect(result).to_have_attribute("data-outcome", "already")
    expect(phone.locator("#result-when")).to_contain_text("在北门签到")
    _shot(phone, "checkin-duplicate")

    code.fill(waiting.code)
    code.press("Enter")
    expect(result).to_have_attribute("data-outcome", "waitlisted")
    expect(result).to_contain_text("候补名单：未签到")
    expect(phone.locator("#checkin-count")).to_have_text("已签到 1 / 2")
    _shot(phone, "checkin-waitlisted")

    guest.refresh_from_db()
    waiting.refresh_from_db()
    assert (guest.status, guest.checked_in_door) == (RegistrationStatus.ATTENDED, "北门")
    assert waiting.status == RegistrationStatus.WAITLISTED

    phone.get_by_role("link", name="打印名单").click()
    expect(phone.locator("#sheet-places")).to_contain_text("林晓舟")
    expect(phone.locator("#sheet-waitlist")).to_contain_text("陈思远")
    _shot(phone, "checkin-sheet")


def test_an_organiser_adds_a_question_and_the_phone_form_asks_it(open_page):
    # As the admin saves an activity: whole minutes, the body as CKEditor writes it.
    starts = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    activity = ActivityFactory(
        state=State.PUBLISHED,
        title="校友返校日",
        place="校本部",
        body="<p>欢迎回家。</p>",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        signup_deadline=starts - timedelta(days=1),
    )
    desk = open_page()
    log_in_to_admin(desk, OfficeAdminFactory(username="organiser"))
    desk.goto(f"/admin/activities/activity/{activity.pk}/change/")
    desk.locator("#questions-group .add-row a").click()
    desk.fill("#id_questions-0-label", "用餐偏好")
    desk.select_option("#id_questions-0-type", "single")
    desk.fill("#id_questions-0-choices", "普通\n清真\n素食")
    desk.check("#id_questions-0-required")
    desk.locator("input[name=_continue]").click()
    expect(desk.locator(".messagelist")).to_be_visible()
    expect(desk.locator("#attendance-figures")).to_be_visible()
    _shot(desk, "checkin-admin-questions")
    activity.refresh_from_db()
    assert activity.state == State.PUBLISHED  # a question is not content: it stays on the site
    assert Activity.objects.get(pk=activity.pk).questions.get().label == "用餐偏好"

    phone = open_page(phone=True)
    phone.goto(activity.get_absolute_url())
    phone.fill("#id_name", "张三")
    phone.fill("#id_class_year", "2010")
    phone.fill("#id_phone", "13800138000")
    phone.get_by_role("button", name="我要报名").click()
    expect(phone.get_by_text("请回答此问题。")).to_be_visible()
    phone.get_by_label("清真").check()
    phone.get_by_role("button", name="我要报名").click()
    expect(phone.locator("#ticket")).to_be_visible()
    expect(phone.locator("dl.facts")).to_contain_text("清真")
    _shot(phone, "checkin-signup-with-question")
