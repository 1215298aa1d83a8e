"""The embedded default database (SQLite) shared by the web process, the worker and the scheduler.

Found on a fresh `dev.py run`: a push approved in the admin failed in the worker with "database
is locked" (and was sent a minute later by the scheduler), as a transaction that read before it
wrote met another process's write.
"""

import io
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connections, transaction

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the embedded default only: PostgreSQL waits for row locks by itself",
)

ALIAS = "sqlite_locks"


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """An alias for a fresh SQLite file with the settings' options (timeout, transaction mode)."""
    config = {**settings.DATABASES["default"], "NAME": str(tmp_path / "shared.sqlite3")}
    connections.settings[ALIAS] = connections.configure_settings(
        {"default": settings.DATABASES["default"], ALIAS: config}
    )[ALIAS]
    with django_db_blocker.unblock():
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n integer)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        yield
        connections[ALIAS].close()
    del connections.settings[ALIAS]


def _read_then_write(pause_before_write: float, errors: list) -> None:
    """What a task does: read a row in a transaction, then write it (here `n + 1`)."""
    try:
        with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            (n,) = cursor.fetchone()
            time.sleep(pause_before_write)
            cursor.execute("UPDATE counter SET n = %s", [n + 1])
    except OperationalError as exc:
        errors.append(exc)
    finally:
        connections[ALIAS].close()


def test_two_processes_that_read_then_write_at_once_wait_for_each_other(file_database):
    errors = []
    first = threading.Thread(target=_read_then_write, args=(0.4, errors))
    first.start()
    time.sleep(0.1)  # the second begins while the first holds its transaction open
    second = threading.Thread(target=_read_then_write, args=(0, errors))
    second.start()
    first.join(30)
    second.join(30)

    assert errors == []
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone() == (2,)


@pytest.mark.django_db
def test_the_database_checks_warn_of_nothing_on_the_embedded_default():
    """migrate (the first thing `dev.py run` shows) printed models.W040 for surveys.Answer's
    covering index, which SQLite makes without its INCLUDE columns: nothing to act on."""
    out = io.StringIO()
    call_command("check", databases=["default"], stdout=out, stderr=out)
    assert "W040" not in out.getvalue()
