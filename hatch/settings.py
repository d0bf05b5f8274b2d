"""Hatch settings, read from the environment (django-environ).

Every secret may also come from a file: set ``NAME_FILE=/run/secrets/name`` instead of
``NAME`` (Docker secrets). Outside development (``DEBUG=False``) no secret has a default:
a missing one stops the process at start-up instead of running with a guessable value.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import environ
import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from core.quiet_hours import parse_quiet_hours

BASE_DIR = Path(__file__).resolve().parent.parent


class _SecretFiles(environ.FileAwareMapping):
    """django-environ's NAME_FILE lookup, without the newline `echo secret > file` leaves.

    A token with a trailing newline fails every provider call as unauthorised.
    """

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return value.rstrip("\r\n") if self.env.get(key + "_FILE") else value


class _Env(environ.FileAwareEnv):
    ENVIRON = _SecretFiles()


env = _Env()
# Settings the environment does not set may come from a file: .env at the repository root
# (development; `make run` writes one when there is none, so that manage.py commands run
# with the settings it serves with). The real environment always wins over the file.
# HATCH_DOTENV names another file, or none when empty: the test suite empties it
# (hatch/test_settings.py), so that a developer's .env never changes what tests run with.
_dotenv = os.environ.get("HATCH_DOTENV", str(BASE_DIR / ".env"))
if _dotenv and "HATCH_DOTENV" in os.environ and not Path(_dotenv).is_file():
    raise ImproperlyConfigured(f"HATCH_DOTENV names {_dotenv}, which is not a file.")
if _dotenv:
    environ.FileAwareEnv.read_env(_dotenv, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-development-only-key")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so that runserver serves ASGI (HTTP and the inbox's websocket) in development.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI's files, served by Hatch itself (no CDN; the CSP allows only our origin).
    "drf_spectacular_sidecar",
    # Full-text search and trigram lookups (search, the conversation lists' ?q=).
    "django.contrib.postgres",
    "channels",
    "django_tasks_db",
    "outbox",
    "team",
    "consent",
    "attachments",
    "contacts",
    "conversations",
    "messaging",
    "emails",
    "broadcasts",
    "search",
    "reports",
    "exports",
    "idempotency",
    "demo",
    # Sign-in attempts: locks out a username+address after repeated failures (see below).
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE (or its route's own limit: the routes that
    # take files) answers 413 before anything reads it.
    "web.request_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware, so that it sees a 404 after APPEND_SLASH had its say.
    "web.middleware.MachineNotFoundMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A database that cannot be reached answers 503 with Retry-After, not a 500.
    "web.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# No inline scripts anywhere: a stored message that slipped past escaping still could not
# run. Images may come from https (inbound MMS media); the websocket is same-origin.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "hatch.urls"
WSGI_APPLICATION = "hatch.wsgi.application"
ASGI_APPLICATION = "hatch.asgi.application"

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
            ],
        },
    },
]

# PostgreSQL everywhere that matters. Only the zero-setup development run may fall back to
# a SQLite file, so that a newcomer sees the inbox with nothing installed.
if DEBUG:
    DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
else:
    DATABASES = {"default": env.db("DATABASE_URL")}
# PostgreSQL connections come from psycopg's pool: under ASGI, Django runs sync views in a
# thread pool, and per-thread persistent connections would grow without bound (the Flask
# app's defect: requests failing once PostgreSQL's max_connections is reached). Each process
# holds at most DB_POOL_MAX_SIZE connections; a request waits up to DB_POOL_TIMEOUT seconds
# for one. DB_POOL_MAX_SIZE=0 switches the pool off (persistent connections, CONN_MAX_AGE).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE:
    from hatch.database import check_pooled_connection

    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": min(2, DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=3.0),
            # A connection is tried (an empty query) before it is handed out, and one dead
            # connection has the whole pool checked: after a PostgreSQL restart Hatch
            # recovers by itself instead of failing requests on stale connections.
            "check": check_pooled_connection,
        }
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off for long analytical queries, and PostgreSQL turns it
    # on by cost estimates alone. A search of a common word was estimated dear, and spent
    # 1.5 s of its 2 s compiling (EXPLAIN ANALYZE, 1M messages).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"

# Sign-in attempts (django-axes): after SIGN_IN_FAILURE_LIMIT failures for one username from
# one address, that pair is refused (429, web.sign_in.locked_out) for
# SIGN_IN_LOCKOUT_MINUTES; a success resets the count. Username and address together, so
# that a stranger guessing cannot lock the real person out from their own address. The
# admin's and the browsable API's sign-in forms are covered too (both call authenticate).
AUTHENTICATION_BACKENDS = [
    "web.sign_in.SignInAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "web.sign_in.locked_out"
AXES_VERBOSE = False  # no banner at every start-up

# HTTPS. Outside development every request is redirected to https, cookies are sent over
# https only and browsers are told (HSTS) to never use http for this host again. Behind a
# TLS-terminating proxy, Django learns the original scheme from SECURE_PROXY_SSL_HEADER
# (X-Forwarded-Proto by default): the proxy must set that header and drop one a client sent.
# /health stays reachable over plain http for container and load-balancer probes.
# `manage.py check --deploy` passes with no warning (hatch/tests/test_deploy_checks.py).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Only a request by the domain's owner at hstspreload.org puts it in browsers' lists; the
# directive alone changes nothing until then.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Django's defaults, stated because tests and the README rely on them: nosniff, no framing,
# the referrer only to Hatch itself, and a window of our own (no opener from other sites).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names in production; plain files while developing so that
        # no collectstatic step stands between an edit and a reload.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "web.storage.StaticStorage",
    },
}
# Stored files (attachments: MMS media, email attachments). Hatch serves them only through
# its own views (attachments.views: a signed-in user or a signed URL, with safe headers),
# never through a static handler, so there is no MEDIA_URL. HATCH_FILE_STORAGE picks where
# they live: "filesystem", under MEDIA_ROOT (a folder the web processes and the workers
# must share), or "s3", an S3-compatible bucket (django-storages; AWS, MinIO, R2, ...).
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
HATCH_FILE_STORAGE = env.str("HATCH_FILE_STORAGE", default="filesystem")
if HATCH_FILE_STORAGE == "s3":
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME")
    # Empty for AWS itself; another provider's address otherwise (https://minio:9000).
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    # Secrets (or AWS_ACCESS_KEY_ID_FILE, AWS_SECRET_ACCESS_KEY_FILE). Both unset: boto3
    # finds credentials itself (an instance or task role), so none is written anywhere.
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
    # Objects get the bucket's default ACL (private), never public-read, and any URL the
    # storage builds is pre-signed; Hatch streams the files itself anyway.
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
elif HATCH_FILE_STORAGE != "filesystem":
    raise ImproperlyConfigured(
        f"HATCH_FILE_STORAGE must be filesystem or s3, not {HATCH_FILE_STORAGE!r}."
    )

REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "web.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["web.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "web.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "web.exception_handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # ISO 8601 with an explicit "+00:00" offset, as the Flask app's API wrote it.
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%f%:z",
}

# The OpenAPI 3 schema (/api/schema/) and Swagger UI (/api/docs/). The descriptions live with
# the views (@extend_schema in each app's api.py); shared pieces in web.schema.
SPECTACULAR_SETTINGS = {
    "TITLE": "Hatch API",
    "DESCRIPTION": (
        "Send SMS and email, read conversations. Every operation needs a token "
        "(`Authorization: Token <key>`) or a signed-in session (then also the CSRF header on "
        'POST). Errors are JSON: `{"error": "...", "fields": {"name": ["..."]}}`.'
    ),
    "VERSION": "1.0.0",
    # Request bodies get their own components (FooRequest): read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Only signed-in users and token holders read the contract, like the API itself.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "MessageStatusEnum": "messaging.models.MessageStatus",
        "EmailStatusEnum": "emails.models.EmailStatus",
        "EmailDirectionEnum": "emails.models.EmailDirection",
        "ChannelEnum": "messaging.models.Channel",
        "SuppressionReasonEnum": "consent.models.SuppressionReason",
        "ConsentActionEnum": "consent.models.ConsentAction",
        "BroadcastChannelEnum": "broadcasts.models.BroadcastChannel",
        "BroadcastStatusEnum": "broadcasts.models.BroadcastStatus",
    },
    "PREPROCESSING_HOOKS": ["web.schema.only_client_api"],
}

# Largest request body Django reads (bytes); a larger one answers 413 with this limit in
# its message (JSON on the API and webhooks). An SMS is at most 1600 characters and the
# largest valid email (100,000-character text and HTML parts, 101 recipients) is under
# 1 MiB as UTF-8 JSON; Twilio's and SendGrid's callbacks are a few kilobytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# Most fields one form may carry (400 beyond). Twilio's largest webhook (an MMS with 10
# media) has about 50; the admin posts one per selected row (100 rows a page).
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
# The largest body of a send (POST /api/send_message, /api/send_email), which may carry
# files: 20 MB of them (an email's limit, attachments.services.EMAIL_POLICY) is about 27 MB
# as base64 in JSON. Only these routes (and SendGrid's Inbound Parse, below) take more than
# DATA_UPLOAD_MAX_MEMORY_SIZE: web.request_limits.ROUTE_BODY_LIMITS.
UPLOAD_MAX_BODY_SIZE = env.int("UPLOAD_MAX_BODY_SIZE", default=28 * 1024 * 1024)
# The largest CSV file POST /api/contacts/import takes (413 beyond), and the largest body
# of that route: the file and its multipart form around it.
CONTACTS_IMPORT_MAX_FILE_SIZE = env.int("CONTACTS_IMPORT_MAX_FILE_SIZE", default=5 * 1024 * 1024)
CONTACTS_IMPORT_MAX_BODY_SIZE = CONTACTS_IMPORT_MAX_FILE_SIZE + 64 * 1024

# Messaging. Numbers without a country code are read in this region.
HATCH_DEFAULT_REGION = env.str("HATCH_DEFAULT_REGION", default="US").upper()
# The countries SMS may go to (ISO 3166 codes, comma-separated; "*" for every country). By
# default HATCH_DEFAULT_REGION's alone: SMS pumping runs up a bill by sending to premium
# numbers abroad, and a team rarely texts there on purpose.
SMS_ALLOWED_COUNTRIES = [
    code.strip().upper()
    for code in env.list("SMS_ALLOWED_COUNTRIES", default=[HATCH_DEFAULT_REGION])
    if code.strip()
]
_unknown_countries = [
    code
    for code in SMS_ALLOWED_COUNTRIES
    if code != "*" and code not in phonenumbers.SUPPORTED_REGIONS
]
if _unknown_countries or not SMS_ALLOWED_COUNTRIES:
    raise ImproperlyConfigured(
        "SMS_ALLOWED_COUNTRIES must list ISO 3166 country codes (e.g. US,CA,GB) or be *; "
        f"not {', '.join(_unknown_countries) or 'empty'}."
    )

# Quiet hours on the recipient's clock (e.g. 21:00-08:00; empty for none): scheduled and
# broadcast messages due inside are held until the window ends (core.quiet_hours). An
# agent's direct reply goes at once unless QUIET_HOURS_STRICT holds it too.
QUIET_HOURS = env.str("QUIET_HOURS", default="")
try:
    parse_quiet_hours(QUIET_HOURS)
except ValueError as err:
    raise ImproperlyConfigured(str(err)) from err
QUIET_HOURS_STRICT = env.bool("QUIET_HOURS_STRICT", default=False)

# The number Hatch sends SMS from, and any further numbers a caller may pick as "from".
# A "from" outside this list is refused, so that nobody can send as someone else.
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="+15005550006" if DEBUG else "")
TWILIO_EXTRA_FROM_NUMBERS = env.list("TWILIO_EXTRA_FROM_NUMBERS", default=[])

# The address Hatch sends email from, and further senders a caller may pick: full addresses
# or whole domains written as "@example.com".
SENDGRID_FROM_EMAIL = env.str("SENDGRID_FROM_EMAIL", default="hatch@example.com" if DEBUG else "")
SENDGRID_EXTRA_FROM_EMAILS = env.list("SENDGRID_EXTRA_FROM_EMAILS", default=[])

# Real time: the inbox's websocket. With REDIS_URL the channel layer is Redis, shared by
# every web and worker process; without it, an in-memory layer that only reaches
# websockets served by the same process (the zero-setup run, where tasks run in-process).
REDIS_URL = env.str("REDIS_URL", default="")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # Events a socket may fall behind by before the layer drops them (channels_redis
        # keeps 100): a burst of a thousand sends is a thousand events, and one dropped
        # is a message the page never shows (tests/test_several_machines.py).
        "CONFIG": {"hosts": [REDIS_URL], "capacity": 5000},
    }
    if REDIS_URL
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}
# The cache holds the send throttle's counts, which every web process must share: Redis
# with REDIS_URL, else this process's memory (enough for one process, as `make run`).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CACHES["default"]["KEY_PREFIX"] = "hatch"

# Sends per user (SMS and email together) through the API: "<count>/<second|minute|hour|day>".
# Every SMS is billed, so a leaked token or a runaway script is stopped at this rate; a person
# in the inbox never comes near it. Beyond it: 429 with Retry-After (web.throttling).
SEND_RATE_LIMIT = env.str("SEND_RATE_LIMIT", default="120/minute")
if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", SEND_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"SEND_RATE_LIMIT must look like 120/minute (per second, minute, hour or day), "
        f"not {SEND_RATE_LIMIT!r}."
    )

# Broadcasts (the broadcasts app). Each SMS of one ends with this line, so that every
# recipient knows how to stop them (empty: none; carriers expect one).
BROADCAST_SMS_FOOTER = env.str("BROADCAST_SMS_FOOTER", default="Reply STOP to opt out")
# Segments per second each sending number may be given (a Messaging Service counts as one
# sender); 0: no pacing. Twilio queues what exceeds a number's own rate and fails what waits
# there past about 10 hours (errors 30001, 21611): a paced broadcast spreads out instead.
SMS_SENDER_RATE = env.float("SMS_SENDER_RATE", default=0)
if SMS_SENDER_RATE < 0:
    raise ImproperlyConfigured("SMS_SENDER_RATE must be 0 (no pacing) or more, e.g. 1 or 30.")

# SMS per calendar day (in TIME_ZONE) that Hatch accepts: from each user, and from everyone
# together (commands and broadcasts included); 0 for no limit. Beyond either: 429 naming the
# limit and when it resets (messaging.limits). A rate limit stops a burst; these stop a
# leaked token or a runaway loop from running up a day's bill, or an SMS-pumping fraud.
SMS_DAILY_LIMIT_PER_USER = env.int("SMS_DAILY_LIMIT_PER_USER", default=10_000)
SMS_DAILY_LIMIT = env.int("SMS_DAILY_LIMIT", default=50_000)
if SMS_DAILY_LIMIT_PER_USER < 0 or SMS_DAILY_LIMIT < 0:
    raise ImproperlyConfigured(
        "SMS_DAILY_LIMIT_PER_USER and SMS_DAILY_LIMIT must be 0 (no limit) or more."
    )

# Search (core.search): the PostgreSQL text search configuration of every full-text index
# and query ("english", "simple" for no stemming, "french"...). Read when the migrations
# that create the indexes run: to change it later, drop and create those indexes again
# (README, Search), or queries stop using them.
SEARCH_CONFIG = env.str("SEARCH_CONFIG", default="english")

# Reports (reports): the hourly counts are refreshed this often, by the sweeper, and each
# refresh counts again the last REPORTS_RECOUNT_HOURS hours (statuses change for a while
# after a send: delivery receipts, bounces). `manage.py refresh_reports --all` counts
# everything again.
REPORTS_REFRESH_SECONDS = env.int("REPORTS_REFRESH_SECONDS", default=300)
REPORTS_RECOUNT_HOURS = env.int("REPORTS_RECOUNT_HOURS", default=72)
if REPORTS_REFRESH_SECONDS < 1 or REPORTS_RECOUNT_HOURS < 1:
    raise ImproperlyConfigured(
        "REPORTS_REFRESH_SECONDS and REPORTS_RECOUNT_HOURS must be 1 or more."
    )

# Exports (exports): a messages export of at most this many rows streams in the answer; a
# larger one runs as a background job whose file is downloaded when ready (a request must
# finish within the server's timeout, 30 s under gunicorn).
EXPORT_STREAM_MAX_ROWS = env.int("EXPORT_STREAM_MAX_ROWS", default=200_000)

# Idempotency-Key answers are kept this long; a repeat after that is a new send.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

# Delivery: providers, the task queue, retries.
#
# Each channel's provider is "twilio"/"sendgrid" when credentials are set, otherwise
# "console" (logs instead of sending) in development. Outside development a missing
# provider stops the process at start-up; "console" must then be asked for by name.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="https://api.twilio.com")
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
SENDGRID_API_HOST = env.str("SENDGRID_API_HOST", default="https://api.sendgrid.com")
# The base64 P-256 public key SendGrid shows for its signed Event Webhook.
SENDGRID_WEBHOOK_PUBLIC_KEY = env.str("SENDGRID_WEBHOOK_PUBLIC_KEY", default="")
# Inbound Parse signs nothing: the URL given to SendGrid carries these as Basic credentials
# (https://user:password@host/webhooks/sendgrid/inbound). Either one empty: every inbound
# email is refused (emails.providers.sendgrid.inbound.credentials_match).
SENDGRID_INBOUND_USERNAME = env.str("SENDGRID_INBOUND_USERNAME", default="")
SENDGRID_INBOUND_PASSWORD = env.str("SENDGRID_INBOUND_PASSWORD", default="")
# The largest Inbound Parse post, in bytes, for that one webhook (DATA_UPLOAD_MAX_MEMORY_SIZE
# holds every other request): SendGrid takes emails up to 30 MB, and the form's encoding
# adds to it.
SENDGRID_INBOUND_MAX_BODY_SIZE = env.int(
    "SENDGRID_INBOUND_MAX_BODY_SIZE", default=30 * 1024 * 1024 + 1024 * 1024
)
# A received email with no In-Reply-To or References Hatch knows joins the newest thread
# with the same two people and subject (without "Re:") that was active within this many
# days; an older one is a new conversation (emails.threading).
EMAIL_THREAD_WINDOW_DAYS = env.int("EMAIL_THREAD_WINDOW_DAYS", default=30)
if EMAIL_THREAD_WINDOW_DAYS < 0:
    raise ImproperlyConfigured("EMAIL_THREAD_WINDOW_DAYS must be a number of days, 0 or more.")
# Where providers reach Hatch: callback URLs are built from it, and Twilio's signatures are
# checked against it (so they hold behind a TLS-terminating proxy).
PUBLIC_BASE_URL = env.str(
    "PUBLIC_BASE_URL", default="http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")
# Seconds a public file URL (PUBLIC_BASE_URL/media/...: an outbound MMS's media, which
# Twilio fetches without signing in) opens its file; 404 after. Make the URL at each send
# attempt: a day then covers Twilio's own queue and its retries of the fetch.
ATTACHMENT_PUBLIC_URL_MAX_AGE = env.int("ATTACHMENT_PUBLIC_URL_MAX_AGE", default=86400)
if ATTACHMENT_PUBLIC_URL_MAX_AGE <= 0:
    raise ImproperlyConfigured("ATTACHMENT_PUBLIC_URL_MAX_AGE must be a number of seconds > 0.")

SMS_PROVIDER = env.str(
    "SMS_PROVIDER",
    default="twilio" if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN else "console" if DEBUG else "",
)
EMAIL_PROVIDER = env.str(
    "EMAIL_PROVIDER", default="sendgrid" if SENDGRID_API_KEY else "console" if DEBUG else ""
)
# An unknown name is refused by the channel's system check (its provider registry knows
# the names); here only a missing one, with what to set.
if not SMS_PROVIDER:
    raise ImproperlyConfigured(
        "No SMS provider: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
        "or SMS_PROVIDER=console to log messages instead of sending them."
    )
if not EMAIL_PROVIDER:
    raise ImproperlyConfigured(
        "No email provider: set SENDGRID_API_KEY, "
        "or EMAIL_PROVIDER=console to log emails instead of sending them."
    )
if SMS_PROVIDER == "twilio" and not PUBLIC_BASE_URL:
    raise ImproperlyConfigured("Set PUBLIC_BASE_URL: Twilio calls Hatch back there.")

# Webhooks without a valid provider signature answer 403. Turning the check off is a
# development convenience only.
WEBHOOK_SIGNATURES_REQUIRED = env.bool("WEBHOOK_SIGNATURES_REQUIRED", default=True)
if not WEBHOOK_SIGNATURES_REQUIRED and not DEBUG:
    raise ImproperlyConfigured("WEBHOOK_SIGNATURES_REQUIRED=false is allowed only with DEBUG.")

# Seconds before a provider call is abandoned (connect and read).
PROVIDER_TIMEOUT_SECONDS = env.float("PROVIDER_TIMEOUT_SECONDS", default=10.0)
# Transient failures (timeouts, 5xx, 429) are retried with exponential backoff and jitter,
# up to this many attempts in all; then the record is marked failed.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=8)
DELIVERY_RETRY_BASE_SECONDS = env.float("DELIVERY_RETRY_BASE_SECONDS", default=2.0)
DELIVERY_RETRY_MAX_SECONDS = env.float("DELIVERY_RETRY_MAX_SECONDS", default=300.0)
# A delivery worker keeps up to this many provider calls in flight (threads that only wait
# on the provider: Twilio answers in 100-300 ms), and gives its task back after draining
# the queue for this long.
DELIVERY_CONCURRENCY = env.int("DELIVERY_CONCURRENCY", default=32)
if DELIVERY_CONCURRENCY < 1:
    raise ImproperlyConfigured("DELIVERY_CONCURRENCY must be at least 1.")
# Emails in flight at once, at most: SendGrid has no look-up, so an email whose answer is
# lost (a timeout) is sent again; fewer in flight, fewer such emails when SendGrid is slow.
EMAIL_DELIVERY_CONCURRENCY = env.int("EMAIL_DELIVERY_CONCURRENCY", default=4)
if EMAIL_DELIVERY_CONCURRENCY < 1:
    raise ImproperlyConfigured("EMAIL_DELIVERY_CONCURRENCY must be at least 1.")
# Short, so that the worker's other tasks (emails, snoozes, downloads) wait little, and a
# worker asked to stop (it finishes its task first) stops soon; each record has a task of
# its own, so the next one drains on.
DELIVERY_DRAIN_SECONDS = env.float("DELIVERY_DRAIN_SECONDS", default=5.0)
# The sweeper re-enqueues records "queued" this long past their due time (a lost
# enqueue), and re-queues records "sending" this long (a worker that died mid-call).
OUTBOX_QUEUED_GRACE_SECONDS = env.int("OUTBOX_QUEUED_GRACE_SECONDS", default=60)
OUTBOX_SENDING_TIMEOUT_SECONDS = env.int("OUTBOX_SENDING_TIMEOUT_SECONDS", default=600)

# django.tasks. "database" is the django-tasks-db queue, worked by `manage.py db_worker`;
# "immediate" runs each task in the process that enqueues it (the zero-setup run).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "dummy": "django.tasks.backends.dummy.DummyBackend",
}
TASK_BACKEND = env.str("TASK_BACKEND", default="database")
if TASK_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASK_BACKEND must be one of {sorted(_TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASK_BACKEND]}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every line written is scrubbed of credentials first (Twilio's token and Basic auth,
    # SendGrid's key, Authorization headers, SECRET_KEY), whatever logger it came from.
    "filters": {"redact_secrets": {"()": "hatch.log_redaction.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default configuration, applied before this one, gives "django" a console
        # handler of its own (with DEBUG): every record under it, runserver's request lines
        # (django.channels.server) and django.request's warnings included, was written
        # twice, once unredacted. Here it only passes its records on to the root's handler,
        # at the root's level.
        "django": {"handlers": [], "level": "NOTSET"},
        "django.db.backends": {"level": "WARNING"},
        # The SDK logs every request and its headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # Lockouts (WARNING) only, not a line for every sign-in and failed attempt.
        "axes": {"level": "WARNING"},
    },
}
