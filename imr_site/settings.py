"""One settings module, driven by the environment.

Fails closed: with nothing set, DEBUG is off and SECRET_KEY and SITE_URL are required.
`make demo` sets DEBUG=true: the embedded default (SQLite under var/, Celery tasks run eagerly
in process, email written to files under var/mail/). Real deployments set DATABASE_URL,
CELERY_BROKER_URL and EMAIL_URL.
"""

import re
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from imr_site import queues

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)  # the embedded default keeps its database, media and mail here

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)  # fails closed: `make demo` sets DEBUG=true
if DEBUG:
    # A development key is generated per process; sessions do not survive a restart.
    SECRET_KEY = env.str("SECRET_KEY", default=None) or get_random_secret_key()
else:
    SECRET_KEY = env.str("SECRET_KEY")  # raises ImproperlyConfigured when missing

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "core.views.csrf_failure"  # in the site's layout

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "imr_site.security",
    "core",
    "cases",
    "reviewers",
    "determinations",
    "exchange",
    "library",
    "billing",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "portal",
    "reports",
]

MIDDLEWARE = [
    "core.middleware.InvalidPathMiddleware",  # a NUL or control character in the path: 404
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files under gunicorn (`make prod`); runserver serves them itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # Security: request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: the status rows answer a poll with a fragment
    "imr_site.security.middleware.SessionTimeoutMiddleware",  # Security: idle and absolute logoff
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "imr_site.security.middleware.SecondFactorRequiredMiddleware",  # Security: after LoginRequired
    "cases.middleware.RefusedAccessLogMiddleware",  # 403/404 on case data: an access-log row
    "portal.middleware.OrganizationUsersInPortalMiddleware",  # organizations' users: the portal only
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # Security
    "imr_site.security.middleware.NoStoreMiddleware",  # Security
    # Security: a 413 before the CSRF check (process_view) reads the body
    "imr_site.security.middleware.RequestBodyLimitMiddleware",
    "axes.middleware.AxesMiddleware",  # Security: last, as django-axes asks
]

ROOT_URLCONF = "imr_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "imr_site.context_processors.organization",
                "imr_site.security.context_processors.session_timeout",
            ],
        },
    },
]

WSGI_APPLICATION = "imr_site.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'imr.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a competing writer instead of failing at once ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compiles plans the planner thinks are expensive; on these short page queries the
    # compile time alone was half of a search (issue 11), so the app's connections turn it off.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    # random_page_cost: PostgreSQL's default (4) prices a random read as a spinning disk's; on
    # SSD or RAM a search matching a few thousand cases then reads the whole case table instead
    # of a few thousand index lookups (issue 11: a common surname 130 ms, 26-46 ms at 1.1).
    _planner = f" -c jit=off -c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1):g}"
    _pg_options["options"] = (_pg_options.get("options", "") + _planner).strip()
    # An unreachable server fails a request (and /healthz) in seconds, not after the OS's
    # TCP timeout; DATABASE_URL's own ?connect_timeout= wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
# Files browsers ask for at the site's root (/favicon.ico, asked by the admin's pages and by any
# browser before it reads <link rel="icon">): served by whitenoise before any log-in check.
WHITENOISE_ROOT = BASE_DIR / "webroot"

# Case documents and letters hold PHI: they live outside any served directory and
# are only streamed through access-checked views. No MEDIA_URL is routed.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = None
PRIVATE_STORAGE_ROOT = MEDIA_ROOT
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# whitenoise reads STATIC_ROOT once at start-up in production; with DEBUG on (runserver, the
# tests, where nothing was collected) it looks files up per request instead of warning.
# STATIC_MANIFEST (default: DEBUG off) picks the hashed names below; the test suite, which runs
# with DEBUG off but collects nothing, turns it off (tests/settings.py).
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=not DEBUG)
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
if STATIC_MANIFEST:
    # Production (`make prod` runs collectstatic first): hashed names cached forever by browsers,
    # gzip and brotli copies served by whitenoise. With DEBUG on (runserver, the test suite)
    # files are served from the apps' folders under their plain names, no collectstatic needed.
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    # Only the hashed names are kept (and compressed): every page asks for them through
    # {% static %}; it halves collectstatic's time and the files on disk.
    WHITENOISE_KEEP_ONLY_HASHED_FILES = True
FILE_UPLOAD_PERMISSIONS = 0o600
# The client's address, one rule for the lockout, the access log and the library's rate limit
# (imr_site/client_ip.py): REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT reverse proxies that each
# append to X-Forwarded-For, the entry the nearest-to-the-client proxy wrote. 0: off.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
DOCUMENT_MAX_UPLOAD_MB = env.int("DOCUMENT_MAX_UPLOAD_MB", default=50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Email: EMAIL_URL (smtp://user:pass@host:port, smtp+tls://…) or files under var/mail/.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH", default=VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="imr@localhost")
INTAKE_STAFF_EMAILS = env.list("INTAKE_STAFF_EMAILS", default=[])
# The address people reach the site at: every absolute link (in emails) is built from it
# (imr_site/links.py). Required when DEBUG is off: links must never point at 127.0.0.1.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000") if DEBUG else env.str("SITE_URL")
SITE_URL = SITE_URL.rstrip("/")
if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL must be the site's address such as https://imr.example.org, not {SITE_URL!r}"
    )

# The Independent Medical Review Organization named in letters.
IMRO_NAME = env.str("IMRO_NAME", default="MAXIMUS Federal Services")
IMRO_SHORT_NAME = env.str("IMRO_SHORT_NAME", default="MAXIMUS")
IMRO_ADDRESS = env.str("IMRO_ADDRESS", default="P.O. Box 138009, Sacramento, CA 95813-8009")
# Where parties mail medical records (the NOARFI says so); the IMRO's address when unset.
IMRO_RECORDS_ADDRESS = env.str("IMRO_RECORDS_ADDRESS", default="")
# A page or download listing more cases than this writes their access-log rows through the
# outbox (one job, the same rows, the request's time) instead of in the request.
ACCESS_LOG_DEFERRED_ROWS = env.int("ACCESS_LOG_DEFERRED_ROWS", default=1000)
# Require a California license of every reviewer (8 CCR 9792.10.5 lets the IMRO choose).
REVIEWER_REQUIRE_CALIFORNIA_LICENSE = env.bool("REVIEWER_REQUIRE_CALIFORNIA_LICENSE", default=False)
# A case ready for assignment that no reviewer took within this many hours is flagged in the
# staff queue (expedited cases have 72 hours in all, so they are flagged much sooner).
# The public decision library (/decisions/): a cache shared by all processes in production
# (CACHE_URL=redis://host:6379/1), since both the per-IP rate limit and the page cache live in it.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
LIBRARY_PUBLIC_RATE = env.str("LIBRARY_PUBLIC_RATE", default="60/m")
LIBRARY_CACHE_SECONDS = env.int("LIBRARY_CACHE_SECONDS", default=60)
# The redacted copy of an issued letter is rendered this long after the letter (an outbox job the
# sweeper hands over), so a day's letters are issued and emailed first; 0 renders it at once.
LIBRARY_REDACTED_LETTER_DELAY_SECONDS = env.float("LIBRARY_REDACTED_LETTER_DELAY_SECONDS", default=600)
# The per-IP limit counts by the client's address (TRUSTED_PROXY_COUNT above).
RATELIMIT_IP_META_KEY = "imr_site.client_ip.client_ip"

# The parties' portal and API (portal/): per-party links' lifetime and rate, the API's rate per token.
PORTAL_LINK_DAYS = env.int("PORTAL_LINK_DAYS", default=60)
PORTAL_LINK_RATE = env.str("PORTAL_LINK_RATE", default="30/m")
PORTAL_API_RATE = env.str("PORTAL_API_RATE", default="120/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api.auth.OrganizationTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api.auth.HasOrganizationToken"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.auth.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": PORTAL_API_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "IMR case management API",
    "DESCRIPTION": "Claims administrators and provider offices submit IMR applications and records, "
    "and follow their cases. Authenticate with `Authorization: Api-Key <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

ASSIGNMENT_STALE_HOURS = env.int("ASSIGNMENT_STALE_HOURS", default=24)
ASSIGNMENT_STALE_HOURS_EXPEDITED = env.int("ASSIGNMENT_STALE_HOURS_EXPEDITED", default=2)

# Celery: with no broker configured, tasks run eagerly in the calling process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks are short (a letter renders in seconds; SMTP gives up after 60 s): a task a killed
# worker held is redelivered after this many seconds, not an hour. No task waits in the broker
# for a retry (the outbox schedules retries in the database), and the few plain tasks cap their
# backoff below half of it, so Redis never hands a task still waiting to a second worker.
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=300)
# A broker that is down fails the hand-off within about a second (the outbox row waits), and
# one that accepts the connection but never answers fails it after BROKER_SOCKET_TIMEOUT_SECONDS:
# without a socket timeout redis-py waits for the reply forever, holding the request or the
# worker (and the outbox row it claimed) with it.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
BROKER_SOCKET_TIMEOUT_SECONDS = env.float("BROKER_SOCKET_TIMEOUT_SECONDS", default=10)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT_SECONDS,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Three queues, each with its own worker (imr_site/queues.py, Procfile): letters, email, default.
CELERY_QUEUE_PREFIX = env.str("CELERY_QUEUE_PREFIX", default="")
CELERY_TASK_DEFAULT_QUEUE = queues.queue_name(queues.DEFAULT, prefix=CELERY_QUEUE_PREFIX)
CELERY_TASK_ROUTES = queues.task_routes(prefix=CELERY_QUEUE_PREFIX)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits for Redis as long as it takes (its heartbeat stops; /healthz says so) instead of
# exiting after 100 tries, which would take the whole `make prod` set down with it.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Beat writes its heartbeat on every tick (core.heartbeat); it ticks at least this often.
CELERY_BEAT_SCHEDULER = "core.heartbeat:HeartbeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("HEARTBEAT_SECONDS", default=10)
CELERY_BEAT_SCHEDULE_FILENAME = str(env.path("CELERY_BEAT_SCHEDULE_FILENAME", default=VAR_DIR / "celerybeat"))
# The outbox (core.outbox): how often the sweeper runs, when a row handed to the broker but not
# claimed is handed over again, when a claim counts as abandoned, and the retry schedule
# (doubling from the base, capped): 30 s, 1, 2, 4, 8, 15, 15 min, then the row fails (8 tries).
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=15)
OUTBOX_REQUEUE_SECONDS = env.float("OUTBOX_REQUEUE_SECONDS", default=60)
OUTBOX_CLAIM_TIMEOUT_SECONDS = env.float("OUTBOX_CLAIM_TIMEOUT_SECONDS", default=240)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=900)
# A waiting row due longer ago than this is overdue: shown as stuck, and its email may be sent by hand.
OUTBOX_OVERDUE_SECONDS = env.float("OUTBOX_OVERDUE_SECONDS", default=600)
# /healthz fails when the oldest due row has waited longer than this.
OUTBOX_HEALTH_MAX_AGE_SECONDS = env.float("OUTBOX_HEALTH_MAX_AGE_SECONDS", default=300)
# How often the reports' rollup is brought up to date (the decisions report and the trend say when).
REPORT_ROLLUP_SECONDS = env.float("REPORT_ROLLUP_SECONDS", default=600)
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "core.sweep_outbox",
        "schedule": OUTBOX_SWEEP_SECONDS,
    },
    "daily-failing-jobs-digest": {
        "task": "core.outbox_digest",
        "schedule": crontab(hour=7, minute=0),
    },
    "mark-overdue-cases": {
        "task": "cases.tasks.mark_overdue_cases",
        "schedule": crontab(minute=15),
    },
    "daily-deadline-digest": {
        "task": "cases.tasks.send_deadline_digest",
        "schedule": crontab(hour=6, minute=30),
    },
    # Billing: on the first of the month, invoice the month that ended (a repeat issues nothing new).
    "monthly-invoices": {
        "task": "billing.tasks.invoice_previous_month",
        "schedule": crontab(day_of_month=1, hour=5, minute=0),
    },
    # The reports' decisions rollup (reports.rollups): the days changed since the last run.
    "refresh-report-rollups": {
        "task": "reports.tasks.refresh_report_rollups",
        "schedule": REPORT_ROLLUP_SECONDS,
    },
    "nightly-full-report-rollups": {
        "task": "reports.tasks.refresh_report_rollups",
        "schedule": crontab(hour=2, minute=40),
        "kwargs": {"full": True},
    },
    "daily-late-records-notices": {
        "task": "determinations.tasks.send_late_records_notices",
        "schedule": crontab(hour=6, minute=45),
    },
}

# /healthz (core.health): each worker writes a heartbeat for its queues into Redis every
# HEARTBEAT_SECONDS, kept for three periods; a queue with no fresh heartbeat fails the check.
HEARTBEAT_SECONDS = env.int("HEARTBEAT_SECONDS", default=10)
HEARTBEAT_QUEUES = queues.queue_names(prefix=CELERY_QUEUE_PREFIX)
# How long /healthz waits for Redis (connect and each reply) before calling it down.
HEALTH_REDIS_TIMEOUT_SECONDS = env.float("HEALTH_REDIS_TIMEOUT_SECONDS", default=1.0)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# ---------------------------------------------------------------------------------------------
# Security (issue 13): second factor, lockout, sessions, hardened settings. Kept in one block.
# ---------------------------------------------------------------------------------------------
from datetime import timedelta  # noqa: E402

from csp.constants import NONE, SELF  # noqa: E402

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Second factor (django-otp, TOTP with static backup codes): required for every user unless
# OTP_REQUIRED=false; it defaults to on whenever DEBUG is off (the demo runs with DEBUG=true).
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default=f"{IMRO_SHORT_NAME} IMR")
OTP_BACKUP_CODES = 10

# Lockout (django-axes): by username and, separately, by client address. Failed and successful
# log-ins and lockouts are kept in axes' tables (with address and user agent) and logged.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "imr_site.security.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The address axes locks by is the access log's (imr_site/client_ip.py: REMOTE_ADDR unless
# TRUSTED_PROXY_COUNT says proxies append to X-Forwarded-For; django-ipware reads the header).
AXES_CLIENT_IP_CALLABLE = "imr_site.client_ip.client_ip"

# Sessions: logged off after SESSION_IDLE_TIMEOUT seconds without a request (a warning shows a
# minute before), at browser close, and at the latest SESSION_ABSOLUTE_LIFETIME after log-in.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=900)
SESSION_IDLE_WARNING = 60
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 3600)
_lifetime_ok = 0 < SESSION_ABSOLUTE_LIFETIME <= 12 * 3600
if not (_lifetime_ok and 60 < SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_LIFETIME):
    raise ImproperlyConfigured(
        "SESSION_ABSOLUTE_LIFETIME must be at most 12 hours (43200 s) and SESSION_IDLE_TIMEOUT "
        "more than 60 s and at most that lifetime"
    )
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Transport: with DEBUG off, HTTPS only. A TLS-terminating proxy in front must set (overwrite)
# X-Forwarded-Proto; SECURE_PROXY_SSL_HEADER="" turns the header off.
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="" if DEBUG else "HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_header, "https") if _proxy_header else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer's plain-HTTP probe of /healthz must get the health, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every page: scripts and styles only from our own
# static files, no inline script, no inline style, nothing framed from elsewhere.
LETTER_CSS = BASE_DIR / "templates" / "determinations" / "letters" / "letter.css"


def _style_hash(path: Path) -> str:
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    return f"'sha256-{digest}'"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # The letter preview (an iframe srcdoc, which inherits this policy) inlines the letter's
        # stylesheet: allowed by its hash, not by 'unsafe-inline'.
        "style-src": [SELF, _style_hash(LETTER_CSS)],
        "img-src": [SELF, "data:"],  # Bootstrap draws its icons as data: SVG in its CSS
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Request bodies: no request may send more than the largest document upload plus a margin for
# the other fields (413 otherwise); form fields without files stay below DATA_UPLOAD_MAX_MEMORY_SIZE.
REQUEST_MAX_BODY_BYTES = (DOCUMENT_MAX_UPLOAD_MB + 1) * 1024 * 1024

LOGGING["loggers"] = {
    "axes": {"handlers": ["console"], "level": "INFO", "propagate": False},
    "imr_site.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
}
