"""gunicorn settings for alumni-cms, behind nginx (deploy/nginx/alumni-cms.conf).

    gunicorn -c deploy/gunicorn.conf.py alumni_cms.wsgi

Slow clients never reach gunicorn: nginx reads each request whole (bodies included, for at most
client_body_timeout) before it passes it on, so a thread only ever waits on our own code.
gthread workers then keep serving while one request is slow: WEB_CONCURRENCY processes of
WEB_THREADS threads each, and a worker that stops answering its arbiter for `timeout` seconds is
replaced.
"""

import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 30
# nginx opens a new upstream connection per request; an idle one is closed after 5 s.
keepalive = 5
# Replace each worker now and then, so a slow leak never grows (jitter: not all at once).
# Not too often: a new worker imports the site again (about 1.4 s of CPU) and warms up while
# the old one drains. At 2,000 a flood of WeChat callbacks (bench/replies_bench.py) spent a
# third of its CPU replacing workers (10,000 messages in 48 s, 32 s without replacements).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# The worker heartbeat file on tmpfs, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No gunicornc control socket (it would go to $HOME, which the service user does not have):
# systemd's reload (HUP) and stop (TERM) are the controls.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
# %(U)s, the path without its query string, not %(r)s: WeChat's callback signatures, nonces
# and tokens travel in the query string. The client is nginx's X-Forwarded-For; the last field
# is nginx's request id, which Django's log lines of the same request carry (core/requestid.py).
access_log_format = (
    '%({x-forwarded-for}i)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s" '
    "%({x-request-id}i)s"
)


class AccessLogger(Logger):
    """gunicorn's logger, with a sign-up's cancel secret masked in the logged path, and without
    the load balancer's health checks (/healthz, polled every few seconds)."""

    _SECRET_PATH = re.compile(r"^(/activities/registration/)[^/]+")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = self._SECRET_PATH.sub(r"\1***", atoms["U"] or "")
        return atoms

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") == "/healthz":
            return
        super().access(resp, req, environ, request_time)


logger_class = AccessLogger
