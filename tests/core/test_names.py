"""People are named as they write their names: 林晓舟, not 晓舟 林; "Ada Lovelace"; the login."""

import pytest

from core.names import display_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_chinese_name_is_family_name_first_without_a_space():
    user = UserFactory(username="linxz", first_name="晓舟", last_name="林")
    assert display_name(user) == "林晓舟"


def test_a_chinese_family_name_with_a_romanised_given_name_keeps_the_family_first():
    user = UserFactory(username="ou", first_name="Wen", last_name="欧阳")
    assert display_name(user) == "欧阳Wen"


def test_a_western_name_is_first_name_then_family_name():
    user = UserFactory(username="ada", first_name="Ada", last_name="Lovelace")
    assert display_name(user) == "Ada Lovelace"


def test_a_user_without_a_name_is_named_by_their_login():
    user = UserFactory(username="editor7", first_name="", last_name="")
    assert display_name(user) == "editor7"


def test_only_a_family_name_is_enough():
    user = UserFactory(username="gu", first_name="", last_name="顾")
    assert display_name(user) == "顾"


def test_nobody_is_named_empty():
    assert display_name(None) == ""
