"""A survey goes through the editorial workflow like any content, and is pushed as a link."""

import pytest
from django.urls import reverse

from editorial.models import AuditEntry, State
from editorial.publishing import item_publication, pushable_items
from editorial.services import item_approve, item_submit, item_withdraw
from surveys.models import Question, Survey
from tests.factories import QuestionFactory, SurveyFactory

pytestmark = pytest.mark.django_db


def survey_form(**changes):
    data = {
        "title": "毕业十年回访",
        "digest": "",
        "body": "<p>请花两分钟填写。</p>",
        "respondents": "record",
        "opens_at_0": "",
        "opens_at_1": "",
        "closes_at_0": "",
        "closes_at_1": "",
        "publish_at_0": "",
        "publish_at_1": "",
        "questions-TOTAL_FORMS": "2",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-position": "1",
        "questions-0-type": "single",
        "questions-0-label": "现居城市",
        "questions-0-choices": "北京\n上海",
        "questions-0-record_field": "city",
        "questions-1-position": "2",
        "questions-1-type": "rating",
        "questions-1-label": "满意度",
        "questions-1-max_value": "7",
    }
    data.update(changes)
    return data


def test_editor_builds_a_survey_with_questions_in_the_admin(client, editor):
    client.force_login(editor)

    response = client.post(reverse("admin:surveys_survey_add"), survey_form())

    assert response.status_code == 302, response.content.decode()[:3000]
    survey = Survey.objects.get()
    assert survey.state == State.DRAFT
    assert list(survey.questions.values_list("label", "type")) == [
        ("现居城市", "single"),
        ("满意度", "rating"),
    ]
    assert survey.revisions.get().data["questions"][0]["label"] == "现居城市"


def test_a_question_that_cannot_be_answered_is_refused_in_the_admin(client, editor):
    client.force_login(editor)

    response = client.post(
        reverse("admin:surveys_survey_add"), survey_form(**{"questions-0-choices": "北京"})
    )

    assert response.status_code == 200
    assert "请至少填写两个选项，每行一个。" in response.content.decode()
    assert not Question.objects.exists()


def test_a_label_on_a_choice_question_is_refused(client, editor):
    client.force_login(editor)

    response = client.post(
        reverse("admin:surveys_survey_add"),
        survey_form(**{"questions-0-record_label": "导师"}),
    )

    assert "只有是/否题可以设置标签。" in response.content.decode()


def test_survey_is_reviewed_published_and_withdrawn(editor, reviewer, client):
    survey = SurveyFactory(created_by=editor)
    QuestionFactory(survey=survey)
    page = reverse("surveys:detail", args=[survey.pk])
    assert client.get(page).status_code == 404

    item_submit(item=survey, by=editor)
    item_approve(item=survey, by=reviewer)
    assert client.get(page).status_code == 200

    item_withdraw(item=survey, by=reviewer, reason="问题有误")
    assert client.get(page).status_code == 404
    assert AuditEntry.objects.filter(action="editorial.item.withdrawn").exists()


def test_a_published_survey_is_pushed_as_a_link_to_its_answer_page(settings):
    settings.SITE_URL = "https://alumni.example.edu.cn"
    survey = SurveyFactory(state=State.PUBLISHED)

    assert survey in pushable_items()
    assert item_publication(survey).url == (f"https://alumni.example.edu.cn/surveys/{survey.pk}/")


def test_survey_list_in_the_admin_keeps_its_query_count(client, editor, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(editor)
    url = reverse("admin:surveys_survey_changelist")
    SurveyFactory()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _n in range(5):
        QuestionFactory(survey=SurveyFactory(state=State.PUBLISHED))

    with django_assert_num_queries(len(few)):
        client.get(url)


def test_the_admin_previews_a_draft_survey_as_the_phone_shows_it(client, editor):
    survey = SurveyFactory(created_by=editor, title="草稿问卷")
    QuestionFactory(survey=survey, label="现居城市")
    client.force_login(editor)

    page = client.get(reverse("admin:surveys_survey_public_preview", args=[survey.pk]))

    assert page.status_code == 200
    assert "现居城市" in page.content.decode()


def test_the_change_form_links_the_results_with_the_answer_count(client, editor, survey):
    from surveys.models import Response

    Response.objects.create(survey=survey, answers={})
    client.force_login(editor)

    page = client.get(reverse("admin:surveys_survey_change", args=[survey.pk])).content.decode()

    assert "1 份答卷：查看结果" in page
    assert reverse("admin:surveys_survey_results", args=[survey.pk]) in page
