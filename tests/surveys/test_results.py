import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from surveys.selectors import ResultFilter, survey_questions, survey_results
from surveys.services import response_submit
from tests.factories import (
    AlumnusFactory,
    BranchFactory,
    EditorFactory,
    LiaisonFactory,
    QuestionFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def answer(survey, alumnus=None, **by_label):
    questions = survey_questions(survey)
    keys = {q.label: str(q.pk) for q in questions}
    return response_submit(
        survey=survey,
        questions=questions,
        answers={keys[label]: value for label, value in by_label.items()},
        alumnus_id=alumnus.pk if alumnus else None,
    )


def result_of(results, label):
    return next(r for r in results.questions if r.question.label == label)


def bars(result):
    return {bar.label: bar.count for bar in result.bars}


def test_choice_counts_and_percentages_come_from_the_database(survey):
    answer(survey, AlumnusFactory(), 现居城市="上海", 感兴趣的活动=["讲座", "运动"])
    answer(survey, AlumnusFactory(), 现居城市="上海", 感兴趣的活动=["讲座"])
    answer(survey, AlumnusFactory(), 现居城市="北京")

    results = survey_results(survey)

    assert results.responses == 3
    city = result_of(results, "现居城市")
    assert bars(city) == {"北京": 1, "上海": 2, "深圳": 0}
    assert [b.percent for b in city.bars] == [33, 67, 0]
    interests = result_of(results, "感兴趣的活动")
    assert interests.respondents == 2
    assert bars(interests) == {"讲座": 2, "聚餐": 0, "运动": 1}


def test_rating_and_yes_no_are_counted_with_an_average(survey):
    answer(survey, AlumnusFactory(), 现居城市="上海", 满意度=5, 愿意担任导师吗=True)
    answer(survey, AlumnusFactory(), 现居城市="上海", 满意度=2, 愿意担任导师吗=False)

    results = survey_results(survey)

    rating = result_of(results, "满意度")
    assert bars(rating) == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert str(rating.average) == "3.50"
    assert bars(result_of(results, "愿意担任导师吗")) == {"是": 1, "否": 1}


def test_matrix_and_number_questions(survey):
    QuestionFactory(
        survey=survey, position=6, type="matrix", label="评价", rows="讲座\n聚餐", choices="好\n差"
    )
    QuestionFactory(survey=survey, position=7, type="number", label="年收入", choices="")
    both = {"讲座": "好", "聚餐": "差"}
    answer(survey, AlumnusFactory(), 现居城市="上海", 评价=both, 年收入="10")
    answer(survey, AlumnusFactory(), 现居城市="上海", 评价={"讲座": "好"}, 年收入="20.5")

    results = survey_results(survey)

    assert result_of(results, "评价").matrix == [("讲座", [2, 0]), ("聚餐", [0, 1])]
    income = result_of(results, "年收入")
    assert (str(income.average), income.minimum, income.maximum) == ("15.25", 10, 20.5)


def test_filter_by_class_year_and_branch(survey):
    branch = BranchFactory()
    answer(survey, AlumnusFactory(class_year=1999, branch=branch), 现居城市="北京")
    answer(survey, AlumnusFactory(class_year=2010), 现居城市="上海")
    answer(survey, AlumnusFactory(class_year=2012), 现居城市="深圳")

    by_year = survey_results(survey, ResultFilter(class_year_from=2005, class_year_to=2011))
    by_branch = survey_results(survey, ResultFilter(branch_id=branch.pk))

    assert by_year.responses == 1
    assert bars(result_of(by_year, "现居城市")) == {"北京": 0, "上海": 1, "深圳": 0}
    assert bars(result_of(by_branch, "现居城市"))["北京"] == 1
    assert by_branch.responses == 1


def test_filter_by_segment(survey):
    segment = SegmentFactory(college="法学院")
    answer(survey, AlumnusFactory(college="法学院"), 现居城市="北京")
    answer(survey, AlumnusFactory(college="计算机学院"), 现居城市="上海")

    results = survey_results(survey, ResultFilter(segment=segment))

    assert bars(result_of(results, "现居城市")) == {"北京": 1, "上海": 0, "深圳": 0}


@pytest.fixture
def staff_client(client):
    client.force_login(EditorFactory())
    return client


def results_url(survey, query=""):
    return reverse("admin:surveys_survey_results", args=[survey.pk]) + query


def test_results_page_shows_charts_and_escapes_free_text(staff_client, survey):
    answer(survey, AlumnusFactory(), 现居城市="上海", 建议='<img src=x onerror="alert(1)">')

    page = staff_client.get(results_url(survey)).content.decode()

    assert "<svg" in page and 'data-label="上海"' in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<img src=x" not in page


def test_results_page_filter_form_narrows_the_count(staff_client, survey):
    answer(survey, AlumnusFactory(class_year=1999), 现居城市="北京")
    answer(survey, AlumnusFactory(class_year=2010), 现居城市="上海")

    page = staff_client.get(results_url(survey, "?class_year_from=2005")).content.decode()

    assert 'class="summary-responses">1<' in page


def test_results_page_query_count_does_not_grow_with_answers_or_questions(
    staff_client, survey, django_assert_max_num_queries, django_assert_num_queries
):
    for _n in range(3):
        answer(survey, AlumnusFactory(), 现居城市="上海", 建议="好", 感兴趣的活动=["讲座"])
    staff_client.get(results_url(survey))  # warm the session and content type caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        staff_client.get(results_url(survey))
    for n in range(30):
        answer(survey, AlumnusFactory(), 现居城市="北京", 建议=f"建议{n}", 满意度=3)
    QuestionFactory(survey=survey, position=9, type="text", label="另一个", choices="")
    QuestionFactory(survey=survey, position=10, type="single", label="再一个")

    with django_assert_num_queries(len(few)):
        staff_client.get(results_url(survey))


def test_a_liaison_may_not_see_results(client, survey):
    client.force_login(LiaisonFactory(is_staff=True))

    assert client.get(results_url(survey)).status_code in (302, 403)


@pytest.mark.parametrize("name", ["export_csv", "export_xlsx"])
def test_a_liaison_may_not_export_the_answers(client, survey, name):
    answer(survey, AlumnusFactory(name="李娜"), 现居城市="上海")
    client.force_login(LiaisonFactory(is_staff=True))

    response = client.get(reverse(f"admin:surveys_survey_{name}", args=[survey.pk]))

    assert response.status_code in (302, 403)
    assert not response.streaming


def csv_rows(response):
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_has_chinese_headers_a_row_per_answer_and_no_live_formula(staff_client, survey):
    answer(survey, AlumnusFactory(name="李娜", class_year=2008), 现居城市="上海", 建议="=1+1")

    response = staff_client.get(reverse("admin:surveys_survey_export_csv", args=[survey.pk]))

    rows = csv_rows(response)
    with translation.override("zh-hans"):
        assert rows[0][:5] == ["编号", "提交时间", "姓名", "届别", gettext("Branch")]
    assert "现居城市" in rows[0]
    assert rows[1][2:4] == ["李娜", "2008"]
    assert rows[1][rows[0].index("建议")] == "'=1+1"
    assert len(rows) == 2


def test_export_of_an_anonymous_survey_has_no_name_columns(staff_client, survey):
    survey.respondents = "anonymous"
    survey.save(update_fields=["respondents"])
    answer(survey, None, 现居城市="深圳", 建议="@SUM(A1)")

    response = staff_client.get(reverse("admin:surveys_survey_export_csv", args=[survey.pk]))

    rows = csv_rows(response)
    assert rows[0][2] == "现居城市"
    assert rows[1][2] == "深圳"
    assert rows[1][rows[0].index("建议")] == "'@SUM(A1)"


def test_csv_export_follows_the_filter(staff_client, survey):
    answer(survey, AlumnusFactory(class_year=1999), 现居城市="北京")
    answer(survey, AlumnusFactory(class_year=2010), 现居城市="上海")

    response = staff_client.get(
        reverse("admin:surveys_survey_export_csv", args=[survey.pk]) + "?class_year_from=2005"
    )

    assert len(csv_rows(response)) == 2


def test_excel_export_escapes_formulas(staff_client, survey):
    answer(survey, AlumnusFactory(), 现居城市="上海", 建议='=HYPERLINK("http://x")')

    response = staff_client.get(reverse("admin:surveys_survey_export_xlsx", args=[survey.pk]))

    rows = xlsx_rows(response)
    assert rows[0][0] == "编号"
    assert rows[1][list(rows[0]).index("建议")] == '\'=HYPERLINK("http://x")'


def xlsx_rows(response):
    assert response.streaming
    body = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def test_excel_export_has_chinese_headers_numbers_and_the_filter(staff_client, survey):
    answer(survey, AlumnusFactory(name="李娜", class_year=1999), 现居城市="北京")
    answer(
        survey,
        AlumnusFactory(name="王芳", class_year=2010),
        现居城市="上海",
        满意度=4,
        愿意担任导师吗=True,
        感兴趣的活动=["讲座", "运动"],
    )

    response = staff_client.get(
        reverse("admin:surveys_survey_export_xlsx", args=[survey.pk]) + "?class_year_from=2005"
    )

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response)
    with translation.override("zh-hans"):
        assert rows[0][:5] == ("编号", "提交时间", "姓名", "届别", gettext("Branch"))
    assert len(rows) == 2
    assert rows[1][2:4] == ("王芳", 2010)
    assert rows[1][rows[0].index("现居城市")] == "上海"
    assert rows[1][rows[0].index("满意度")] == 4
    assert rows[1][rows[0].index("感兴趣的活动")] == "讲座; 运动"
    assert rows[1][rows[0].index("建议")] is None
    with translation.override("zh-hans"):
        assert rows[1][rows[0].index("愿意担任导师吗")] == gettext("Yes") == "是"


@pytest.mark.parametrize(
    "query", ["?class_year_from=abc", "?branch=999999", "?segment=x", "?class_year_to=99999999999"]
)
def test_odd_filters_show_the_page_with_a_message(staff_client, survey, query):
    page = staff_client.get(results_url(survey, query))

    assert page.status_code == 200
    assert 'class="errorlist"' in page.content.decode()
