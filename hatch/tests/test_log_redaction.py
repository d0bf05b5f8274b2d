"""No credential reaches a log line (hatch.log_redaction on the root handler)."""

import base64
import io
import logging

import pytest
from django.conf import settings

from emails import services as email_services
from emails.delivery import email_outbox
from hatch.log_redaction import REDACTED, RedactSecrets, redact
from messaging import services as message_services
from messaging.delivery import sms_outbox
from testing.fake_providers import Reply

SDK_LOGGERS = ["twilio", "twilio.http_client", "urllib3", "sendgrid", "python_http_client"]


@pytest.fixture
def written_log(caplog):
    """What the configured root handler writes, with every SDK logging at DEBUG.

    caplog's own records are the raw ones, before the filter: a test can show that a
    secret was there to leak.
    """
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in handler.filters)
    ]
    assert handlers, "settings.LOGGING puts no RedactSecrets filter on a root handler"
    buffer = io.StringIO()
    previous = [handler.setStream(buffer) for handler in handlers]
    caplog.set_level(logging.DEBUG)
    for name in SDK_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


def secrets_in_settings() -> dict[str, str]:
    basic = f"{settings.TWILIO_ACCOUNT_SID}:{settings.TWILIO_AUTH_TOKEN}"
    return {
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "Twilio Basic auth": base64.b64encode(basic.encode()).decode(),
        "SENDGRID_API_KEY": settings.SENDGRID_API_KEY,
        "SECRET_KEY": settings.SECRET_KEY,
    }


@pytest.mark.django_db(transaction=True)
def test_provider_calls_logged_at_debug_with_failing_replies_leak_no_secret(
    fake_providers, written_log, caplog
):
    fake_providers.script("twilio", Reply.twilio_error(400, 21211, "Invalid 'To' Phone Number"))
    fake_providers.script("sendgrid", Reply.sendgrid_error(401, "The provided authorization"))
    sms = message_services.message_send(to="+14155552671", body="Your table is ready")
    email = email_services.email_send(to_email="ada@example.com", subject="Hi", body="Hello")

    assert sms_outbox.deliver(str(sms.id)) == "failed"
    assert email_outbox.deliver(str(email.id)) == "failed"
    # And an application mistake: logging a credential, and an error that quotes one.
    logging.getLogger("hatch").warning("Twilio token is %s", settings.TWILIO_AUTH_TOKEN)
    try:
        raise RuntimeError(f"request failed: Authorization: Bearer {settings.SENDGRID_API_KEY}")
    except RuntimeError:
        logging.getLogger("hatch").exception("SECRET_KEY=%s", settings.SECRET_KEY)

    raw = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    )
    written = written_log.getvalue()
    secrets = secrets_in_settings()
    # The SDKs did log their requests, credentials included: there was something to leak.
    assert "Bearer " + settings.SENDGRID_API_KEY in raw
    assert fake_providers.base_url.split("//")[1] in written  # urllib3's connection lines
    assert "python_http_client" in written and "twilio.http_client" in written
    for name, value in secrets.items():
        assert value not in written, f"{name} reached the log"
    assert written.count(REDACTED) >= 4


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "HEADERS: {'Authorization': 'Bearer SG.abc123.def456', 'Accept': 'application/json'}",
            "HEADERS: {'Authorization': 'Bearer [REDACTED]', 'Accept': 'application/json'}",
        ),
        ("Authorization: Basic QUM6dG9rZW4=", "Authorization: Basic [REDACTED]"),
        ("authorization=Token 9944b09199c62bcf9418ad846dd0e4bb", "authorization=Token [REDACTED]"),
        ("key SG.AbCdEfGh_123.xyz-987 in a message", "key [REDACTED] in a message"),
        ("curl -H 'Bearer abcdefgh12345678'", "curl -H 'Bearer [REDACTED]'"),
        ("nothing secret here: Basic arithmetic", "nothing secret here: Basic arithmetic"),
    ],
)
def test_credentials_are_recognised_by_their_shape(line, expected):
    assert redact(line) == expected


def test_a_record_with_arguments_that_do_not_fit_is_still_written():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("one",), None)

    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == "%s %s ('one',)"
