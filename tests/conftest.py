import shutil

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
    """Uploaded files go to a temporary folder; the UI speaks its default language, zh-hans."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"


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
