"""A realistic 20-question survey and random answers to it: for the demo data, the burst test
and bench/surveys_bench.py (the issue's figure is for a survey of 20 questions)."""

import random

from django.db import transaction
from django.utils import timezone

from core.questions import QuestionType
from editorial.models import State

from .models import Answer, Question, Respondents, Response, Survey
from .services import answer_rows

CITIES = ["北京", "上海", "深圳", "广州", "杭州", "成都", "武汉", "西安", "南京", "海外"]
# (type, label, choices, rows, extra fields)
QUESTIONS = [
    (QuestionType.SINGLE, "现居城市", CITIES, [], {"required": True, "record_field": "city"}),
    (QuestionType.TEXT, "工作单位", [], [], {"record_field": "employer"}),
    (
        QuestionType.SINGLE,
        "所在行业",
        ["教育", "金融", "互联网", "制造业", "医疗", "政府机关", "其他"],
        [],
        {},
    ),
    (
        QuestionType.MULTIPLE,
        "希望参加的活动",
        ["讲座", "返校聚会", "行业沙龙", "运动", "公益", "亲子"],
        [],
        {},
    ),
    (QuestionType.RATING, "对校友会工作的满意度", [], [], {"required": True}),
    (QuestionType.YES_NO, "是否愿意担任在校生导师", [], [], {"record_label": "愿意担任导师"}),
    (
        QuestionType.SINGLE,
        "获取校友消息的主要渠道",
        ["微信公众号", "校友群", "邮件", "朋友转告"],
        [],
        {},
    ),
    (QuestionType.NUMBER, "每年可参加活动的次数", [], [], {"min_value": 0, "max_value": 100}),
    (
        QuestionType.MATRIX,
        "对以下活动的评价",
        ["满意", "一般", "不满意"],
        ["返校日", "年会", "讲座"],
        {},
    ),
    (QuestionType.YES_NO, "是否愿意为母校捐赠", [], [], {}),
    (
        QuestionType.MULTIPLE,
        "关注的母校新闻",
        ["学术科研", "招生就业", "校园建设", "校友风采"],
        [],
        {},
    ),
    (QuestionType.RATING, "公众号内容的有用程度", [], [], {"max_value": 10}),
    (QuestionType.SINGLE, "毕业后的最高学历", ["本科", "硕士", "博士", "其他"], [], {}),
    (QuestionType.YES_NO, "是否加入了所在城市的校友分会", [], [], {}),
    (
        QuestionType.SINGLE,
        "希望活动安排在",
        ["工作日晚上", "周末白天", "周末晚上", "节假日"],
        [],
        {},
    ),
    (
        QuestionType.NUMBER,
        "愿意为一次活动支付的费用（元）",
        [],
        [],
        {"min_value": 0, "max_value": 10000},
    ),
    (QuestionType.MULTIPLE, "可以提供的帮助", ["实习岗位", "职业咨询", "讲座嘉宾", "场地"], [], {}),
    (QuestionType.RATING, "推荐校友会给同学的可能性", [], [], {}),
    (QuestionType.LONG_TEXT, "对校友会的建议", [], [], {}),
    (QuestionType.TEXT, "一句话寄语母校", [], [], {}),
]
SUGGESTIONS = [
    "希望多组织行业交流活动。",
    "建议公众号增加校友企业招聘信息。",
    "能否在周末组织亲子活动？",
    "感谢校友会的辛勤工作！",
    "希望各地分会之间多联动。",
]


def sample_survey(
    *,
    title: str = "2026 校友需求调查",
    respondents: str = Respondents.RECORD,
    by=None,
    state: str = State.PUBLISHED,
) -> tuple[Survey, list[Question]]:
    """A survey of the 20 QUESTIONS, saved as it stands (no review: demo and bench data)."""
    survey = Survey.objects.create(
        title=title,
        digest="两分钟，告诉我们您希望校友会做什么。",
        body="<p>亲爱的校友：为了更好地服务大家，请花两分钟填写这份问卷。谢谢！</p>",
        respondents=respondents,
        state=state,
        created_by=by,
    )
    if state == State.PUBLISHED:
        survey.published_at = timezone.now()
        survey.save(update_fields=["published_at"])
    questions = [
        Question.objects.create(
            survey=survey,
            position=n,
            type=kind,
            label=label,
            choices="\n".join(choices),
            rows="\n".join(rows),
            **extra,
        )
        for n, (kind, label, choices, rows, extra) in enumerate(QUESTIONS, 1)
    ]
    return survey, questions


def random_answer(question: Question, rng: random.Random):
    """A stored answer to `question`, or None (skipped) for one optional question in five."""
    spec = question.spec()
    if not spec.required and rng.random() < 0.2:
        return None
    kind = question.type
    if kind == QuestionType.SINGLE:
        return rng.choice(spec.choices)
    if kind == QuestionType.MULTIPLE:
        picked = set(rng.sample(spec.choices, rng.randint(1, len(spec.choices))))
        return [c for c in spec.choices if c in picked]
    if kind == QuestionType.RATING:
        return rng.choices(range(1, spec.scale + 1), weights=range(1, spec.scale + 1))[0]
    if kind == QuestionType.YES_NO:
        return rng.random() < 0.6
    if kind == QuestionType.NUMBER:
        return str(rng.randint(int(spec.min_value or 0), min(int(spec.max_value or 100), 500)))
    if kind == QuestionType.MATRIX:
        return {row: rng.choice(spec.choices) for row in spec.rows}
    if kind == QuestionType.LONG_TEXT:
        return rng.choice(SUGGESTIONS)
    return rng.choice(["某某科技有限公司", "市第一中学", "某银行", "母校越来越好！"])


def random_answers(questions: list[Question], rng: random.Random) -> dict:
    """{str(question pk): stored answer} for one person."""
    answers = {}
    for question in questions:
        value = random_answer(question, rng)
        if value is not None:
            answers[str(question.pk)] = value
    return answers


def as_post(questions: list[Question], answers: dict) -> dict:
    """The POST data a phone sends for `answers` (the inverse of the form's cleaning)."""
    data: dict = {}
    for question in questions:
        value = answers.get(str(question.pk))
        if value is None:
            continue
        name = f"q_{question.pk}"
        kind = question.type
        if kind == QuestionType.YES_NO:
            data[name] = "yes" if value else "no"
        elif kind == QuestionType.MATRIX:
            columns = question.spec().choices
            for index, row in enumerate(question.spec().rows):
                if row in value:
                    data[f"{name}_{index}"] = str(columns.index(value[row]))
        else:
            data[name] = value if isinstance(value, list) else str(value)
    return data


def seed_responses(
    survey: Survey, questions: list[Question], answers: list[tuple[int | None, dict]], batch=1000
) -> int:
    """Store many responses at once ((alumnus id or None, answers) each), bypassing the form
    and the record updates: for seeding a demo or a benchmark. Returns how many."""
    by_key = {str(q.pk): q for q in questions}
    for start in range(0, len(answers), batch):
        chunk = answers[start : start + batch]
        with transaction.atomic():
            responses = Response.objects.bulk_create(
                [Response(survey=survey, alumnus_id=a, answers=ans) for a, ans in chunk]
            )
            rows = []
            for response in responses:
                for key, stored in response.answers.items():
                    for row in answer_rows(by_key[key], stored):
                        row.response = response
                        rows.append(row)
            Answer.objects.bulk_create(rows, batch_size=5000)
    return len(answers)
