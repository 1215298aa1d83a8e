"""Answering a survey on a phone-sized Chromium, and the office reading its results
(screenshots test-results/survey-*.png)."""

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from audience.views import SESSION_OPENID
from editorial.models import State
from surveys.models import Response
from tests.factories import (
    AlumnusFactory,
    EditorFactory,
    FollowerFactory,
    QuestionFactory,
    SurveyFactory,
)

from .support import log_in_to_admin

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey():
    survey = SurveyFactory(
        title="校友需求调查",
        body="<p>亲爱的校友：请花两分钟告诉我们您的想法。</p>",
        state=State.PUBLISHED,
    )
    QuestionFactory(survey=survey, position=1, label="现居城市", required=True, record_field="city")
    QuestionFactory(
        survey=survey,
        position=2,
        type="multiple",
        label="希望参加的活动",
        choices="讲座\n聚餐\n运动",
    )
    QuestionFactory(
        survey=survey, position=3, type="rating", label="满意度", choices="", required=True
    )
    QuestionFactory(
        survey=survey, position=4, type="yes_no", label="是否愿意担任在校生导师", choices="",
        record_label="愿意担任导师",
    )  # fmt: skip
    QuestionFactory(
        survey=survey, position=5, type="matrix", label="对以下活动的评价",
        rows="返校日\n年会", choices="满意\n一般\n不满意",
    )  # fmt: skip
    QuestionFactory(survey=survey, position=6, type="long_text", label="对校友会的建议", choices="")
    return survey


def signed_in_as(page, live_server, follower) -> None:
    """The phone's session knows the bound follower, as after WeChat's web authorization."""
    session = SessionStore()
    session[SESSION_OPENID] = follower.openid
    session.create()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def question(page, label):
    return page.locator("fieldset.question", has_text=label)


def test_a_bound_alumnus_answers_a_survey_on_a_phone(open_page, live_server, survey):
    follower = FollowerFactory(alumnus=AlumnusFactory(name="林晓舟", city="杭州"))
    phone = open_page(phone=True)
    signed_in_as(phone, live_server, follower)

    phone.goto(survey.get_absolute_url())
    expect(phone.get_by_role("heading", name="校友需求调查")).to_be_visible()
    phone.screenshot(path="test-results/survey-phone.png", full_page=True)

    phone.get_by_role("button", name="提交答卷").tap()
    expect(question(phone, "现居城市").locator(".field-error")).to_have_text("请回答此问题。")
    expect(question(phone, "满意度").locator(".field-error")).to_have_text("请回答此问题。")
    phone.screenshot(path="test-results/survey-phone-errors.png", full_page=True)

    question(phone, "现居城市").get_by_label("上海").check()
    question(phone, "希望参加的活动").get_by_label("讲座").check()
    question(phone, "希望参加的活动").get_by_label("运动").check()
    question(phone, "满意度").get_by_label("4").check()
    question(phone, "是否愿意担任在校生导师").get_by_label("是").check()
    question(phone, "对以下活动的评价").get_by_label("返校日: 满意").check()
    question(phone, "对以下活动的评价").get_by_label("年会: 一般").check()
    question(phone, "对校友会的建议").locator("textarea").fill("希望多办行业沙龙。")
    phone.screenshot(path="test-results/survey-phone-filled.png", full_page=True)
    phone.get_by_role("button", name="提交答卷").tap()

    expect(phone.get_by_role("status")).to_have_text("感谢参与：您的答卷已收到。")
    phone.screenshot(path="test-results/survey-phone-thanks.png", full_page=True)
    response = Response.objects.get()
    assert response.alumnus == follower.alumnus
    follower.alumnus.refresh_from_db()
    assert follower.alumnus.city == "上海"

    phone.goto(survey.get_absolute_url())
    expect(phone.get_by_text("您已填写过此问卷，谢谢！")).to_be_visible()


def test_the_office_reads_the_results_with_charts(open_page, live_server, survey):
    import random

    from surveys.sample import random_answers, seed_responses
    from surveys.selectors import survey_questions

    questions = survey_questions(survey)
    rng = random.Random(6)
    alumni = [AlumnusFactory(class_year=2000 + n % 10) for n in range(40)]
    answers = [(a.pk, random_answers(questions, rng)) for a in alumni]
    answers[-1][1][str(questions[5].pk)] = "<b>不要加粗</b> 活动太少"
    seed_responses(survey, questions, answers)
    page = open_page()
    log_in_to_admin(page, EditorFactory())

    page.goto(f"/admin/surveys/survey/{survey.pk}/results/")
    expect(page.locator(".summary-responses")).to_have_text("40")
    expect(page.locator("#content-main svg.stats-chart")).to_have_count(4)
    expect(page.get_by_text("<b>不要加粗</b> 活动太少")).to_be_visible()
    page.screenshot(path="test-results/survey-results.png", full_page=True)

    page.get_by_label("起始届别").fill("2005")
    page.get_by_role("button", name="显示").click()
    expect(page.locator(".summary-responses")).to_have_text("20")
