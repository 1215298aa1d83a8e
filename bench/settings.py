"""Settings for the benchmark only: the project's settings, its bare views and DEBUG off.

Used by `bench/views_bench.py` through DJANGO_SETTINGS_MODULE=bench.settings; nothing else
imports it, so the bare views are never served by the real site.
"""

import os

from alumni_cms.settings import *  # noqa: F403
from alumni_cms.settings import BASE_DIR, CACHES, TEMPLATES

DEBUG = False
ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# Each bench run keeps its view counts apart from other runs on the same Redis.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("BENCH_KEY_PREFIX", "")
