"""An activity's own sign-up questions on a phone: each choice's box sits beside its words
(screenshot test-results/signup-questions.png). Found on the demo's 返校日: the site's
full-width input style made every radio button and checkbox a centred line of its own above a
bold label, so which circle belonged to which answer was a guess."""

import pytest
from playwright.sync_api import expect

from activities.models import ActivityQuestion, Registration
from core.questions import QuestionType
from editorial.models import State
from tests.browser.conftest import RESULTS
from tests.factories import ActivityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def activity():
    activity = ActivityFactory(state=State.PUBLISHED, title="青澜大学校友返校日")
    ActivityQuestion.objects.create(
        activity=activity,
        label="用餐偏好",
        type=QuestionType.SINGLE,
        choices="普通\n清真\n素食",
        required=True,
        position=1,
    )
    ActivityQuestion.objects.create(
        activity=activity,
        label="感兴趣的环节",
        type=QuestionType.MULTIPLE,
        choices="校园参观\n院系座谈",
        position=2,
    )
    return activity


def _box(locator) -> dict:
    return locator.bounding_box()


def test_each_choice_sits_beside_its_words_and_is_tapped_by_them(open_page, activity):
    phone = open_page(phone=True)
    phone.goto(f"/activities/{activity.pk}/")

    for words in ("清真", "院系座谈"):
        choice = phone.get_by_label(words, exact=True)
        label = phone.locator("label", has=choice)
        box, line = _box(choice), _box(label)
        # A box of its own size, on the same line as its words, at the start of the line.
        assert box["width"] < 30 and box["height"] < 30
        assert line["y"] <= box["y"] and box["y"] + box["height"] <= line["y"] + line["height"]
        assert line["height"] < 2 * box["height"] + 20
        assert box["x"] - line["x"] < 20
        expect(label).to_have_css("font-weight", "400")

    RESULTS.mkdir(exist_ok=True)
    phone.locator("#signup").screenshot(path=RESULTS / "signup-questions.png")

    # Tapping the words ticks the box, and the answer is stored.
    phone.get_by_label("姓名").fill("王新人")
    phone.get_by_label("届别").fill("2012")
    phone.get_by_label("手机号码").fill("13800138123")
    phone.locator("label", has_text="清真").tap()
    phone.locator("label", has_text="院系座谈").tap()
    expect(phone.get_by_label("清真", exact=True)).to_be_checked()
    phone.get_by_role("button", name="我要报名").tap()
    expect(phone.get_by_role("heading", name="报名成功")).to_be_visible()
    answers = Registration.objects.get().answers
    assert sorted(map(str, answers.values())) == sorted(["清真", "['院系座谈']"])
