from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from core.questions import (
    LONG_TEXT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    QuestionSpec,
    QuestionType,
    add_fields,
    answers_from,
    display_text,
    export_text,
    form_field,
    parse_lines,
    to_stored,
    validate_spec,
)

CITIES = ("北京", "上海", "深圳")


def spec(kind, **kwargs):
    return QuestionSpec(key=kwargs.pop("key", "1"), type=kind, label="问题", **kwargs)


def clean(question, data):
    """(stored answer, errors) for POST `data` sent to a form holding `question`."""
    form = forms.Form(data)
    add_fields(form, [question])
    if form.is_valid():
        return answers_from(form, [question]).get(question.key), {}
    return None, form.errors


def codes(errors):
    return [e.code for error_list in errors.as_data().values() for e in error_list]


def test_short_text_is_stored_stripped():
    assert clean(spec(QuestionType.TEXT), {"q_1": "  杭州 "}) == ("杭州", {})


def test_short_text_refuses_a_line_break():
    _answer, errors = clean(spec(QuestionType.TEXT), {"q_1": "杭州\n上海"})
    assert codes(errors) == ["single_line"]


def test_short_text_is_capped_even_when_the_organiser_asks_for_more():
    question = spec(QuestionType.TEXT, max_length=10_000)
    _answer, errors = clean(question, {"q_1": "字" * (TEXT_MAX_LENGTH + 1)})
    assert codes(errors) == ["max_length"]


def test_long_text_keeps_its_lines():
    answer, _errors = clean(spec(QuestionType.LONG_TEXT), {"q_1": "第一行\n第二行"})
    assert answer == "第一行\n第二行"


def test_long_text_refuses_more_than_the_cap():
    question = spec(QuestionType.LONG_TEXT, max_length=LONG_TEXT_MAX_LENGTH)
    _answer, errors = clean(question, {"q_1": "字" * (LONG_TEXT_MAX_LENGTH + 1)})
    assert codes(errors) == ["max_length"]


def test_long_text_refuses_a_nul_character():
    _answer, errors = clean(spec(QuestionType.LONG_TEXT), {"q_1": "a\x00b"})
    assert errors


def test_required_question_left_empty_says_so_in_chinese():
    with translation.override("zh-hans"):
        _answer, errors = clean(spec(QuestionType.TEXT, required=True), {"q_1": ""})
        assert errors["q_1"] == ["请回答此问题。"]


def test_optional_question_left_empty_is_not_stored():
    assert clean(spec(QuestionType.SINGLE, choices=CITIES), {}) == (None, {})


def test_single_choice_stores_the_label():
    assert clean(spec(QuestionType.SINGLE, choices=CITIES), {"q_1": "上海"}) == ("上海", {})


def test_single_choice_refuses_a_value_it_does_not_offer():
    _answer, errors = clean(spec(QuestionType.SINGLE, choices=CITIES), {"q_1": "广州"})
    assert codes(errors) == ["invalid_choice"]


def test_multiple_choice_stores_ticks_in_the_questions_order():
    question = spec(QuestionType.MULTIPLE, choices=CITIES)
    form = forms.Form({"q_1": ["深圳", "北京"]})
    add_fields(form, [question])
    assert form.is_valid()
    assert answers_from(form, [question]) == {"1": ["北京", "深圳"]}


def test_multiple_choice_refuses_more_ticks_than_allowed():
    question = spec(QuestionType.MULTIPLE, choices=CITIES, max_value=1)
    field = form_field(question)
    with pytest.raises(ValidationError) as caught:
        field.clean(["北京", "上海"])
    assert caught.value.code == "max_count"


def test_multiple_choice_refuses_fewer_ticks_than_asked():
    field = form_field(spec(QuestionType.MULTIPLE, choices=CITIES, min_value=2))
    with pytest.raises(ValidationError) as caught:
        field.clean(["北京"])
    assert caught.value.code == "min_count"


def test_number_is_stored_as_exact_text():
    question = spec(QuestionType.NUMBER, min_value=0, max_value=100)
    assert clean(question, {"q_1": "12.50"}) == ("12.5", {})


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("abc", "invalid"),
        ("-1", "min_value"),
        ("101", "max_value"),
        ("1.00001", "max_decimal_places"),
    ],
)
def test_number_refuses_bad_input(sent, code):
    question = spec(QuestionType.NUMBER, min_value=0, max_value=100)
    _answer, errors = clean(question, {"q_1": sent})
    assert codes(errors) == [code]


def test_number_without_bounds_still_refuses_a_huge_one():
    _answer, errors = clean(spec(QuestionType.NUMBER), {"q_1": "9" * 40})
    assert errors


def test_yes_no_stores_a_boolean():
    assert clean(spec(QuestionType.YES_NO), {"q_1": "no"}) == (False, {})
    assert clean(spec(QuestionType.YES_NO), {"q_1": "yes"}) == (True, {})


def test_rating_stores_an_integer_within_the_scale():
    question = spec(QuestionType.RATING, max_value=7)
    assert clean(question, {"q_1": "7"}) == (7, {})
    _answer, errors = clean(question, {"q_1": "8"})
    assert codes(errors) == ["invalid_choice"]


def test_matrix_stores_row_to_column():
    question = spec(QuestionType.MATRIX, rows=("讲座", "聚餐"), choices=("满意", "一般", "不满意"))
    answer, errors = clean(question, {"q_1_0": "0", "q_1_1": "2"})
    assert errors == {}
    assert answer == {"讲座": "满意", "聚餐": "不满意"}


def test_required_matrix_needs_every_row():
    question = spec(
        QuestionType.MATRIX, rows=("讲座", "聚餐"), choices=("满意", "一般"), required=True
    )
    _answer, errors = clean(question, {"q_1_0": "0"})
    assert codes(errors) == ["required"]


def test_matrix_refuses_a_column_it_does_not_have():
    question = spec(QuestionType.MATRIX, rows=("讲座",), choices=("满意", "一般"))
    _answer, errors = clean(question, {"q_1_0": "9"})
    assert codes(errors) == ["invalid_choice"]


def test_matrix_renders_a_radio_per_cell_with_labels_escaped():
    question = spec(QuestionType.MATRIX, rows=("<b>讲座</b>",), choices=("满意", "一般"))
    form = forms.Form()
    add_fields(form, [question])
    html = str(form["q_1"])
    assert html.count('type="radio"') == 2
    assert "<b>" not in html and "&lt;b&gt;" in html


@pytest.mark.parametrize(
    ("question", "stored", "shown", "exported"),
    [
        (spec(QuestionType.MULTIPLE, choices=CITIES), ["北京", "深圳"], "北京、深圳", "北京; 深圳"),
        (spec(QuestionType.YES_NO), True, "是", "是"),
        (spec(QuestionType.RATING), 4, "4 / 5", "4"),
        (spec(QuestionType.NUMBER), "12.5", "12.5", "12.5"),
        (
            spec(QuestionType.MATRIX, rows=("讲座",), choices=("满意", "一般")),
            {"讲座": "满意"},
            "讲座：满意",
            "讲座: 满意",
        ),
        (spec(QuestionType.TEXT), None, "", ""),
    ],
)
def test_answers_read_as_text(question, stored, shown, exported):
    with translation.override("zh-hans"):
        assert display_text(question, stored) == shown
        assert export_text(question, stored) == exported


def test_an_answer_from_before_a_type_change_still_reads():
    assert display_text(spec(QuestionType.YES_NO), ["北京"]) == "北京"


def test_to_stored_normalises_a_decimal():
    assert to_stored(spec(QuestionType.NUMBER), Decimal("3.000")) == "3"


def test_parse_lines_drops_blank_lines_and_spaces():
    assert parse_lines(" 北京 \n\n上海\r\n") == ("北京", "上海")


@pytest.mark.parametrize(
    ("question", "field"),
    [
        (spec(QuestionType.SINGLE, choices=("只有一个",)), "choices"),
        (spec(QuestionType.SINGLE, choices=("甲", "甲")), "choices"),
        (spec(QuestionType.SINGLE, choices=tuple(str(i) for i in range(51))), "choices"),
        (spec(QuestionType.TEXT, choices=("甲", "乙")), "choices"),
        (spec(QuestionType.MATRIX, choices=("甲", "乙")), "rows"),
        (spec(QuestionType.RATING, max_value=11), "max_value"),
        (spec(QuestionType.NUMBER, min_value=5, max_value=1), "max_value"),
        (spec(QuestionType.MULTIPLE, choices=("甲", "乙"), max_value=3), "max_value"),
        (spec(QuestionType.TEXT, max_length=TEXT_MAX_LENGTH + 1), "max_length"),
        (spec("essay"), "type"),
    ],
)
def test_validate_spec_refuses_a_question_that_cannot_be_answered(question, field):
    with pytest.raises(ValidationError) as caught:
        validate_spec(question)
    assert field in caught.value.message_dict


def test_validate_spec_accepts_a_good_matrix():
    validate_spec(spec(QuestionType.MATRIX, rows=("讲座", "聚餐"), choices=("满意", "一般")))
