"""/healthz: database, cache and broker, for load balancers (alumni_cms/health.py)."""

import logging

import pytest
from django.db.utils import ConnectionHandler

from alumni_cms import health

pytestmark = pytest.mark.django_db


def test_all_parts_up_answer_200_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_database_down_answers_503_naming_it(client, monkeypatch, closed_port):
    broken = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "alumni_cms",
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": closed_port,
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    monkeypatch.setattr(health, "connections", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error", "cache": "ok", "broker": "ok"}


def test_cache_down_answers_503_naming_it(client, settings, closed_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/1",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error", "broker": "ok"}


def test_broker_down_answers_503_naming_it(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/2"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "error"}


def test_amqp_broker_down_answers_503(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed_port}//"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error"


def test_broker_answer_is_remembered_for_a_few_seconds(client, settings, monkeypatch):
    calls = []
    real = health._broker_connects
    monkeypatch.setattr(health, "_broker_connects", lambda url: calls.append(url) or real(url))
    settings.HEALTH_BROKER_CACHE_SECONDS = 60
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert len(calls) == 1


def test_broker_is_asked_again_once_the_answer_is_old(client, settings, monkeypatch):
    calls = []
    monkeypatch.setattr(health, "_broker_connects", lambda url: calls.append(url) or True)
    settings.HEALTH_BROKER_CACHE_SECONDS = 0
    client.get("/healthz")
    client.get("/healthz")
    assert len(calls) == 2


def test_answers_a_host_allowed_hosts_does_not_list(client):
    # A load balancer asks by the server's address.
    response = client.get("/healthz", HTTP_HOST="10.0.0.17:8000")
    assert response.status_code == 200


def test_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


def test_needs_no_login_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert not response.cookies


def test_is_never_cached(client):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_names_nothing_but_the_parts(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://:secret-pass@127.0.0.1:{closed_port}/2"
    body = client.get("/healthz").content.decode()
    assert "secret-pass" not in body
    assert str(closed_port) not in body
    assert set(client.get("/healthz").json()) == {"status", "checks"}


def test_polls_leave_no_django_request_log_line(client, settings, closed_port, caplog):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/2"
    handler = logging.StreamHandler()
    handler.addFilter(health.HealthLogFilter())
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Service Unavailable: %s", ("/healthz",), None
    )
    record.request = client.get("/healthz").wsgi_request
    assert handler.filter(record) is False


def test_other_paths_are_still_logged(rf):
    record = logging.LogRecord(
        "django.request", logging.WARNING, "", 0, "Not Found: %s", ("/news/",), None
    )
    record.request = rf.get("/news/")
    assert health.HealthLogFilter().filter(record) is True


def test_a_balancer_polling_fast_is_never_throttled(client, settings):
    settings.LOGIN_IP_LIMITS = [(900, 1)]
    settings.ACTIVITIES_SIGNUP_IP_LIMITS = [(60, 1)]
    statuses = {client.get("/healthz").status_code for _ in range(60)}
    assert statuses == {200}
