"""The site for bench/surveys_bench.py: the project's WSGI application, plus a visitor resolver
that reads the alumnus from the bench's X-Bench-Alumnus header in place of a WeChat session.
Only the benchmark's gunicorn loads this module; the real site never does."""

from alumni_cms.wsgi import application  # noqa: F401  (sets Django up)
from core.visitor import Visitor, register_visitor_resolver

HEADER = "HTTP_X_BENCH_ALUMNUS"


def bench_visitor(request):
    value = request.META.get(HEADER)
    return Visitor(alumnus_id=int(value), wechat=True) if value else None


register_visitor_resolver(bench_visitor)
