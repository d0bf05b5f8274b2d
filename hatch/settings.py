"""Hatch settings, read from the environment (django-environ).

Every secret may also come from a file: set ``NAME_FILE=/run/secrets/name`` instead of
``NAME`` (Docker secrets). Outside development (``DEBUG=False``) no secret has a default:
a missing one stops the process at start-up instead of running with a guessable value.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

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
# A local .env is a convenience for development; the real environment always wins.
environ.FileAwareEnv.read_env(BASE_DIR / ".env", overwrite=False)

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
    "channels",
    "django_tasks_db",
    "messaging",
    "emails",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
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
# thread pool, and per-thread persistent connections would grow without bound (the seed's
# defect: requests failing once PostgreSQL's max_connections is reached). Each process
# holds at most DB_POOL_MAX_SIZE connections; a request waits up to DB_POOL_TIMEOUT seconds
# for one. DB_POOL_MAX_SIZE=0 switches the pool off (persistent connections, CONN_MAX_AGE).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX_SIZE:
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": min(2, DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        }
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

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
        else "hatch.storage.StaticStorage",
    },
}

REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "hatch.api.exception_handler",
    # ISO 8601 with an explicit "+00:00" offset, as the seed's API wrote it.
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%f%:z",
}

# Largest request body Django reads (bytes). Messages are at most 1600 characters and an
# email body is bounded below, so 1 MiB leaves room without inviting abuse.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# Messaging. Numbers without a country code are read in this region.
HATCH_DEFAULT_REGION = env.str("HATCH_DEFAULT_REGION", default="US")

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
        "CONFIG": {"hosts": [REDIS_URL]},
    }
    if REDIS_URL
    else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
}

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
# Where providers reach Hatch: callback URLs are built from it, and Twilio's signatures are
# checked against it (so they hold behind a TLS-terminating proxy).
PUBLIC_BASE_URL = env.str(
    "PUBLIC_BASE_URL", default="http://127.0.0.1:8000" if DEBUG else ""
).rstrip("/")

SMS_PROVIDER = env.str(
    "SMS_PROVIDER",
    default="twilio" if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN else "console" if DEBUG else "",
)
EMAIL_PROVIDER = env.str(
    "EMAIL_PROVIDER", default="sendgrid" if SENDGRID_API_KEY else "console" if DEBUG else ""
)
if SMS_PROVIDER not in ("twilio", "console"):
    raise ImproperlyConfigured(
        "No SMS provider: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
        "or SMS_PROVIDER=console to log messages instead of sending them."
    )
if EMAIL_PROVIDER not in ("sendgrid", "console"):
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
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The SDK logs every request and its headers at INFO.
        "twilio.http_client": {"level": "WARNING"},
    },
}
