"""The public site on a phone-sized Chromium: the layout fits and an alumnus can sign up."""

import pytest

from activities.models import Registration, RegistrationStatus
from editorial.models import State
from tests.factories import ActivityFactory, ArticleFactory, DonationProjectFactory, GiftFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(open_page):
    return open_page(phone=True)


def _fits_the_screen(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_home_fits_a_phone_screen_without_sideways_scrolling(phone):
    ArticleFactory(state=State.PUBLISHED, title="一个非常非常长的新闻标题用来检验换行是否正常")
    ActivityFactory(state=State.PUBLISHED)
    project = DonationProjectFactory(state=State.PUBLISHED)
    GiftFactory(project=project)

    phone.goto("/")

    assert phone.locator(".site-nav a").count() == 4
    assert phone.locator(".progress-bar").count() == 1
    assert _fits_the_screen(phone)


def test_an_alumnus_signs_up_and_cancels_on_a_phone(phone):
    activity = ActivityFactory(state=State.PUBLISHED, title="返校日", capacity=20)

    phone.goto(activity.get_absolute_url())
    assert _fits_the_screen(phone)
    phone.fill("#id_name", "张三")
    phone.fill("#id_class_year", "2010")
    phone.fill("#id_phone", "138 0013 8000")
    phone.get_by_role("button", name="我要报名").click()
    phone.get_by_role("heading", name="报名成功").wait_for()
    phone.get_by_role("link", name="取消报名").click()
    phone.get_by_role("button", name="确定取消报名").click()
    phone.get_by_text("该报名已取消。").first.wait_for()

    registration = Registration.objects.get()
    assert (registration.phone, registration.status) == (
        "13800138000",
        RegistrationStatus.CANCELLED,
    )


def test_the_footer_switches_a_news_page_to_english_and_back(phone):
    article = ArticleFactory(state=State.PUBLISHED, title="校庆回顾")

    phone.goto(article.get_absolute_url())
    phone.get_by_role("button", name="English").click()
    phone.locator("html[lang=en]").wait_for(state="attached")

    assert phone.url.endswith(article.get_absolute_url())
    assert phone.get_by_role("link", name="News", exact=True).count() == 1
    phone.get_by_role("button", name="简体中文").click()
    phone.locator("html[lang=zh-hans]").wait_for(state="attached")
    assert phone.url.endswith(article.get_absolute_url())
