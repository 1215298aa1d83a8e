"""Taking an answer to a survey: who may answer, once, within the limits, into the records."""

import json
import logging
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from alumni.models import Alumnus
from core.questions import QuestionType, as_decimal
from core.throttle import Throttled, throttle
from editorial.models import State

from .errors import SurveyError
from .models import Answer, Question, Response, Survey

logger = logging.getLogger(__name__)

YES, NO = "yes", "no"


def survey_throttle(*, client: str) -> None:
    """Count an answer to an anonymous survey from the address `client`.

    Nothing ties an anonymous answer to a person, so a flood from one network is what the
    limits (SURVEYS_ANONYMOUS_LIMITS) hold back. Raises SurveyError (code "throttled").
    """
    try:
        throttle([f"survey-ip:{client}"], settings.SURVEYS_ANONYMOUS_LIMITS)
    except Throttled as exc:
        minutes = max(1, math.ceil(exc.retry_after / 60))
        raise SurveyError(
            _("Too many answers from your network. Please try again in %(minutes)d minutes.")
            % {"minutes": minutes},
            code="throttled",
        ) from None


def survey_check_open(*, survey: Survey) -> None:
    """Raise SurveyError (code "closed") unless the survey is published and within its dates."""
    if survey.state != State.PUBLISHED:
        raise SurveyError(_("This survey is not open."), code="closed")
    state = survey.open_state()
    if state == "not_yet":
        raise SurveyError(_("This survey is not open yet."), code="closed")
    if state == "closed":
        raise SurveyError(_("This survey has closed. Thank you for your interest."), code="closed")


def answer_rows(question: Question, stored) -> list[Answer]:
    """The Answer rows (unsaved, without response) for one stored answer of `question`."""
    kind = question.type
    rows: list[Answer] = []
    if kind in (QuestionType.TEXT, QuestionType.LONG_TEXT):
        rows.append(Answer(text=str(stored)))
    elif kind == QuestionType.SINGLE:
        rows.append(Answer(choice=str(stored)))
    elif kind == QuestionType.MULTIPLE:
        rows.extend(Answer(choice=str(choice)) for choice in stored)
    elif kind == QuestionType.NUMBER:
        rows.append(Answer(number=as_decimal(stored)))
    elif kind == QuestionType.YES_NO:
        rows.append(Answer(choice=YES if stored else NO))
    elif kind == QuestionType.RATING:
        rows.append(Answer(choice=str(stored), number=int(stored)))
    elif kind == QuestionType.MATRIX:
        rows.extend(Answer(row=str(row), choice=str(column)) for row, column in stored.items())
    for index, row in enumerate(rows):
        row.question = question
        row.survey_id = question.survey_id
        row.first = index == 0
    return rows


def response_submit(
    *, survey: Survey, questions: list[Question], answers: dict, alumnus_id: int | None
) -> Response:
    """Store one person's answers (`answers`: {str(question pk): stored answer}, as
    core.questions.answers_from gives them from a valid form).

    A survey tied to the record takes one answer per record, from a bound alumnus only; the
    answer then updates the record's fields and labels its questions name (with a line in the
    record's change log). Raises SurveyError: "closed", "not_bound", "already_answered" (also
    when a second submit races the first: the unique constraint decides), "too_large".
    """
    survey_check_open(survey=survey)
    if survey.tied_to_record and alumnus_id is None:
        raise SurveyError(
            _("Only alumni who bound their record in WeChat can answer this survey."),
            code="not_bound",
        )
    if len(json.dumps(answers, ensure_ascii=False)) > settings.SURVEYS_MAX_ANSWER_CHARS:
        raise SurveyError(_("This answer is too long to be saved."), code="too_large")
    by_key = {str(q.pk): q for q in questions}
    unknown = set(answers) - set(by_key)
    if unknown:
        raise SurveyError(_("This answer is not one the question offers."), code="malformed")
    response = Response(
        survey=survey, alumnus_id=alumnus_id if survey.tied_to_record else None, answers=answers
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                response.save()
        except IntegrityError:
            raise SurveyError(
                _("You have already answered this survey. Thank you!"), code="already_answered"
            ) from None
        rows = []
        for key, stored in answers.items():
            rows += answer_rows(by_key[key], stored)
        for row in rows:
            row.response = response
        Answer.objects.bulk_create(rows, batch_size=500)
        if response.alumnus_id is not None:
            _update_record(response, by_key)
    return response


def _update_record(response: Response, questions: dict[str, Question]) -> None:
    """Apply the answers that set a field or a label to the bound alumnus's record."""
    changes, add, remove = {}, [], []
    for key, stored in response.answers.items():
        question = questions[key]
        if question.record_field and isinstance(stored, str) and stored.strip():
            changes[question.record_field] = stored.strip()
        if question.record_label and isinstance(stored, bool):
            (add if stored else remove).append(question.record_label)
    if not (changes or add or remove):
        return
    # The audience app keeps the record's change log; imported here because it also reads
    # survey answers (segments select by them).
    from audience.errors import RecordDeletedError
    from audience.models import Follower
    from audience.services import profile_update, record_labels_update

    follower = Follower.objects.filter(alumnus_id=response.alumnus_id).first()
    # Both services read the record again under a lock: the pk is all they need.
    alumnus = Alumnus(pk=response.alumnus_id)
    try:
        if changes:
            profile_update(alumnus=alumnus, changes=changes, follower=follower)
        if add or remove:
            record_labels_update(alumnus=alumnus, add=add, remove=remove, follower=follower)
    except RecordDeletedError:
        logger.info("Survey response %s: the record was deleted meanwhile", response.pk)
