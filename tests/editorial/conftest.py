import pytest
from django.contrib.auth.models import AnonymousUser

from editorial import signals
from tests.factories import EditorFactory, UserFactory

ROLES = ["editor", "reviewer", "liaison", "office_admin", "superuser", "plain", "anonymous"]


@pytest.fixture
def author(db):
    """An editor who wrote the items the other roles act on."""
    return EditorFactory(username="author")


@pytest.fixture
def user_in_role(request):
    """`user_in_role("reviewer")` gives a user of that role (see ROLES)."""

    def make(role: str):
        if role == "anonymous":
            return AnonymousUser()
        if role == "plain":
            return UserFactory(username="plain")
        if role == "superuser":
            return UserFactory(username="root", is_superuser=True, is_staff=True)
        return request.getfixturevalue(role)

    return make


@pytest.fixture
def received():
    """Every editorial signal sent during the test, as (signal name, kwargs) pairs."""
    log = []
    names = [
        "item_submitted",
        "item_recalled",
        "item_approved",
        "item_rejected",
        "item_scheduled",
        "item_published",
        "item_withdrawn",
    ]
    handlers = []
    for name in names:

        def handler(sender, _name=name, **kwargs):
            kwargs.pop("signal", None)
            log.append((_name, {"sender": sender, **kwargs}))

        getattr(signals, name).connect(handler, weak=False)
        handlers.append((getattr(signals, name), handler))
    yield log
    for signal, handler in handlers:
        signal.disconnect(handler)
