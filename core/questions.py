"""Questions that organisers write and people answer: an activity's sign-up, a survey.

A question is a `QuestionSpec` (plain data, whatever model stores it). This module turns a spec
into a Django form field, checks the organiser's spec (`validate_spec`), turns a cleaned form
value into a JSON-safe stored answer (`to_stored`) and a stored answer back into text for a page
(`display_text`) or a spreadsheet cell (`export_text`).

Stored answers, by type (a question not answered is stored as None, or not at all):
- text, long text: str
- single choice: str (the chosen label, so that renaming a choice later does not change what
  earlier answers said)
- multiple choice: list[str] in the order of the question's choices
- number: str (a Decimal's text: exact, JSON-safe)
- yes/no: bool
- rating: int from 1 to the scale's top
- matrix: {row label: column label} for each row answered

Sizes are capped here, not only in the browser: a hand-made POST can send anything. The caps
are the most a question may allow (`MAX_*`); an organiser may set lower ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .text import NOT_ONE_LINE


class QuestionType(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    NUMBER = "number", _("Number")
    YES_NO = "yes_no", _("Yes or no")
    RATING = "rating", _("Rating scale")
    MATRIX = "matrix", _("Matrix (rows × columns)")


CHOICE_TYPES = frozenset({QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.MATRIX})

MAX_LABEL_LENGTH = 200
MAX_HELP_LENGTH = 500
MAX_CHOICES = 50
MAX_CHOICE_LENGTH = 100
MAX_ROWS = 30
TEXT_MAX_LENGTH = 200  # short text: the default and the most
LONG_TEXT_DEFAULT_LENGTH = 2000
LONG_TEXT_MAX_LENGTH = 5000
RATING_DEFAULT_SCALE = 5
RATING_MAX_SCALE = 10
# A number answer: at most 12 digits before the point and 4 after, whatever min and max say.
NUMBER_MAX_DIGITS = 16
NUMBER_DECIMAL_PLACES = 4
NUMBER_LIMIT = Decimal("999999999999")


@dataclass(frozen=True)
class QuestionSpec:
    """One question. `key` names its form field (`q_<key>`) and its answer.

    `choices` are the options of a single or multiple choice and the columns of a matrix;
    `rows` the rows of a matrix. `min_value`/`max_value` bound a number, the count of ticks of
    a multiple choice, and (max only) the top of a rating scale (default 5). `max_length` caps a
    text answer (capped itself at TEXT_MAX_LENGTH or LONG_TEXT_MAX_LENGTH).
    """

    key: str
    type: str
    label: str
    help_text: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    rows: tuple[str, ...] = ()
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    max_length: int | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def field_name(self) -> str:
        return f"q_{self.key}"

    @property
    def scale(self) -> int:
        """The top of a rating scale."""
        if self.max_value is None:
            return RATING_DEFAULT_SCALE
        return max(2, min(int(self.max_value), RATING_MAX_SCALE))

    @property
    def text_limit(self) -> int:
        cap = TEXT_MAX_LENGTH if self.type == QuestionType.TEXT else LONG_TEXT_MAX_LENGTH
        default = TEXT_MAX_LENGTH if self.type == QuestionType.TEXT else LONG_TEXT_DEFAULT_LENGTH
        return min(self.max_length or default, cap)


def parse_lines(text: str) -> tuple[str, ...]:
    """One choice (or matrix row) per line, blank lines and surrounding spaces dropped."""
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def validate_spec(spec: QuestionSpec) -> None:
    """Raise ValidationError (a dict by field: type, choices, rows, min_value, max_value,
    max_length) when the organiser's question cannot be answered sensibly."""
    errors: dict[str, list] = {}

    def add(name, message):
        errors.setdefault(name, []).append(ValidationError(message))

    if spec.type not in QuestionType.values:
        add("type", _("Choose a question type."))
    if spec.type in CHOICE_TYPES:
        if len(spec.choices) < 2:
            add("choices", _("Give at least two choices, one per line."))
        if len(spec.choices) > MAX_CHOICES:
            add("choices", _("At most %(count)d choices.") % {"count": MAX_CHOICES})
        if len(set(spec.choices)) != len(spec.choices):
            add("choices", _("Each choice may appear only once."))
        if any(len(c) > MAX_CHOICE_LENGTH for c in spec.choices):
            add(
                "choices",
                _("A choice may be at most %(count)d characters.") % {"count": MAX_CHOICE_LENGTH},
            )
        if any(NOT_ONE_LINE.search(c) for c in spec.choices):
            add("choices", _("A choice may not hold tabs or control characters."))
    elif spec.choices:
        add("choices", _("Only choice and matrix questions have choices."))
    if spec.type == QuestionType.MATRIX:
        if not spec.rows:
            add("rows", _("Give the matrix's rows, one per line."))
        if len(spec.rows) > MAX_ROWS:
            add("rows", _("At most %(count)d rows.") % {"count": MAX_ROWS})
        if len(set(spec.rows)) != len(spec.rows):
            add("rows", _("Each row may appear only once."))
        if any(len(r) > MAX_CHOICE_LENGTH for r in spec.rows):
            add(
                "rows",
                _("A row may be at most %(count)d characters.") % {"count": MAX_CHOICE_LENGTH},
            )
    elif spec.rows:
        add("rows", _("Only matrix questions have rows."))
    rating = spec.type == QuestionType.RATING
    if rating and spec.max_value is not None and not 2 <= spec.max_value <= RATING_MAX_SCALE:
        add(
            "max_value",
            _("A rating scale goes from 1 to between 2 and %(top)d.") % {"top": RATING_MAX_SCALE},
        )
    if spec.type in (QuestionType.NUMBER, QuestionType.MULTIPLE):
        low, high = spec.min_value, spec.max_value
        if low is not None and high is not None and low > high:
            add("max_value", _("The maximum must not be less than the minimum."))
        for name, value in (("min_value", low), ("max_value", high)):
            if value is not None and abs(Decimal(value)) > NUMBER_LIMIT:
                add(name, _("This number is too large."))
    if spec.type == QuestionType.MULTIPLE and spec.choices:
        for name, value in (("min_value", spec.min_value), ("max_value", spec.max_value)):
            if value is not None and not 0 <= value <= len(spec.choices):
                add(name, _("A count of ticks between 0 and the number of choices."))
    if spec.max_length is not None:
        if spec.type not in (QuestionType.TEXT, QuestionType.LONG_TEXT):
            add("max_length", _("Only text questions have a maximum length."))
        elif not 1 <= spec.max_length <= spec_cap(spec.type):
            add(
                "max_length",
                _("A maximum length between 1 and %(count)d.") % {"count": spec_cap(spec.type)},
            )
    if errors:
        raise ValidationError(errors)


def spec_cap(question_type: str) -> int:
    return TEXT_MAX_LENGTH if question_type == QuestionType.TEXT else LONG_TEXT_MAX_LENGTH


# --- Form fields ----------------------------------------------------------------------------


class MatrixWidget(forms.Widget):
    """A table: one row of radio buttons per matrix row (`<name>_<i>` = column index)."""

    def __init__(self, rows, columns, attrs=None):
        super().__init__(attrs)
        self.rows = tuple(rows)
        self.columns = tuple(columns)

    def value_from_datadict(self, data, files, name):
        return [data.get(f"{name}_{i}") for i in range(len(self.rows))]

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}_{i}" in data for i in range(len(self.rows)))

    def render(self, name, value, attrs=None, renderer=None):
        value = value if isinstance(value, list | tuple) else []
        head = format_html_join(
            "", '<th scope="col">{}</th>', ((column,) for column in self.columns)
        )
        body = []
        for i, row in enumerate(self.rows):
            chosen = str(value[i]) if i < len(value) and value[i] is not None else None
            cells = format_html_join(
                "",
                '<td><input type="radio" name="{}" value="{}" aria-label="{}"{}></td>',
                (
                    (
                        f"{name}_{i}",
                        j,
                        f"{row}: {column}",
                        " checked" if chosen == str(j) else "",
                    )
                    for j, column in enumerate(self.columns)
                ),
            )
            body.append(format_html('<tr><th scope="row">{}</th>{}</tr>', row, cells))
        return format_html(
            '<table class="question-matrix" id="{}"><thead><tr><td></td>{}</tr></thead>'
            "<tbody>{}</tbody></table>",
            (attrs or {}).get("id", f"id_{name}"),
            head,
            format_html_join("", "{}", ((row,) for row in body)),
        )


class MatrixField(forms.Field):
    """Cleans to {row label: column label}; a required matrix needs every row answered."""

    def __init__(self, *, rows, columns, **kwargs):
        self.rows = tuple(rows)
        self.columns = tuple(columns)
        kwargs.setdefault("widget", MatrixWidget(self.rows, self.columns))
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return {}
        if not isinstance(value, list | tuple) or len(value) != len(self.rows):
            raise ValidationError(_("This answer is not one the question offers."), code="invalid")
        answer = {}
        for row, raw in zip(self.rows, value, strict=True):
            if raw in (None, ""):
                continue
            try:
                index = int(raw)
            except (TypeError, ValueError):
                index = -1
            if not 0 <= index < len(self.columns):
                raise ValidationError(
                    _("This answer is not one the question offers."), code="invalid_choice"
                )
            answer[row] = self.columns[index]
        return answer

    def validate(self, value):
        if self.required and len(value) < len(self.rows):
            raise ValidationError(_("Answer every row."), code="required")


class MultipleChoiceField(forms.MultipleChoiceField):
    """Ticks bounded by min and max counts."""

    def __init__(self, *, min_count=None, max_count=None, **kwargs):
        self.min_count, self.max_count = min_count, max_count
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and self.min_count is not None and len(value) < self.min_count:
            raise ValidationError(
                _("Tick at least %(count)d.") % {"count": self.min_count}, code="min_count"
            )
        if self.max_count is not None and len(value) > self.max_count:
            raise ValidationError(
                _("Tick at most %(count)d.") % {"count": self.max_count}, code="max_count"
            )


def _one_line(value):
    if isinstance(value, str) and NOT_ONE_LINE.search(value):
        raise ValidationError(
            _("Write this on one line: line breaks, tabs and control characters are not allowed."),
            code="single_line",
        )


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(_("This answer holds characters that cannot be saved."), code="nul")


YES, NO = "yes", "no"


def form_field(spec: QuestionSpec) -> forms.Field:
    """The form field that asks `spec`; its cleaned value goes through `to_stored`."""
    common = {
        "label": spec.label,
        "help_text": spec.help_text,
        "required": spec.required,
        "error_messages": {
            "required": _("Please answer this question."),
            "invalid_choice": _("This answer is not one the question offers."),
        },
    }
    kind = spec.type
    if kind == QuestionType.TEXT:
        limit = spec.text_limit
        return forms.CharField(
            max_length=limit,
            validators=[_one_line],
            widget=forms.TextInput(attrs={"maxlength": limit}),
            **_with_messages(common, max_length=_length_message(limit)),
        )
    if kind == QuestionType.LONG_TEXT:
        limit = spec.text_limit
        return forms.CharField(
            max_length=limit,
            validators=[_no_nul],
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": limit}),
            **_with_messages(common, max_length=_length_message(limit)),
        )
    if kind == QuestionType.SINGLE:
        return forms.ChoiceField(
            choices=[(c, c) for c in spec.choices], widget=forms.RadioSelect, **common
        )
    if kind == QuestionType.MULTIPLE:
        return MultipleChoiceField(
            choices=[(c, c) for c in spec.choices],
            widget=forms.CheckboxSelectMultiple,
            min_count=None if spec.min_value is None else int(spec.min_value),
            max_count=None if spec.max_value is None else int(spec.max_value),
            **common,
        )
    if kind == QuestionType.NUMBER:
        low = NUMBER_LIMIT * -1 if spec.min_value is None else Decimal(spec.min_value)
        high = NUMBER_LIMIT if spec.max_value is None else Decimal(spec.max_value)
        return forms.DecimalField(
            min_value=low,
            max_value=high,
            max_digits=NUMBER_MAX_DIGITS,
            decimal_places=NUMBER_DECIMAL_PLACES,
            widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            **_with_messages(
                common,
                invalid=_("Enter a number."),
                min_value=_("Enter a number of at least %(limit_value)s."),
                max_value=_("Enter a number of at most %(limit_value)s."),
                max_digits=_("This number is too long."),
                max_decimal_places=_("At most 4 digits after the decimal point."),
                max_whole_digits=_("This number is too large."),
            ),
        )
    if kind == QuestionType.YES_NO:
        return forms.TypedChoiceField(
            choices=[(YES, _("Yes")), (NO, _("No"))],
            coerce=lambda v: v == YES,
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    if kind == QuestionType.RATING:
        return forms.TypedChoiceField(
            choices=[(str(i), str(i)) for i in range(1, spec.scale + 1)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect(attrs={"class": "rating"}),
            **common,
        )
    if kind == QuestionType.MATRIX:
        return MatrixField(rows=spec.rows, columns=spec.choices, **common)
    raise ValueError(f"unknown question type {kind!r}")


def _with_messages(common: dict, **messages) -> dict:
    return {**common, "error_messages": {**common["error_messages"], **messages}}


def _length_message(limit: int):
    return _("At most %(limit_value)d characters (this answer has %(show_value)d).")


def add_fields(form: forms.BaseForm, specs) -> None:
    """Add a field per question to `form` (in the specs' order), named `q_<key>`."""
    for spec in specs:
        form.fields[spec.field_name] = form_field(spec)


def answers_from(form: forms.BaseForm, specs) -> dict[str, object]:
    """{key: stored answer} of a valid form, unanswered questions left out."""
    answers = {}
    for spec in specs:
        stored = to_stored(spec, form.cleaned_data.get(spec.field_name))
        if stored is not None:
            answers[spec.key] = stored
    return answers


# --- Stored answers -------------------------------------------------------------------------


def to_stored(spec: QuestionSpec, value) -> object:
    """The JSON-safe answer for a cleaned form value, or None when the question was left
    unanswered."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    kind = spec.type
    if kind in (QuestionType.TEXT, QuestionType.LONG_TEXT, QuestionType.SINGLE):
        return str(value)
    if kind == QuestionType.MULTIPLE:
        chosen = set(value)
        return [c for c in spec.choices if c in chosen]
    if kind == QuestionType.NUMBER:
        return _number_text(Decimal(value))
    if kind == QuestionType.YES_NO:
        return bool(value)
    if kind == QuestionType.RATING:
        return int(value)
    if kind == QuestionType.MATRIX:
        return {row: value[row] for row in spec.rows if row in value}
    raise ValueError(f"unknown question type {kind!r}")


def _number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def as_decimal(stored) -> Decimal | None:
    """A stored number answer as a Decimal (None if it is not one)."""
    try:
        return Decimal(str(stored)) if stored is not None and not isinstance(stored, bool) else None
    except InvalidOperation:
        return None


def _text(spec: QuestionSpec, stored, *, separator: str, pair: str) -> str:
    if stored is None or stored == "" or stored == [] or stored == {}:
        return ""
    kind = spec.type
    # An answer stored before the question changed type still shows, as plain text.
    if kind == QuestionType.YES_NO and isinstance(stored, bool):
        return gettext("Yes") if stored else gettext("No")
    if kind == QuestionType.MULTIPLE and isinstance(stored, list):
        return separator.join(str(item) for item in stored)
    if kind == QuestionType.MATRIX and isinstance(stored, dict):
        return separator.join(f"{row}{pair}{column}" for row, column in stored.items())
    if isinstance(stored, list):
        return separator.join(str(item) for item in stored)
    if isinstance(stored, dict):
        return separator.join(f"{k}{pair}{v}" for k, v in stored.items())
    if isinstance(stored, bool):
        return gettext("Yes") if stored else gettext("No")
    return str(stored)


def display_text(spec: QuestionSpec, stored) -> str:
    """An answer as a page shows it (plain text: the template escapes it)."""
    text = _text(spec, stored, separator="、", pair="：")
    if (
        spec.type == QuestionType.RATING
        and isinstance(stored, int)
        and not isinstance(stored, bool)
    ):
        return f"{stored} / {spec.scale}"
    return text


def export_text(spec: QuestionSpec, stored) -> str:
    """An answer as a spreadsheet cell holds it (the export escapes formulas)."""
    return _text(spec, stored, separator="; ", pair=": ")
