from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial.models import State
from surveys.errors import SurveyError
from surveys.models import Answer, Response
from surveys.selectors import survey_questions
from surveys.services import response_submit
from tests.factories import QuestionFactory, SurveyFactory

from .conftest import answer_data, field_names, sign_in

pytestmark = pytest.mark.django_db


def url(survey):
    return reverse("surveys:detail", args=[survey.pk])


def test_bound_alumnus_sees_every_question_on_the_page(reader, survey):
    page = reader.get(url(survey)).content.decode()
    for label in ("现居城市", "感兴趣的活动", "满意度", "愿意担任导师吗", "建议"):
        assert label in page


def test_bound_alumnus_answer_is_stored_with_their_record(reader, survey, bound):
    response = reader.post(url(survey), answer_data(survey))

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:thanks", args=[survey.pk])
    stored = Response.objects.get(survey=survey)
    assert stored.alumnus == bound.alumnus
    names = {q.pk: q.label for q in survey.questions.all()}
    assert {names[int(k)]: v for k, v in stored.answers.items()} == {
        "现居城市": "上海",
        "感兴趣的活动": ["讲座", "运动"],
        "满意度": 4,
        "愿意担任导师吗": True,
        "建议": "多办活动",
    }
    # One value row per tick: 1 + 2 + 1 + 1 + 1.
    assert Answer.objects.filter(response=stored).count() == 6


def test_unbound_visitor_is_asked_to_bind_and_cannot_answer(client, survey):
    page = client.get(url(survey))
    assert "绑定" in page.content.decode()

    client.post(url(survey), answer_data(survey))
    assert not Response.objects.exists()


def test_second_submit_by_the_same_person_says_so(reader, survey):
    reader.post(url(survey), answer_data(survey))

    again = reader.post(url(survey), answer_data(survey, 现居城市="北京"))

    assert "您已填写过此问卷" in again.content.decode()
    assert Response.objects.count() == 1


def test_the_unique_constraint_refuses_a_second_answer_that_slipped_past_the_page(survey, bound):
    questions = survey_questions(survey)
    key = str(questions[0].pk)
    response_submit(
        survey=survey, questions=questions, answers={key: "上海"}, alumnus_id=bound.alumnus_id
    )
    with pytest.raises(SurveyError) as caught:
        response_submit(
            survey=survey, questions=questions, answers={key: "北京"}, alumnus_id=bound.alumnus_id
        )
    assert caught.value.code == "already_answered"
    assert Response.objects.count() == 1


def test_missing_required_answer_is_refused_with_a_message(reader, survey):
    data = answer_data(survey)
    del data[field_names(survey)["现居城市"]]

    page = reader.post(url(survey), data)

    assert page.status_code == 400
    assert "请回答此问题。" in page.content.decode()
    assert not Response.objects.exists()


def test_a_choice_the_question_does_not_offer_is_refused(reader, survey):
    page = reader.post(url(survey), answer_data(survey, 现居城市="<script>x</script>"))

    assert page.status_code == 400
    assert "该答案不在题目的选项中。" in page.content.decode()
    assert "<script>x" not in page.content.decode()


def test_a_huge_text_answer_is_refused_with_a_message(reader, survey):
    page = reader.post(url(survey), answer_data(survey, 建议="长" * 100_000))

    assert page.status_code in (400, 413)
    assert "最多" in page.content.decode() or "过长" in page.content.decode()
    assert not Response.objects.exists()


def test_a_post_larger_than_the_limit_is_refused_before_it_is_read(reader, survey, settings):
    settings.SURVEYS_MAX_POST_BYTES = 1000
    page = reader.post(url(survey), answer_data(survey, 建议="长" * 2000))

    assert page.status_code == 413
    assert "答案过长，无法保存。" in page.content.decode()
    assert not Response.objects.exists()


def test_answers_larger_than_the_stored_limit_are_refused(survey, bound, settings):
    settings.SURVEYS_MAX_ANSWER_CHARS = 50
    questions = survey_questions(survey)
    with pytest.raises(SurveyError) as caught:
        response_submit(
            survey=survey,
            questions=questions,
            answers={str(questions[4].pk): "长" * 60},
            alumnus_id=bound.alumnus_id,
        )
    assert caught.value.code == "too_large"


def test_an_answer_to_a_question_of_another_survey_is_refused(survey, bound):
    other = QuestionFactory()
    with pytest.raises(SurveyError) as caught:
        response_submit(
            survey=survey,
            questions=survey_questions(survey),
            answers={str(other.pk): "北京"},
            alumnus_id=bound.alumnus_id,
        )
    assert caught.value.code == "malformed"


@pytest.fixture
def anonymous_survey(db):
    survey = SurveyFactory(state=State.PUBLISHED, respondents="anonymous")
    QuestionFactory(survey=survey, label="现居城市", required=True)
    return survey


def anonymous_answer(survey):
    return {f"q_{survey.questions.get().pk}": "北京"}


def test_anyone_answers_an_anonymous_survey_and_nothing_ties_it_to_them(
    client, bound, anonymous_survey
):
    sign_in(client, bound)
    client.post(url(anonymous_survey), anonymous_answer(anonymous_survey))

    assert Response.objects.get().alumnus is None


def test_anonymous_answers_are_throttled_per_network(client, anonymous_survey, settings):
    settings.SURVEYS_ANONYMOUS_LIMITS = [(60, 2)]
    for _n in range(2):
        assert (
            client.post(url(anonymous_survey), anonymous_answer(anonymous_survey)).status_code
            == 302
        )

    third = client.post(url(anonymous_survey), anonymous_answer(anonymous_survey))

    assert third.status_code == 429
    assert "提交过于频繁" in third.content.decode()
    assert Response.objects.count() == 2


def test_another_network_is_not_held_back_by_the_first(client, anonymous_survey, settings):
    settings.SURVEYS_ANONYMOUS_LIMITS = [(60, 1)]
    client.post(url(anonymous_survey), anonymous_answer(anonymous_survey), REMOTE_ADDR="10.0.0.1")

    other = client.post(
        url(anonymous_survey), anonymous_answer(anonymous_survey), REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 302


def test_a_survey_not_yet_open_takes_no_answer(reader, survey):
    survey.opens_at = timezone.now() + timedelta(days=1)
    survey.save()

    page = reader.post(url(survey), answer_data(survey))

    assert "问卷尚未开始" in page.content.decode()
    assert not Response.objects.exists()


def test_a_closed_survey_takes_no_answer(reader, survey):
    survey.closes_at = timezone.now() - timedelta(minutes=1)
    survey.save()

    page = reader.post(url(survey), answer_data(survey))

    assert "问卷已结束" in page.content.decode()
    assert not Response.objects.exists()


def test_an_unpublished_survey_is_not_found(reader, survey):
    survey.state = State.WITHDRAWN
    survey.save()

    assert reader.get(url(survey)).status_code == 404


def test_the_service_refuses_an_answer_without_a_record_to_a_tied_survey(survey):
    questions = survey_questions(survey)
    with pytest.raises(SurveyError) as caught:
        response_submit(
            survey=survey,
            questions=questions,
            answers={str(questions[0].pk): "上海"},
            alumnus_id=None,
        )
    assert caught.value.code == "not_bound"
    assert not Response.objects.exists()


@pytest.mark.parametrize("pk", ["99999999999999999999999", "0"])
def test_an_odd_survey_number_is_not_found(client, pk):
    assert client.get(f"/surveys/{pk}/").status_code == 404


def test_odd_matrix_and_number_posts_get_messages_not_errors(reader, survey):
    matrix = QuestionFactory(
        survey=survey, position=7, type="matrix", label="评价", rows="讲座", choices="好\n差"
    )
    number = QuestionFactory(survey=survey, position=8, type="number", label="次数", choices="")
    data = answer_data(survey)
    data.update({f"q_{matrix.pk}_0": "1e9", f"q_{number.pk}": "NaN"})

    page = reader.post(url(survey), data)

    assert page.status_code == 400
    assert "请输入数字。" in page.content.decode()
    assert "该答案不在题目的选项中。" in page.content.decode()


def identify(client, next_url):
    return client.get(reverse("audience:identify"), {"next": next_url})


def test_the_page_offers_a_bound_alumnus_to_come_back_identified(client, survey):
    page = client.get(url(survey)).content.decode()

    assert f'href="/me/identify/?next=/surveys/{survey.pk}/"' in page


def test_identified_bound_reader_goes_back_to_the_survey(reader, survey):
    response = identify(reader, url(survey))

    assert (response.status_code, response["Location"]) == (302, url(survey))


def test_identify_refuses_to_send_the_reader_to_another_site(reader):
    response = identify(reader, "https://evil.example/phish")

    assert response["Location"] == reverse("audience:me")


def test_identified_reader_without_a_record_is_sent_to_bind(client, survey):
    from tests.factories import FollowerFactory

    sign_in(client, FollowerFactory())

    assert identify(client, url(survey))["Location"] == reverse("audience:bind")


def test_an_unknown_reader_goes_through_wechat_and_back_to_identify(client, survey):
    response = identify(client, url(survey))

    assert response.status_code == 302
    assert "oauth2/authorize" in response["Location"]
    assert client.session["audience_next"] == f"/me/identify/?next=%2Fsurveys%2F{survey.pk}%2F"
