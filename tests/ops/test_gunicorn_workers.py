"""How often gunicorn replaces a worker (deploy/gunicorn.conf.py): rarely enough that a flood of
WeChat callbacks is not spent re-importing the site, configurable by WEB_MAX_REQUESTS."""

import importlib.util
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent.parent / "deploy" / "gunicorn.conf.py"


def load_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf_workers", CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def test_a_worker_serves_twenty_thousand_requests_before_it_is_replaced(monkeypatch):
    monkeypatch.delenv("WEB_MAX_REQUESTS", raising=False)
    conf = load_conf()
    assert (conf.max_requests, conf.max_requests_jitter) == (20000, 2000)


def test_web_max_requests_sets_it(monkeypatch):
    monkeypatch.setenv("WEB_MAX_REQUESTS", "5000")
    conf = load_conf()
    assert (conf.max_requests, conf.max_requests_jitter) == (5000, 500)
