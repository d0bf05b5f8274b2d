"""Where stored files live: settings read in a fresh interpreter, as production starts."""

import json
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
    "SMS_PROVIDER": "console",
    "EMAIL_PROVIDER": "console",
    "HATCH_DOTENV": "",
}
REPORT = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import default_storage as s
print(json.dumps({
    "backend": s.__class__.__name__,
    "location": getattr(s, "location", None),
    "bucket": getattr(s, "bucket_name", None),
    "endpoint": getattr(s, "endpoint_url", None),
    "region": getattr(s, "region_name", None),
    "access_key": getattr(s, "access_key", None),
    "secret_key": getattr(s, "secret_key", None),
    "acl": getattr(s, "default_acl", "unset"),
    "signed_urls": getattr(s, "querystring_auth", None),
    "public_url_max_age": settings.ATTACHMENT_PUBLIC_URL_MAX_AGE,
    "upload_max_body_size": settings.UPLOAD_MAX_BODY_SIZE,
}))
"""


def load(**overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "MEDIA_ROOT", "HATCH_", "ATTACHMENT_", "UPLOAD_"))
    }
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="hatch.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", REPORT], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def report(**overrides: str) -> dict:
    result = load(**overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_files_go_to_a_folder_in_the_project_by_default():
    assert (
        report().items()
        >= {
            "backend": "FileSystemStorage",
            "location": str(PROJECT / "var" / "media"),
            "public_url_max_age": 86400,
            "upload_max_body_size": 28 * 1024 * 1024,
        }.items()
    )


def test_media_root_moves_the_folder(tmp_path):
    assert report(MEDIA_ROOT=str(tmp_path))["location"] == str(tmp_path)


def test_s3_storage_is_a_private_bucket_with_secrets_from_files(tmp_path):
    secret = tmp_path / "aws_secret_access_key"
    secret.write_text("s3cr3t\n")

    settings = report(
        HATCH_FILE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="hatch-files",
        AWS_S3_ENDPOINT_URL="https://minio.internal:9000",
        AWS_S3_REGION_NAME="eu-west-1",
        AWS_ACCESS_KEY_ID="hatch",
        AWS_SECRET_ACCESS_KEY_FILE=str(secret),
    )

    assert (
        settings.items()
        >= {
            "backend": "S3Storage",
            "bucket": "hatch-files",
            "endpoint": "https://minio.internal:9000",
            "region": "eu-west-1",
            "access_key": "hatch",
            "secret_key": "s3cr3t",
            "acl": None,
            "signed_urls": True,
        }.items()
    )


def test_s3_storage_without_keys_leaves_credentials_to_boto3():
    settings = report(HATCH_FILE_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="hatch-files")

    assert (settings["access_key"], settings["secret_key"], settings["endpoint"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"HATCH_FILE_STORAGE": "s3"},
            "Set the AWS_STORAGE_BUCKET_NAME environment variable",
        ),
        ({"HATCH_FILE_STORAGE": "ftp"}, "HATCH_FILE_STORAGE must be filesystem or s3, not 'ftp'."),
        ({"ATTACHMENT_PUBLIC_URL_MAX_AGE": "0"}, "ATTACHMENT_PUBLIC_URL_MAX_AGE must be"),
    ],
)
def test_a_storage_configuration_that_cannot_work_stops_start_up(overrides, message):
    result = load(**overrides)

    assert result.returncode != 0
    assert message in result.stderr
