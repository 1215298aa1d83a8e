"""Answers written back into the alumni records, and segments that select by them."""

import pytest

from audience.models import ProfileChange, RecordLabel, Segment
from audience.selectors import segment_alumni, segment_members
from audience.services import alumnus_erase
from surveys.models import Response
from tests.factories import AlumnusFactory, FollowerFactory
from tests.wechat import conftest as wechat_fixtures

from .conftest import answer_data

pytestmark = pytest.mark.django_db

# The WeChat emulator of the wechat tests, over HTTP (segments become WeChat tags there).
emulator_server = wechat_fixtures.emulator_server
emulator = wechat_fixtures.emulator


def url(survey):
    return f"/surveys/{survey.pk}/"


def test_an_answer_sets_the_mapped_field_with_a_line_in_the_change_log(reader, survey, bound):
    reader.post(url(survey), answer_data(survey, 现居城市="深圳"))

    bound.alumnus.refresh_from_db()
    assert bound.alumnus.city == "深圳"
    change = ProfileChange.objects.get(alumnus=bound.alumnus, field="city")
    assert (change.old_value, change.new_value, change.follower) == ("杭州", "深圳", bound)


def test_yes_puts_the_label_on_the_record_and_logs_it(reader, survey, bound):
    reader.post(url(survey), answer_data(survey, 愿意担任导师吗="yes"))

    assert list(bound.alumnus.labels.values_list("name", flat=True)) == ["愿意担任导师"]
    change = ProfileChange.objects.get(alumnus=bound.alumnus, field="label")
    assert change.new_value == "愿意担任导师"


def test_no_takes_the_label_off(reader, survey, bound):
    RecordLabel.objects.create(alumnus=bound.alumnus, name="愿意担任导师")

    reader.post(url(survey), answer_data(survey, 愿意担任导师吗="no"))

    assert not bound.alumnus.labels.exists()
    assert ProfileChange.objects.get(field="label").old_value == "愿意担任导师"


def test_an_anonymous_answer_changes_no_record(client, survey, bound):
    survey.respondents = "anonymous"
    survey.save()

    client.post(url(survey), answer_data(survey, 现居城市="深圳"))

    bound.alumnus.refresh_from_db()
    assert bound.alumnus.city == "杭州"
    assert not ProfileChange.objects.exists()


def segment_for(survey, label, answer=""):
    segment = Segment(name="导师", survey_question=survey.questions.get(label=label))
    segment.survey_answer = answer
    segment.full_clean()
    segment.save()
    return segment


def test_a_segment_selects_who_answered_a_choice(reader, survey, bound):
    other = FollowerFactory(alumnus=AlumnusFactory())
    reader.post(url(survey), answer_data(survey, 现居城市="北京"))
    Response.objects.create(survey=survey, alumnus=other.alumnus, answers={})

    segment = segment_for(survey, "现居城市", "北京")

    assert list(segment_alumni(segment)) == [bound.alumnus]
    assert list(segment_members(segment)) == [bound]


def test_a_segment_reads_是_for_a_yes_no_question(reader, survey, bound):
    reader.post(url(survey), answer_data(survey, 愿意担任导师吗="yes"))

    segment = segment_for(survey, "愿意担任导师吗", "是")

    assert segment.survey_answer == "yes"
    assert list(segment_alumni(segment)) == [bound.alumnus]
    assert not segment_alumni(segment_for_no(survey)).exists()


def segment_for_no(survey):
    segment = Segment(name="不愿意", survey_question=survey.questions.get(label="愿意担任导师吗"))
    segment.survey_answer = "否"
    segment.full_clean()
    segment.save()
    return segment


def test_a_segment_selects_by_label(reader, survey, bound):
    AlumnusFactory()
    reader.post(url(survey), answer_data(survey, 愿意担任导师吗="yes"))

    segment = Segment.objects.create(name="导师", label="愿意担任导师")

    assert list(segment_alumni(segment)) == [bound.alumnus]


def test_erasing_a_record_drops_its_labels_and_unlinks_its_answers(reader, survey, bound):
    reader.post(url(survey), answer_data(survey))

    alumnus_erase(alumnus=bound.alumnus)

    assert not RecordLabel.objects.exists()
    assert Response.objects.get().alumnus is None


def test_the_office_lists_who_carries_a_label(client, office_admin, bound):
    RecordLabel.objects.create(alumnus=bound.alumnus, name="愿意担任导师")
    client.force_login(office_admin)

    page = client.get("/admin/audience/recordlabel/?name=愿意担任导师")

    assert page.status_code == 200
    assert "张伟" in page.content.decode()


def test_a_segment_by_answer_becomes_a_wechat_tag_of_exactly_those_alumni(emulator, survey):
    from audience.services import follower_bind, segment_sync
    from surveys.selectors import survey_questions
    from surveys.services import response_submit
    from wechat_emulator import openid_for

    questions = survey_questions(survey)
    keys = {q.label: str(q.pk) for q in questions}
    followers = []
    for index, willing in ((1, True), (2, False), (3, True)):
        follower = follower_bind(
            follower=FollowerFactory(openid=openid_for(index)), alumnus=AlumnusFactory()
        )
        followers.append(follower)
        response_submit(
            survey=survey,
            questions=questions,
            answers={keys["现居城市"]: "上海", keys["愿意担任导师吗"]: willing},
            alumnus_id=follower.alumnus_id,
        )

    result = segment_sync(segment=segment_for(survey, "愿意担任导师吗", "是"))

    tag = next(t for t in emulator.state.snapshot()["tags"] if t["id"] == result.tag_id)
    assert tag["count"] == 2
    assert result.added == 2
