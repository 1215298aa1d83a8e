import shutil
import uuid

import pytest
from django.db import connection

from tests.factories import (
    EditorFactory,
    LiaisonFactory,
    OfficeAdminFactory,
    ReviewerFactory,
)


@pytest.fixture(autouse=True)
def _media_and_language(settings, tmp_path):
    """Uploaded files go to a temporary folder; the UI speaks its default language, zh-hans.

    Passwords hash with MD5 here only: PBKDF2 costs most of a second per user.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    return EditorFactory(username="editor")


@pytest.fixture
def reviewer(db):
    return ReviewerFactory(username="reviewer")


@pytest.fixture
def second_reviewer(db):
    return ReviewerFactory(username="reviewer2")


@pytest.fixture
def office_admin(db):
    return OfficeAdminFactory(username="officeadmin")


@pytest.fixture
def liaison(db):
    return LiaisonFactory(username="liaison")


@pytest.fixture
def donations_officer(db):
    from tests.factories import DonationsOfficerFactory

    return DonationsOfficerFactory(username="officer")


def pytest_collection_modifyitems(config, items):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    skip_browser = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords and not chromium:
            item.add_marker(skip_browser)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads need PostgreSQL (CI runs this)")


@pytest.fixture
def queries_for(client):
    """A function giving how many SQL queries one GET of `url` runs (the page must answer 200)."""
    from django.test.utils import CaptureQueriesContext

    def count(url, **extra):
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, **extra)
        assert response.status_code == 200, response.status_code
        return len(context.captured_queries)

    return count


@pytest.fixture
def liaison_branch(liaison):
    """A branch whose liaison is the `liaison` fixture."""
    from tests.factories import BranchFactory

    branch = BranchFactory(name="上海校友会", city="上海")
    branch.liaisons.add(liaison)
    return branch


@pytest.fixture(autouse=True)
def _no_view_counting(settings):
    """Public pages count their views only in the tests that ask for it (`view_cache`)."""
    settings.STATS_COUNT_VIEWS = False


@pytest.fixture
def push_editor(editor):
    """The `editor` fixture, allowed to compose WeChat pushes."""
    from tests.factories import grant_push_permissions

    return grant_push_permissions(editor)


@pytest.fixture
def push_reviewer(reviewer):
    """The `reviewer` fixture, allowed to open WeChat pushes in the admin (and approve them)."""
    from tests.factories import grant_push_permissions

    return grant_push_permissions(reviewer)


@pytest.fixture
def celery_eager():
    """Celery tasks run at once in this process (.delay() included), as CELERY_TASK_ALWAYS_EAGER."""
    from alumni_cms.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _own_throttle_counters(settings):
    """Throttle counters (sign-ups, codes, logins) start at zero in every test: a cache of their
    own, so one test's sign-ups never count against the next."""
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttle-{uuid.uuid4().hex}",
        },
    }
    settings.THROTTLE_CACHE = "throttle"


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """Public pages are rendered afresh in every test; tests/stats/test_page_cache.py turns the
    whole-page cache on (the cache outlives a test's rolled-back rows)."""
    settings.STATS_PAGE_CACHE_SECONDS = 0
