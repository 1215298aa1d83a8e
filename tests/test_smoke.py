import pytest

from editorial.models import State
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_body_is_sanitized_on_save():
    article = ArticleFactory(body='<p onclick="x()">好<script>alert(1)</script></p>')
    article.refresh_from_db()
    assert article.body == "<p>好</p>"
    assert article.state == State.DRAFT
