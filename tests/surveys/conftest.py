import pytest

from audience.views import SESSION_OPENID
from editorial.models import State
from tests.factories import AlumnusFactory, FollowerFactory, QuestionFactory, SurveyFactory


@pytest.fixture
def survey(db):
    """A published survey tied to the record: a city (single choice, required, sets the
    record's city), interests (multiple), a rating, a yes/no that labels the record, a text."""
    survey = SurveyFactory(title="校友需求调查", state=State.PUBLISHED, respondents="record")
    QuestionFactory(survey=survey, position=1, label="现居城市", required=True, record_field="city")
    QuestionFactory(
        survey=survey, position=2, type="multiple", label="感兴趣的活动", choices="讲座\n聚餐\n运动"
    )
    QuestionFactory(survey=survey, position=3, type="rating", label="满意度", choices="")
    QuestionFactory(
        survey=survey, position=4, type="yes_no", label="愿意担任导师吗", choices="",
        record_label="愿意担任导师",
    )  # fmt: skip
    QuestionFactory(survey=survey, position=5, type="long_text", label="建议", choices="")
    return survey


def field_names(survey) -> dict[str, str]:
    """{question label: form field name}."""
    return {q.label: f"q_{q.pk}" for q in survey.questions.all()}


def answer_data(survey, **overrides) -> dict:
    names = field_names(survey)
    data = {
        names["现居城市"]: "上海",
        names["感兴趣的活动"]: ["讲座", "运动"],
        names["满意度"]: "4",
        names["愿意担任导师吗"]: "yes",
        names["建议"]: "多办活动",
    }
    data.update({names[k]: v for k, v in overrides.items()})
    return data


@pytest.fixture
def bound(db):
    """A following follower bound to 张伟's record (class of 2005)."""
    alumnus = AlumnusFactory(name="张伟", class_year=2005, city="杭州")
    return FollowerFactory(alumnus=alumnus)


def sign_in(client, follower):
    session = client.session
    session[SESSION_OPENID] = follower.openid
    session.save()
    return client


@pytest.fixture
def reader(client, bound):
    """A client whose session knows the bound follower (as after web authorization)."""
    return sign_in(client, bound)
