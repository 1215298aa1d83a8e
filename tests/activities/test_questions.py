"""Organisers add their own questions to an activity's sign-up (core.questions asks and reads
them): shown on the phone form, stored per registration, shown in the registrations list and
detail and in the export (formula-safe); bad answers get a Chinese message."""

import csv
import io

import pytest
from django.urls import reverse

from activities.models import ActivityQuestion, Registration
from activities.services import registration_token
from core.questions import QuestionType
from editorial.models import State
from tests.factories import ActivityFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

FORM = {"name": "张三", "class_year": "2010", "phone": "13800138000"}


@pytest.fixture
def activity():
    return ActivityFactory(state=State.PUBLISHED, title="北京校友年会")


@pytest.fixture
def questions(activity):
    return {
        "meal": ActivityQuestion.objects.create(
            activity=activity,
            label="用餐偏好",
            type=QuestionType.SINGLE,
            choices="普通\n清真\n素食",
            required=True,
            position=1,
        ),
        "guests": ActivityQuestion.objects.create(
            activity=activity,
            label="随行人数",
            type=QuestionType.NUMBER,
            min_value=0,
            max_value=3,
            position=2,
        ),
        "topics": ActivityQuestion.objects.create(
            activity=activity,
            label="感兴趣的话题",
            type=QuestionType.MULTIPLE,
            choices="校友企业\n母校发展\n导师计划",
            position=3,
        ),
        "parking": ActivityQuestion.objects.create(
            activity=activity, label="需要停车位吗", type=QuestionType.YES_NO, position=4
        ),
    }


def _post(client, activity, **answers):
    return client.post(reverse("activities:detail", args=[activity.pk]), {**FORM, **answers})


def test_the_sign_up_form_asks_the_activitys_questions_in_order(client, activity, questions):
    html = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    positions = [html.index(label) for label in ("用餐偏好", "随行人数", "感兴趣的话题")]
    assert positions == sorted(positions)
    assert 'value="清真"' in html


def test_answers_are_stored_on_the_registration(client, activity, questions):
    response = _post(
        client,
        activity,
        **{
            f"q_{questions['meal'].pk}": "清真",
            f"q_{questions['guests'].pk}": "2",
            f"q_{questions['topics'].pk}": ["导师计划", "校友企业"],
            f"q_{questions['parking'].pk}": "yes",
        },
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.answers == {
        str(questions["meal"].pk): "清真",
        str(questions["guests"].pk): "2",
        str(questions["topics"].pk): ["校友企业", "导师计划"],
        str(questions["parking"].pk): True,
    }


def test_a_required_question_left_empty_gets_a_chinese_message(client, activity, questions):
    response = _post(client, activity)
    assert response.status_code == 200
    assert "请回答此问题" in response.content.decode()
    assert not Registration.objects.exists()


def test_a_number_out_of_bounds_gets_a_chinese_message(client, activity, questions):
    response = _post(
        client,
        activity,
        **{f"q_{questions['meal'].pk}": "普通", f"q_{questions['guests'].pk}": "9"},
    )
    assert not Registration.objects.exists()
    assert "3" in response.context["form"].errors[f"q_{questions['guests'].pk}"][0]


def test_a_choice_the_question_does_not_offer_is_refused(client, activity, questions):
    response = _post(client, activity, **{f"q_{questions['meal'].pk}": "=HYPERLINK(1)"})
    assert response.status_code == 200
    assert not Registration.objects.exists()


def test_a_huge_answer_is_refused_with_a_message(client, activity):
    question = ActivityQuestion.objects.create(
        activity=activity, label="备注", type=QuestionType.TEXT
    )
    response = _post(client, activity, **{f"q_{question.pk}": "长" * 100_000})
    assert response.status_code == 200
    assert response.context["form"].errors[f"q_{question.pk}"]
    assert not Registration.objects.exists()


def test_the_ticket_page_shows_the_answers(client, activity, questions):
    registration = RegistrationFactory(
        activity=activity, answers={str(questions["topics"].pk): ["校友企业", "导师计划"]}
    )
    token = registration_token(registration=registration)
    html = client.get(reverse("activities:registration", args=[token])).content.decode()
    assert "感兴趣的话题" in html and "校友企业、导师计划" in html


def test_the_registrations_list_filtered_to_an_activity_shows_its_answers(
    admin_client, activity, questions
):
    RegistrationFactory(activity=activity, answers={str(questions["meal"].pk): "素食"})
    url = reverse("admin:activities_registration_changelist")
    html = admin_client.get(f"{url}?activity__id__exact={activity.pk}").content.decode()
    assert "用餐偏好" in html and "素食" in html


def test_the_registrations_list_costs_the_same_queries_for_more_rows(
    admin_client, activity, questions, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:activities_registration_changelist") + (
        f"?activity__id__exact={activity.pk}"
    )
    RegistrationFactory(activity=activity)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for _ in range(10):
        RegistrationFactory(activity=activity, answers={str(questions["meal"].pk): "普通"})
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_registration_detail_shows_the_answers(admin_client, activity, questions):
    registration = RegistrationFactory(
        activity=activity, answers={str(questions["parking"].pk): False}
    )
    url = reverse("admin:activities_registration_change", args=[registration.pk])
    html = admin_client.get(url).content.decode()
    assert "需要停车位吗" in html and "否" in html


def test_the_export_has_a_column_per_question_with_formula_text_escaped(admin_client, activity):
    question = ActivityQuestion.objects.create(
        activity=activity, label="单位", type=QuestionType.TEXT
    )
    registration = RegistrationFactory(
        activity=activity, answers={str(question.pk): '=HYPERLINK("http://x")'}
    )
    response = admin_client.post(
        reverse("admin:activities_registration_changelist"),
        {"action": "export_csv", "_selected_action": [registration.pk]},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "单位"
    assert rows[1][-1] == '\'=HYPERLINK("http://x")'
    assert rows[1][rows[0].index("票号")] == registration.code


def test_an_organisers_question_with_one_choice_is_refused_in_the_admin(admin_client, activity):
    question = ActivityQuestion(activity=activity, label="选一个", type=QuestionType.SINGLE)
    question.choices = "只有一个"
    with pytest.raises(Exception) as error:
        question.full_clean()
    assert "至少" in str(error.value)
