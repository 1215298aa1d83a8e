"""A burst of answers from many phones at once, each person submitting twice at the same moment:
every answer stored once, none lost (PostgreSQL only: real concurrent transactions; CI runs
it). bench/surveys_bench.py runs the issue's full figure (5,000 answers, 100 clients)."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from core import visitor as core_visitor
from core.visitor import Visitor
from surveys.models import Answer, Response
from surveys.sample import as_post, random_answers, sample_survey
from surveys.services import answer_rows
from tests.factories import AlumnusFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 150
CLIENTS = 30
HEADER = "HTTP_X_TEST_ALUMNUS"


@pytest.fixture
def alumnus_header_visitor(monkeypatch):
    """Who a request comes from, read from a test header (in place of a WeChat session)."""

    def resolver(request):
        value = request.META.get(HEADER)
        return Visitor(alumnus_id=int(value), wechat=True) if value else None

    monkeypatch.setattr(core_visitor, "_resolvers", [resolver])


def test_a_burst_with_every_answer_sent_twice_stores_each_person_once(
    postgres_only, alumnus_header_visitor, settings
):
    survey, questions = sample_survey()
    alumni = [AlumnusFactory().pk for _n in range(PEOPLE)]
    rng = random.Random(14)
    answers = {pk: random_answers(questions, rng) for pk in alumni}
    # Each person's two submits sit side by side: two clients send them at the same moment.
    calls = [pk for pk in alumni for _twice in range(2)]

    def submit(pk):
        try:
            response = Client().post(
                f"/surveys/{survey.pk}/", as_post(questions, answers[pk]), **{HEADER: str(pk)}
            )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        codes = list(pool.map(submit, calls))

    assert codes.count(302) == PEOPLE
    assert codes.count(409) + codes.count(200) == PEOPLE  # "already answered", said either way
    assert Response.objects.filter(survey=survey).count() == PEOPLE
    stored = dict(Response.objects.filter(survey=survey).values_list("alumnus_id", "answers"))
    assert stored == answers
    by_key = {str(q.pk): q for q in questions}
    expected_rows = sum(
        len(answer_rows(by_key[key], value)) for a in answers.values() for key, value in a.items()
    )
    assert Answer.objects.filter(survey=survey).count() == expected_rows


def test_a_burst_of_anonymous_answers_loses_none(postgres_only, settings):
    settings.SURVEYS_ANONYMOUS_LIMITS = [(60, 1000)]
    survey, questions = sample_survey(respondents="anonymous")
    rng = random.Random(15)
    posts = [as_post(questions, random_answers(questions, rng)) for _n in range(PEOPLE)]

    def submit(n):
        try:
            return (
                Client()
                .post(f"/surveys/{survey.pk}/", posts[n], REMOTE_ADDR=f"10.1.{n // 250}.{n % 250}")
                .status_code
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        codes = list(pool.map(submit, range(PEOPLE)))

    assert codes == [302] * PEOPLE
    assert Response.objects.filter(survey=survey).count() == PEOPLE
