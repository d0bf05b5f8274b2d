"""Production settings refuse to start half-configured (each case in a fresh interpreter)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-for-this-test-only-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hatch",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+15005550006",
    "SENDGRID_API_KEY": "SG.key",
    "SENDGRID_FROM_EMAIL": "team@example.com",
    "PUBLIC_BASE_URL": "https://hatch.example.com",
}


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "TWILIO",
                "SENDGRID",
                "SMS_",
                "EMAIL_",
                "PUBLIC_",
                "DEBUG",
                "SECRET",
                "DATABASE",
                "WEBHOOK",
                "TASK_",
            )
        )
    }
    env.update(PRODUCTION)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["DJANGO_SETTINGS_MODULE"] = "hatch.settings"
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SMS_PROVIDER, settings.EMAIL_PROVIDER, repr(settings.TWILIO_AUTH_TOKEN))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def test_a_complete_production_configuration_uses_the_real_providers():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["twilio", "sendgrid"]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "Set the SECRET_KEY environment variable"),
        ("DATABASE_URL", "Set the DATABASE_URL environment variable"),
        ("TWILIO_AUTH_TOKEN", "No SMS provider: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"),
        ("SENDGRID_API_KEY", "No email provider: set SENDGRID_API_KEY"),
        ("PUBLIC_BASE_URL", "Set PUBLIC_BASE_URL"),
    ],
)
def test_production_refuses_to_start_without(missing, message):
    result = load_settings(**{missing: None})

    assert result.returncode != 0
    assert message in result.stderr


def test_console_providers_must_be_asked_for_by_name_in_production():
    result = load_settings(
        TWILIO_AUTH_TOKEN=None,
        SENDGRID_API_KEY=None,
        SMS_PROVIDER="console",
        EMAIL_PROVIDER="console",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["console", "console"]


def test_webhook_signatures_cannot_be_switched_off_in_production():
    result = load_settings(WEBHOOK_SIGNATURES_REQUIRED="false")

    assert result.returncode != 0
    assert "WEBHOOK_SIGNATURES_REQUIRED=false is allowed only with DEBUG" in result.stderr


def test_a_secret_can_be_read_from_a_file_without_its_trailing_newline(tmp_path):
    secret = tmp_path / "twilio_auth_token"
    secret.write_text("token-from-file\n")  # what `echo token > file` writes
    result = load_settings(TWILIO_AUTH_TOKEN=None, TWILIO_AUTH_TOKEN_FILE=str(secret))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["twilio", "sendgrid", "'token-from-file'"]
