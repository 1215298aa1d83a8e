"""Read-side queries of surveys: the questions, the results aggregated in the database."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Max, Min, QuerySet
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.questions import QuestionType
from stats.charts import bar_chart

from .models import Answer, Question, Response, Survey
from .services import NO, YES


def survey_questions(survey: Survey) -> list[Question]:
    """The survey's questions in order (one query)."""
    return list(Question.objects.filter(survey=survey).order_by("position", "pk"))


@dataclass(frozen=True)
class ResultFilter:
    """Which answers the results count: by the respondent's record (tied surveys only)."""

    class_year_from: int | None = None
    class_year_to: int | None = None
    branch_id: int | None = None
    segment: object | None = None  # an audience.Segment

    @property
    def active(self) -> bool:
        return any(
            v is not None
            for v in (self.class_year_from, self.class_year_to, self.branch_id, self.segment)
        )


NO_FILTER = ResultFilter()


def filtered_responses(survey: Survey, flt: ResultFilter = NO_FILTER) -> QuerySet[Response]:
    """The survey's responses that `flt` keeps (a filter keeps only answers tied to a record)."""
    responses = Response.objects.filter(survey=survey)
    if not flt.active:
        return responses
    responses = responses.filter(alumnus__isnull=False)
    if flt.class_year_from is not None:
        responses = responses.filter(alumnus__class_year__gte=flt.class_year_from)
    if flt.class_year_to is not None:
        responses = responses.filter(alumnus__class_year__lte=flt.class_year_to)
    if flt.branch_id is not None:
        responses = responses.filter(alumnus__branch_id=flt.branch_id)
    if flt.segment is not None:
        # Segments live in the audience app, which reads survey answers itself.
        from audience.selectors import segment_alumni

        responses = responses.filter(alumnus__in=segment_alumni(flt.segment).values("pk"))
    return responses


def _values(survey: Survey, flt: ResultFilter) -> QuerySet[Answer]:
    values = Answer.objects.filter(survey=survey)
    if flt.active:
        values = values.filter(response__in=filtered_responses(survey, flt).values("pk"))
    return values


@dataclass
class Bar:
    label: str
    count: int
    percent: int  # of the question's respondents


@dataclass
class QuestionResult:
    question: Question
    respondents: int = 0
    bars: list[Bar] = field(default_factory=list)
    # A matrix: the columns, then per row its label and each column's count.
    columns: tuple[str, ...] = ()
    matrix: list[tuple[str, list[int]]] = field(default_factory=list)
    average: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    texts: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.question.type

    @property
    def chart(self) -> SafeString:
        if not self.bars:
            return mark_safe("")
        return bar_chart(bars=[(b.label, b.count) for b in self.bars], label=self.question.label)


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    questions: list[QuestionResult]


TEXT_TYPES = (QuestionType.TEXT, QuestionType.LONG_TEXT)


# Free-text answers shown on the results page are the latest among this many responses (the
# export holds them all): one small read instead of sorting every text answer.
TEXT_SCAN = 400


def survey_results(
    survey: Survey, flt: ResultFilter = NO_FILTER, *, texts_per_question: int = 20
) -> SurveyResults:
    """Every question's figures, counted by the database: five queries whatever the number of
    questions or answers (questions, responses, the tally, the numbers, the latest texts)."""
    questions = survey_questions(survey)
    responses = filtered_responses(survey, flt)
    total = responses.count()
    values = _values(survey, flt)
    tally: dict[int, list[tuple[str, str, int, int]]] = {}
    # Grouped by `first` too rather than COUNT(*) FILTER: the index holds every column read.
    for item in (
        values.values("question_id", "row", "choice", "first").annotate(n=Count("*")).order_by()
    ):
        heads = item["n"] if item["first"] else 0
        tally.setdefault(item["question_id"], []).append(
            (item["row"], item["choice"], item["n"], heads)
        )
    number_questions = [q.pk for q in questions if q.type == QuestionType.NUMBER]
    numbers = {}
    if number_questions:
        numbers = {
            item["question_id"]: item
            for item in values.filter(question_id__in=number_questions, choice="")
            .values("question_id")
            .annotate(avg=Avg("number"), low=Min("number"), high=Max("number"))
            .order_by()
        }
    texts: dict[int, list[str]] = {}
    text_questions = [str(q.pk) for q in questions if q.type in TEXT_TYPES]
    if text_questions and texts_per_question:
        for answers in responses.order_by("-pk").values_list("answers", flat=True)[:TEXT_SCAN]:
            for key in text_questions:
                text = (answers or {}).get(key)
                shown = texts.setdefault(int(key), [])
                if isinstance(text, str) and text and len(shown) < texts_per_question:
                    shown.append(text)
    return SurveyResults(
        survey=survey,
        responses=total,
        questions=[
            _question_result(q, tally.get(q.pk, []), numbers.get(q.pk), texts.get(q.pk, []))
            for q in questions
        ],
    )


def _percent(count: int, of: int) -> int:
    return round(100 * count / of) if of else 0


def _question_result(question: Question, groups, number, texts) -> QuestionResult:
    spec = question.spec()
    respondents = sum(heads for _row, _choice, _n, heads in groups)
    result = QuestionResult(question=question, respondents=respondents, texts=texts)
    counts = {(row, choice): n for row, choice, n, _heads in groups}
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        # The question's choices in order, then any answered choice it no longer offers.
        labels = list(spec.choices) + sorted({c for (_r, c) in counts if c not in spec.choices})
        result.bars = [
            Bar(
                label, counts.get(("", label), 0), _percent(counts.get(("", label), 0), respondents)
            )
            for label in labels
        ]
    elif kind == QuestionType.YES_NO:
        result.bars = [
            Bar(
                str(name),
                counts.get(("", value), 0),
                _percent(counts.get(("", value), 0), respondents),
            )
            for value, name in ((YES, _("Yes")), (NO, _("No")))
        ]
    elif kind == QuestionType.RATING:
        scale = [str(i) for i in range(1, spec.scale + 1)]
        result.bars = [
            Bar(s, counts.get(("", s), 0), _percent(counts.get(("", s), 0), respondents))
            for s in scale
        ]
        total = sum(int(s) * counts.get(("", s), 0) for s in scale)
        answered = sum(counts.get(("", s), 0) for s in scale)
        if answered:
            result.average = (Decimal(total) / answered).quantize(Decimal("0.01"))
    elif kind == QuestionType.MATRIX:
        result.columns = spec.choices
        result.matrix = [
            (row, [counts.get((row, column), 0) for column in spec.choices]) for row in spec.rows
        ]
    elif kind == QuestionType.NUMBER and number:
        result.average = Decimal(number["avg"]).quantize(Decimal("0.01"))
        result.minimum = number["low"]
        result.maximum = number["high"]
    return result
