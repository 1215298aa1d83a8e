"""Surveys (问卷): questions the office asks alumni, answered on the phone.

A `Survey` is editorial content (reviewed, published, withdrawn, pushed like an article). Its
answers are stored twice, each for what it serves best: a `Response` keeps the whole answer as
JSON (one row per person, for the export and for showing one answer), and `Answer` rows keep
one value per row (one per tick of a multiple choice, one per matrix row), so that the results
page counts, averages and filters in the database with a few GROUP BY queries, whatever the
number of answers.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.questions import (
    MAX_HELP_LENGTH,
    MAX_LABEL_LENGTH,
    QuestionSpec,
    QuestionType,
    parse_lines,
    validate_spec,
)
from core.text import SingleLineTextMixin
from editorial.models import EditorialItem

# A survey longer than this is a form nobody finishes on a phone (and a page the results cannot
# show at a glance).
MAX_QUESTIONS = 60
# A label on an alumni record (also a segment's filter); as short as a WeChat tag name.
LABEL_MAX_LENGTH = 30


class Respondents(models.TextChoices):
    ANONYMOUS = "anonymous", _("Anyone, anonymously")
    RECORD = "record", _("Bound alumni, tied to their record")


class Survey(EditorialItem):
    """The body is the survey's introduction; questions are edited inline with it."""

    respondents = models.CharField(
        _("who answers"),
        max_length=16,
        choices=Respondents.choices,
        default=Respondents.RECORD,
        help_text=_(
            "Anonymous: anyone with the link answers, nothing ties the answer to a person (one "
            "phone may answer again; answers are throttled per network). Tied to the record: "
            "only followers who bound their alumni record answer, once each; the results can "
            "then be filtered by class year, branch and segment, and answers can update the "
            "record."
        ),
    )
    opens_at = models.DateTimeField(
        _("opens at"), null=True, blank=True, help_text=_("Empty: open once published.")
    )
    closes_at = models.DateTimeField(
        _("closes at"), null=True, blank=True, help_text=_("Empty: open until withdrawn.")
    )

    revision_fields = EditorialItem.revision_fields + ("respondents", "opens_at", "closes_at")
    revision_related = {
        "questions": (
            "position",
            "type",
            "label",
            "help_text",
            "required",
            "choices",
            "rows",
            "min_value",
            "max_value",
            "max_length",
            "record_field",
            "record_label",
        )
    }
    public_url_name = "surveys:detail"

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-published_at", "-pk"]
        permissions = [("view_results", _("Can see and export a survey's results"))]

    def clean(self):
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("A survey closes after it opens.")})

    @property
    def tied_to_record(self) -> bool:
        return self.respondents == Respondents.RECORD

    def open_state(self, now=None) -> str:
        """ "open", "not_yet" or "closed" (by the dates; publishing is the view's business)."""
        now = now or timezone.now()
        if self.opens_at and now < self.opens_at:
            return "not_yet"
        if self.closes_at and now >= self.closes_at:
            return "closed"
        return "open"


class RecordField(models.TextChoices):
    """Fields of the alumni record an answer may set (the ones alumni change themselves)."""

    NONE = "", _("Nothing")
    CITY = "city", _("city")
    EMPLOYER = "employer", _("employer")


# Which question types may set a record field: their answer is one line of text.
RECORD_FIELD_TYPES = (QuestionType.TEXT, QuestionType.SINGLE)


class Question(SingleLineTextMixin, models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    type = models.CharField(
        _("type"), max_length=16, choices=QuestionType.choices, default=QuestionType.SINGLE
    )
    label = models.CharField(_("question"), max_length=MAX_LABEL_LENGTH)
    help_text = models.CharField(_("help text"), max_length=MAX_HELP_LENGTH, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("One per line: the options of a choice, the columns of a matrix."),
    )
    rows = models.TextField(_("rows"), blank=True, help_text=_("A matrix's rows, one per line."))
    min_value = models.DecimalField(
        _("minimum"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Of a number; of ticks for a multiple choice."),
    )
    max_value = models.DecimalField(
        _("maximum"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Of a number; of ticks for a multiple choice; a rating's top (5 if empty)."),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    record_field = models.CharField(
        _("sets the record's field"),
        max_length=16,
        choices=RecordField.choices,
        blank=True,
        default="",
        help_text=_("A short text or single choice answer from a bound alumnus updates it."),
    )
    record_label = models.CharField(
        _("sets the record's label"),
        max_length=LABEL_MAX_LENGTH,
        blank=True,
        help_text=_(
            "A yes/no question: “yes” puts this label on the record, “no” takes it off "
            "(e.g. 愿意担任导师). Segments can select by label."
        ),
    )

    multi_line_fields = ()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.label

    def spec(self) -> QuestionSpec:
        """The question for core.questions (form field, checks, answer text)."""

        def number(value: Decimal | None):
            if value is None:
                return None
            value = Decimal(str(value))
            return int(value) if value == value.to_integral_value() else value

        return QuestionSpec(
            key=str(self.pk or f"new{self.position}"),
            type=self.type,
            label=self.label,
            help_text=self.help_text,
            required=self.required,
            choices=parse_lines(self.choices),
            rows=parse_lines(self.rows),
            min_value=number(self.min_value),
            max_value=number(self.max_value),
            max_length=self.max_length,
        )

    def clean(self):
        super().clean()
        validate_spec(self.spec())
        if self.record_field and self.type not in RECORD_FIELD_TYPES:
            raise ValidationError(
                {"record_field": _("Only a short text or single choice answer can set a field.")}
            )
        if self.record_label and self.type != QuestionType.YES_NO:
            raise ValidationError({"record_label": _("Only a yes/no question can set a label.")})


class Response(models.Model):
    """One person's answer to a survey. Tied to a record, one per record (the constraint is
    what holds under concurrent submits); anonymous, `alumnus` is empty."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey")
    )
    alumnus = models.ForeignKey(
        "alumni.Alumnus",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("alumnus"),
    )
    answers = models.JSONField(_("answers"), default=dict)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "alumnus"],
                condition=Q(alumnus__isnull=False),
                name="surveys_one_response_per_record",
            )
        ]

    def __str__(self):
        return f"{self.survey_id}#{self.pk}"


class Answer(models.Model):
    """One value of a response, for counting: `choice` is the chosen option (a matrix's column,
    "yes"/"no", a rating's number), `row` a matrix's row, `number` a number answer, `text` a
    text answer. `first` marks one row per (response, question): respondents per question are
    counted from it without COUNT(DISTINCT)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="values")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="values")
    first = models.BooleanField(default=True)
    row = models.CharField(max_length=100, blank=True)
    choice = models.CharField(max_length=100, blank=True)
    number = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer value")
        verbose_name_plural = _("answer values")
        indexes = [
            # The results' GROUP BY reads this index alone (an index-only scan on PostgreSQL):
            # at 50,000 answers of 20 questions it groups a million entries, not table rows.
            models.Index(
                fields=["survey", "question", "row", "choice", "first"], name="surveys_tally"
            ),
            # Number answers' average, lowest and highest, and segments by answer.
            models.Index(
                fields=["question", "choice"], include=["number"], name="surveys_question_choice"
            ),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.choice or self.number or self.text[:20]}"
