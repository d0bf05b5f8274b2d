"""Production settings: `check --deploy` is clean, HTTPS is enforced behind a proxy, every
response carries the security headers, and every secret can come from a file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from messaging.models import Message
from messaging.tests.twilio_payloads import (
    INBOUND_PATH,
    inbound_sms,
    post_form,
    post_signed,
    signature,
)

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "kq3v9-Jp2w_Xz7LmN4cR8tYb1uHs6eGd0aFo5iWnZy-Tq2rVx8pMk4jLs9hBc3Dg",
    "ALLOWED_HOSTS": "hatch.example.com",
    "DATABASE_URL": "postgres://hatch:db-password@127.0.0.1:5432/hatch",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "SENDGRID_API_KEY": "SG.sendgrid-api-key",
    "SENDGRID_FROM_EMAIL": "team@example.com",
    "PUBLIC_BASE_URL": "https://hatch.example.com",
}


def production(*argv: str, **overrides: str | None) -> subprocess.CompletedProcess:
    """Run ``argv`` with hatch.settings and only the production environment above."""
    env = {
        key: value
        for key, value in os.environ.items()
        # HATCH_DOTENV: the test settings' empty one, so that no developer's .env leaks in.
        if key in ("PATH", "HOME", "LANG", "VIRTUAL_ENV", "PYTHONPATH", "HATCH_DOTENV")
    }
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="hatch.settings")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, *argv], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )


class TestCheckDeploy:
    def test_production_settings_pass_check_deploy_with_no_warning(self):
        result = production("manage.py", "check", "--deploy", "--fail-level", "WARNING")

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout

    @pytest.mark.parametrize(
        ("override", "warning"),
        [
            ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
            ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
            ({"SECURE_COOKIES": "false"}, "security.W012"),
        ],
    )
    def test_switching_a_protection_off_fails_the_check(self, override, warning):
        result = production("manage.py", "check", "--deploy", "--fail-level", "WARNING", **override)

        assert result.returncode != 0
        assert warning in result.stderr + result.stdout


SECRETS = [
    ("SECRET_KEY", "settings.SECRET_KEY"),
    ("DATABASE_URL", "settings.DATABASES['default']['PASSWORD']"),
    ("TWILIO_ACCOUNT_SID", "settings.TWILIO_ACCOUNT_SID"),
    ("TWILIO_AUTH_TOKEN", "settings.TWILIO_AUTH_TOKEN"),
    ("SENDGRID_API_KEY", "settings.SENDGRID_API_KEY"),
    ("SENDGRID_WEBHOOK_PUBLIC_KEY", "settings.SENDGRID_WEBHOOK_PUBLIC_KEY"),
]
FROM_FILE = {
    "SECRET_KEY": "secret-key-from-a-file-0123456789-abcdefghijklmnopqrstuvwxyz",
    "DATABASE_URL": "postgres://hatch:password-from-a-file@127.0.0.1:5432/hatch",
    "TWILIO_ACCOUNT_SID": "AC" + "2" * 32,
    "TWILIO_AUTH_TOKEN": "token-from-a-file",
    "SENDGRID_API_KEY": "SG.key-from-a-file",
    "SENDGRID_WEBHOOK_PUBLIC_KEY": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfromafile==",
}


@pytest.mark.parametrize(("name", "expression"), SECRETS, ids=[name for name, _ in SECRETS])
def test_each_secret_can_be_read_from_a_file(tmp_path, name, expression):
    secret_file = tmp_path / name.lower()
    secret_file.write_text(FROM_FILE[name] + "\n")  # as `echo value > file` writes it
    expected = "password-from-a-file" if name == "DATABASE_URL" else FROM_FILE[name]

    result = production(
        "-c",
        f"import django; django.setup(); from django.conf import settings; print({expression})",
        **{name: None, f"{name}_FILE": str(secret_file)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.django_db
class TestSecurityHeaders:
    """Every kind of response: an API answer, a page, a 404 and a webhook's answer."""

    EXPECTED = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }

    def assert_security_headers(self, response):
        for header, value in self.EXPECTED.items():
            assert response.get(header) == value, (header, response.status_code)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp

    def test_an_api_response(self, api_client):
        response = api_client.get("/api/conversations")

        assert response.status_code == 200
        self.assert_security_headers(response)

    def test_the_inbox_page(self, client, user):
        client.force_login(user)
        response = client.get("/")

        assert response.status_code == 200
        self.assert_security_headers(response)

    @pytest.mark.parametrize("path", ["/no-such-page", "/api/no-such-endpoint"])
    def test_a_404(self, client, path):
        response = client.get(path)

        assert response.status_code == 404
        self.assert_security_headers(response)

    def test_a_webhook_response(self, client):
        accepted = post_signed(client, INBOUND_PATH, inbound_sms())
        refused = client.post(INBOUND_PATH, inbound_sms())

        assert (accepted.status_code, refused.status_code) == (200, 403)
        self.assert_security_headers(accepted)
        self.assert_security_headers(refused)

    def test_https_responses_carry_hsts_for_a_year_with_subdomains_and_preload(self, api_client):
        response = api_client.get("/api/conversations", secure=True)

        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )


@pytest.mark.django_db
class TestHttpsBehindAProxy:
    """SECURE_SSL_REDIRECT as production has it; the proxy says https in X-Forwarded-Proto."""

    @pytest.fixture(autouse=True)
    def https_only(self, settings):
        settings.SECURE_SSL_REDIRECT = True

    def test_plain_http_is_redirected_to_https(self, api_client):
        response = api_client.get("/api/conversations")

        assert response.status_code == 301
        assert response["Location"] == "https://testserver/api/conversations"

    def test_https_from_the_proxy_is_served(self, api_client):
        response = api_client.get("/api/conversations", HTTP_X_FORWARDED_PROTO="https")

        assert response.status_code == 200

    def test_health_answers_container_probes_over_plain_http(self, client):
        response = client.get("/health")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_a_signed_webhook_through_the_proxy_is_accepted(self, client):
        params = inbound_sms()
        url = settings.PUBLIC_BASE_URL + INBOUND_PATH  # what Twilio signed: the public https URL

        response = post_form(
            client,
            INBOUND_PATH,
            params,
            headers={
                "X-Twilio-Signature": signature(params, url=url),
                "X-Forwarded-Proto": "https",
            },
        )

        assert response.status_code == 200
        assert Message.objects.filter(provider_message_id=params["MessageSid"]).exists()
