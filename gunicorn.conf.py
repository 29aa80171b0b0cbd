"""gunicorn's settings for `make prod` (Procfile `web`), from the environment.

HOST, PORT          where to listen (as `make demo`): 127.0.0.1:8000
WEB_CONCURRENCY     worker processes (gunicorn's own variable): 2; about 2 per core is usual
GUNICORN_TIMEOUT    a worker silent this long (s) is killed and replaced: 60
GUNICORN_GRACEFUL_TIMEOUT  on SIGTERM, how long (s) requests in flight may finish: 20
FORWARDED_ALLOW_IPS  the proxy addresses trusted for X-Forwarded-* (gunicorn's own variable)
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# A worker is replaced after this many requests (spread so they do not all restart at once):
# memory a long-lived process gathers (WeasyPrint previews, caches) is given back.
max_requests = 1000
max_requests_jitter = 100
proc_name = "imr-web"
# Workers' liveness files on tmpfs where there is one: a slow disk never looks like a hung worker.
SHM = "/dev/shm"  # noqa: S108 (gunicorn makes its files there with mkstemp; tmpfs is the point)
worker_tmp_dir = SHM if os.path.isdir(SHM) else None

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The path without its query string, and no referrer: searches carry people's names in the
# query (/cases/search/?q=...), which must not reach the logs. %(M)s: milliseconds taken.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
# gunicorn's runtime control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl),
# which a second instance on the same machine would take over; nothing here uses it.
control_socket_disable = True
