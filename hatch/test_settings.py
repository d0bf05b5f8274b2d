"""Settings for the test suite: the real settings on PostgreSQL, with fixed test values.

Tests always run on PostgreSQL (never the SQLite development fallback); point
DATABASE_URL elsewhere to use another server.
"""

import atexit
import os
import shutil
import tempfile

# No .env: a developer's (make run writes one) would otherwise fill in every setting not
# fixed below, in this process and in every server and command the tests start, which
# inherit this environment.
os.environ["HATCH_DOTENV"] = ""
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hatch")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
# Real providers, with test credentials. Their base URLs point at a closed local port so that
# nothing ever leaves the machine; tests that send start testing.fake_providers and point the
# SDKs at it.
os.environ.setdefault("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
os.environ.setdefault("TWILIO_AUTH_TOKEN", "test-auth-token")
os.environ.setdefault("TWILIO_API_BASE_URL", "http://127.0.0.1:9")
os.environ.setdefault("SENDGRID_API_KEY", "SG.test-key")
os.environ.setdefault("SENDGRID_API_HOST", "http://127.0.0.1:9")
os.environ.setdefault("PUBLIC_BASE_URL", "https://hatch.test")
# Enqueued tasks are recorded, not run: tests run the pipeline step by step.
os.environ.setdefault("TASK_BACKEND", "dummy")
# Tests (and the live test server) speak plain http: no redirect to https, and cookies the
# browser keeps over http. hatch/tests/test_deploy_checks.py checks the production values.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# Stored files go to a temporary folder of this test session, removed when it ends. Set in
# the environment, so that the servers and commands the tests start (which inherit it)
# read and write the same folder; only the process that made it removes it.
if "MEDIA_ROOT" not in os.environ:
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="hatch-test-media-")
    atexit.register(shutil.rmtree, os.environ["MEDIA_ROOT"], ignore_errors=True)

from hatch.settings import *  # noqa: F403

# The manifest storage needs collectstatic; tests render pages without it.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

TWILIO_FROM_NUMBER = "+15005550006"
TWILIO_EXTRA_FROM_NUMBERS = ["+14155550100"]
SENDGRID_FROM_EMAIL = "team@hatch.test"
SENDGRID_EXTRA_FROM_EMAILS = ["support@hatch.test", "@sales.hatch.test"]
# Serve static files from the source folders; tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# No send is ever throttled by accident; tests/test_throttling.py sets a rate.
SEND_RATE_LIMIT = None
