"""Counting what the fake providers saw, per Hatch record, to compare with the database."""

from collections import Counter
from urllib.parse import parse_qs, urlsplit

from outbox.engine import LOOKUP_FAILED, RECONCILED
from testing.fake_providers import RecordedRequest

# Attempts that made no send request: an adopted earlier send, or a failed look-up.
NO_SEND_CODES = (RECONCILED, LOOKUP_FAILED)


def sms_id(request: RecordedRequest) -> str | None:
    """Hatch's message id, from the StatusCallback URL Hatch sends with each SMS."""
    callback = request.field("StatusCallback")
    if not callback:
        return None
    return parse_qs(urlsplit(callback).query).get("message_id", [None])[0]


def email_id(request: RecordedRequest) -> str | None:
    """Hatch's email id, from the custom_args Hatch sends with each email."""
    if not isinstance(request.json, dict):
        return None
    return (request.json.get("custom_args") or {}).get("hatch_email_id")


def twilio_sends(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if r.provider == "twilio" and r.method == "POST"]


def twilio_lookups(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [
        r
        for r in requests
        if r.provider == "twilio" and r.method == "GET" and r.path.endswith("/Messages.json")
    ]


def sendgrid_sends(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [r for r in requests if r.provider == "sendgrid" and r.method == "POST"]


def accepted_per_record(sends: list[RecordedRequest], key) -> Counter:
    """How many times the provider accepted each record (a request it stored)."""
    return Counter(key(r) for r in sends if r.delivered)


def requests_per_record(sends: list[RecordedRequest], key) -> Counter:
    return Counter(key(r) for r in sends)


def attempts_per_record(attempt_model, field: str, *, with_send: bool) -> Counter:
    """Attempt rows per record; ``with_send``: only those that made a send request."""
    attempts = attempt_model.objects.all()
    if with_send:
        attempts = attempts.exclude(error_code__in=NO_SEND_CODES)
    return Counter(str(value) for value in attempts.values_list(field, flat=True))
