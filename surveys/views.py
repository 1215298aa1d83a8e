from django import forms
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.questions import add_fields, answers_from
from core.throttle import client_ip
from core.visitor import visitor_of

from .errors import SurveyError
from .models import Response, Survey
from .selectors import survey_questions
from .services import response_submit, survey_check_open, survey_throttle

# The surveys a session answered (anonymous ones included), for the page to say so.
SESSION_ANSWERED = "surveys_answered"


def survey_form(questions, data=None) -> forms.Form:
    form = forms.Form(data)
    add_fields(form, [q.spec() for q in questions])
    return form


def _too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.SURVEYS_MAX_POST_BYTES


@require_http_methods(["GET", "HEAD", "POST"])
def survey_detail(request, pk: int):
    """The survey on the phone: its introduction and questions, answered on one page.

    Not page-cached: what it shows depends on the visitor (bound, answered already).
    """
    survey = get_object_or_404(Survey.objects.published(), pk=pk)
    questions = survey_questions(survey)
    visitor = visitor_of(request)
    error, status = "", 200
    try:
        survey_check_open(survey=survey)
    except SurveyError as exc:
        return render(
            request, "surveys/detail.html", {"survey": survey, "closed": exc.message}, status=200
        )
    if survey.tied_to_record and visitor.alumnus_id is None:
        return render(request, "surveys/detail.html", {"survey": survey, "needs_binding": True})
    answered = (
        survey.tied_to_record
        and Response.objects.filter(survey=survey, alumnus_id=visitor.alumnus_id).exists()
    )
    if answered:
        return render(request, "surveys/detail.html", {"survey": survey, "answered": True})
    form = survey_form(questions)
    if request.method == "POST":
        if _too_large(request):
            # Refused before Django reads the body into memory.
            error, status = _("This answer is too long to be saved."), 413
        else:
            form = survey_form(questions, request.POST)
            try:
                if not survey.tied_to_record:
                    # Every post counts, valid or not: a flood is refused before it is read.
                    survey_throttle(client=client_ip(request))
                if form.is_valid():
                    response_submit(
                        survey=survey,
                        questions=questions,
                        answers=answers_from(form, [q.spec() for q in questions]),
                        alumnus_id=visitor.alumnus_id,
                    )
                    if not survey.tied_to_record:
                        # A record answers once and the page knows it; a phone that answered
                        # anonymously is only reminded (no session write for the others).
                        done = request.session.get(SESSION_ANSWERED, [])
                        request.session[SESSION_ANSWERED] = [*done[-49:], survey.pk]
                    return redirect("surveys:thanks", pk=survey.pk)
                error, status = _("Some answers need your attention: see below."), 400
            except SurveyError as exc:
                error = exc.message
                status = {"throttled": 429, "too_large": 413, "already_answered": 409}.get(
                    exc.code, 400
                )
                if exc.code == "already_answered":
                    return render(
                        request,
                        "surveys/detail.html",
                        {"survey": survey, "answered": True},
                        status=status,
                    )
    return render(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "form": form,
            "error": error,
            "answered_here": survey.pk in request.session.get(SESSION_ANSWERED, []),
        },
        status=status,
    )


def survey_thanks(request, pk: int):
    survey = get_object_or_404(Survey.objects.published(), pk=pk)
    return render(request, "surveys/thanks.html", {"survey": survey})
