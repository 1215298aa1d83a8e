"""`check --deploy` warns about per-host defaults with DEBUG off (alumni_cms.W001–W004)."""

import pytest

from alumni_cms.checks import per_host_defaults_check

# The checks read DATABASES; these tests open no connection, so overriding it is safe here.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

PRODUCTION = {
    "DEBUG": False,
    "CACHES": {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }
    },
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/2",
    "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "alumni_cms"}},
    "MEDIA_ROOT_SHARED": True,
}


@pytest.fixture
def production(settings):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    return settings


def ids():
    return [message.id for message in per_host_defaults_check()]


def test_shared_services_give_no_warning(production):
    assert ids() == []


def test_a_file_cache_is_warned_about(production, tmp_path):
    production.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    assert ids() == ["alumni_cms.W001"]


def test_the_filesystem_broker_is_warned_about(production):
    production.CELERY_BROKER_URL = "filesystem://"
    assert ids() == ["alumni_cms.W002"]


def test_sqlite_is_warned_about(production, tmp_path):
    production.DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db")}
    }
    assert ids() == ["alumni_cms.W003"]


def test_media_without_a_note_is_warned_about(production):
    production.MEDIA_ROOT_SHARED = None
    assert ids() == ["alumni_cms.W004"]


def test_a_one_host_note_silences_the_media_warning(production):
    production.MEDIA_ROOT_SHARED = False
    assert ids() == []


def test_they_are_warnings_not_errors(production):
    production.CELERY_BROKER_URL = "filesystem://"
    (message,) = per_host_defaults_check()
    assert not message.is_serious()


def test_debug_gives_no_warning(production):
    production.DEBUG = True
    production.CELERY_BROKER_URL = "filesystem://"
    production.MEDIA_ROOT_SHARED = None
    assert ids() == []


def test_the_example_env_file_says_where_media_is():
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent.parent / "deploy" / "env.example"
    assert "MEDIA_ROOT_SHARED=" in example.read_text()
