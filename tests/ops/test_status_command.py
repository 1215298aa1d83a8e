"""`manage.py status`: the status page for monitoring scripts; exit 1 when something is wrong."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from alumni_cms.heartbeat import BEAT, SCHEDULER, heartbeat_record
from tests.factories import PushFactory
from wechat.models import PushState

pytestmark = pytest.mark.django_db


def beats():
    heartbeat_record(source=SCHEDULER)
    heartbeat_record(source=BEAT)


def test_all_well_exits_0_and_says_ok():
    beats()
    out = StringIO()
    call_command("status", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] is True
    assert report["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_a_silent_scheduler_exits_1():
    with pytest.raises(CommandError):
        call_command("status", stdout=StringIO())


def test_a_failed_push_exits_1_and_is_named():
    beats()
    push = PushFactory(state=PushState.FAILED)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("status", stdout=out)
    assert f"#{push.pk}" in out.getvalue()
