"""Send rate limits (web.throttling) and sign-in attempt limits (django-axes)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emails.models import Email
from messaging.models import Message
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[1]
SMS = {"to": "+14155552671", "body": "Your table is ready"}
EMAIL = {"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."}
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def send_limit(settings):
    settings.SEND_RATE_LIMIT = "3/minute"
    cache.clear()
    yield
    cache.clear()


def send_sms(client):
    return client.post("/api/send_message", SMS, format="json")


class TestSendThrottle:
    def test_the_send_past_the_limit_is_a_429_with_retry_after_and_stores_nothing(
        self, api_client, send_limit
    ):
        statuses = [send_sms(api_client).status_code for _ in range(3)]

        refused = send_sms(api_client)

        assert statuses == [200, 200, 200]
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/json"
        assert refused.json()["error"].startswith(
            "Too many sends: at most 3 per minute for each user. Expected available in"
        )
        assert 1 <= int(refused["Retry-After"]) <= 60
        assert Message.objects.count() == 3

    def test_sms_and_email_share_one_budget(self, api_client, send_limit):
        send_sms(api_client)
        send_sms(api_client)
        api_client.post("/api/send_email", EMAIL, format="json")

        assert api_client.post("/api/send_email", EMAIL, format="json").status_code == 429
        assert Email.objects.count() == 1

    def test_each_user_has_their_own_budget(self, api_client, send_limit):
        for _ in range(3):
            send_sms(api_client)
        other = APIClient()
        other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory())}")

        assert send_sms(api_client).status_code == 429
        assert send_sms(other).status_code == 200

    def test_reading_is_not_throttled(self, api_client, send_limit):
        for _ in range(3):
            send_sms(api_client)

        statuses = {api_client.get("/api/conversations").status_code for _ in range(10)}

        assert statuses == {200}

    def test_the_test_settings_never_throttle(self, api_client, settings):
        cache.clear()
        assert settings.SEND_RATE_LIMIT is None

        statuses = {send_sms(api_client).status_code for _ in range(130)}

        assert statuses == {200}

    def test_the_counts_are_shared_by_every_process_through_redis(
        self, api_client, send_limit, settings
    ):
        """Another process (a second web worker) sees this process's sends in Redis."""
        redis.Redis.from_url(REDIS_TEST_URL).flushdb()
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_TEST_URL,
                "KEY_PREFIX": "hatch",
            }
        }
        send_sms(api_client)
        send_sms(api_client)
        user_id = Token.objects.get().user_id

        other_process = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from django.core.cache import cache; "
                f"print(len(cache.get('throttle_send_{user_id}')))",
            ],
            cwd=PROJECT,
            env={
                **os.environ,
                "REDIS_URL": REDIS_TEST_URL,
                "DJANGO_SETTINGS_MODULE": "hatch.settings",
            },
            capture_output=True,
            text=True,
        )
        redis.Redis.from_url(REDIS_TEST_URL).flushdb()

        assert other_process.returncode == 0, other_process.stderr
        assert other_process.stdout.strip() == "2"

    def test_sends_go_through_when_the_cache_is_down(self, api_client, settings):
        settings.SEND_RATE_LIMIT = "3/minute"
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            }
        }

        statuses = [send_sms(api_client).status_code for _ in range(4)]

        assert statuses == [200, 200, 200, 200]
        assert Message.objects.count() == 4


@pytest.mark.parametrize("rate", ["120", "fast", "0/minute", "10/fortnight"])
def test_a_malformed_send_rate_limit_stops_the_process_at_start_up(rate):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=PROJECT,
        env={**os.environ, "SEND_RATE_LIMIT": rate, "DJANGO_SETTINGS_MODULE": "hatch.settings"},
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "SEND_RATE_LIMIT must look like 120/minute" in result.stderr


class TestSignInAttempts:
    """django-axes: SIGN_IN_FAILURE_LIMIT (5) failures for one username from one address."""

    def sign_in(self, client, password, path="/accounts/login/"):
        return client.post(path, {"username": "casey", "password": password})

    def test_five_failures_lock_the_sign_in_with_a_clear_message(self, client, user):
        failures = [self.sign_in(client, "wrong").status_code for _ in range(4)]

        locked = self.sign_in(client, "wrong")
        even_the_right_password = self.sign_in(client, DEFAULT_PASSWORD)

        assert failures == [200, 200, 200, 200]  # the form again, with its error
        assert locked.status_code == 429
        page = locked.content.decode()
        assert "Too many failed sign-ins" in page
        assert "5 wrong passwords in a row for “casey”" in page
        assert "paused for 15 minutes" in page
        assert even_the_right_password.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_a_success_resets_the_count(self, client, user):
        for _ in range(4):
            self.sign_in(client, "wrong")
        assert self.sign_in(client, DEFAULT_PASSWORD).status_code == 302
        client.logout()

        failures = [self.sign_in(client, "wrong").status_code for _ in range(4)]

        assert failures == [200, 200, 200, 200]
        assert self.sign_in(client, DEFAULT_PASSWORD).status_code == 302

    def test_another_address_is_not_locked_out(self, client, user):
        for _ in range(5):
            self.sign_in(client, "wrong")

        response = client.post(
            "/accounts/login/",
            {"username": "casey", "password": DEFAULT_PASSWORD},
            REMOTE_ADDR="192.0.2.7",
        )

        assert response.status_code == 302

    def test_the_admin_sign_in_is_limited_too(self, client):
        UserFactory(username="casey", is_staff=True)
        for _ in range(5):
            last = self.sign_in(client, "wrong", path="/admin/login/")

        assert last.status_code == 429
        assert "Too many failed sign-ins" in last.content.decode()
