"""SendGrid's Event Webhook under abuse: forged, malformed, oversized, odd JSON, NULs.

A refused request (403 for a signature, 400 for a body Hatch cannot read, 413 for size) is
JSON and writes nothing; an authentic batch answers 200 with every event stored, whatever
odd values its events carry; nothing answers 5xx. Bodies are generated with hypothesis
(derandomized, bounded) and signed with a real P-256 key, as SendGrid signs them.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from emails.models import Email, EmailEvent
from emails.tests.sendgrid_payloads import (
    EVENTS_PATH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    encode,
    event,
)

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(ANY_TEXT, children, max_size=3)
    ),
    max_leaves=10,
)
EVENT_FIELDS = ["event", "timestamp", "sg_event_id", "sg_message_id", "email", "hatch_email_id"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "",
]


def rows() -> dict[str, int]:
    return {
        "Email": Email.objects.count(),
        "EmailEvent": EmailEvent.objects.count(),
        "statuses": sorted(Email.objects.values_list("status", flat=True)),
    }


def post(body: bytes, *, content_type: str = "application/json", headers: dict | None = None):
    # raise_request_exception=False: a view that raised answers 500 here, as in production.
    return Client(raise_request_exception=False).generic(
        "POST", EVENTS_PATH, body, content_type=content_type, headers=headers or {}
    )


def assert_refused(response, before, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]
    assert rows() == before, "a refused request wrote something"


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode())),
    signature=st.one_of(st.none(), st.text(st.characters(codec="latin-1"), max_size=120)),
    timestamp=st.one_of(st.none(), st.text(st.characters(codec="latin-1"), max_size=20)),
    content_type=st.sampled_from(CONTENT_TYPES),
)
@example(body=b"[]", signature=None, timestamp=None, content_type="application/json")
@example(body=b"[]", signature="MEUCIQ==", timestamp="0", content_type="application/json")
def test_a_forged_or_unsigned_batch_is_refused_with_403_and_writes_nothing(
    key, sent_email, body, signature, timestamp, content_type
):
    before = rows()
    headers = {}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    if timestamp is not None:
        headers[TIMESTAMP_HEADER] = timestamp

    response = post(body, content_type=content_type, headers=headers)

    # A malformed multipart form is refused (400) before its signature is looked at.
    if content_type.startswith("multipart/") and response.status_code == 400:
        assert_refused(response, before, 400)
    else:
        assert_refused(response, before, 403)


@FUZZ
@given(body=st.binary(max_size=300))
@example(body=b"\xff\xfe\x00")
@example(body=b"[" * 5000 + b"]" * 5000)
@example(body=b"[NaN]")
@example(body=b'[{"timestamp": Infinity}]')
@example(body=b'{"event": "delivered"}')
@example(body=b"[1, 2]")
@example(body=b"")
def test_signed_bytes_that_are_not_a_json_array_of_objects_are_refused(key, sent_email, body):
    """400, or 403 for bytes that are not UTF-8: SendGrid signs UTF-8 JSON, and its
    verifier reads the body as text, so such a body cannot be shown to be SendGrid's."""
    try:
        parsed = json.loads(body)
        is_batch = isinstance(parsed, list) and all(isinstance(e, dict) for e in parsed)
    except (ValueError, RecursionError):
        is_batch = False
    try:
        body.decode("utf-8")
        expected = 400
    except UnicodeDecodeError:
        expected = 403
    before = rows()

    response = post(body, headers=key.headers(body))

    if is_batch and response.status_code == 200:
        return  # bytes that happen to be a batch are one
    assert_refused(response, before, expected)


@FUZZ
@given(
    changes=st.lists(
        st.dictionaries(st.sampled_from(EVENT_FIELDS), JSON_VALUES, min_size=1), max_size=4
    )
)
@example(changes=[{"event": "delivered\x00", "email": "\x00"}])
@example(changes=[{"timestamp": 10**30}])
@example(changes=[{"timestamp": -(10**12)}])
@example(changes=[{"timestamp": "yesterday"}])
@example(changes=[{"hatch_email_id": "\x00"}, {"hatch_email_id": ["not", "an", "id"]}])
@example(changes=[{"sg_event_id": {"nested": None}}])
def test_an_authentic_batch_with_odd_values_is_stored_whole(key, sent_email, changes):
    base = event(
        "delivered",
        email=sent_email.to_email,
        message_id=sent_email.provider_message_id,
        hatch_email_id=str(sent_email.id),
    )
    events = [{**base, **change} for change in changes]
    body = encode(events)
    before = rows()

    response = post(body, headers=key.headers(body))

    assert response.status_code == 200, response.content[:300]
    counts = response.json()
    assert counts["stored"] + counts["duplicates"] == len(events)
    assert EmailEvent.objects.count() == before["EmailEvent"] + counts["stored"]
    assert not [
        kind for kind in EmailEvent.objects.values_list("event", flat=True) if "\x00" in kind
    ]


def test_a_batch_over_the_limit_is_a_json_413_and_writes_nothing(key, sent_email, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    events = [
        event("open", email=sent_email.to_email, message_id=sent_email.provider_message_id)
        for _ in range(50)
    ]
    body = encode(events)
    assert len(body) > 10_000
    before = rows()

    response = post(body, headers=key.headers(body))

    assert_refused(response, before, 413)
    assert "at most 10000 bytes" in response.json()["error"]


def test_a_signed_batch_replayed_with_another_body_is_refused(key, sent_email):
    good = encode(
        [event("delivered", email=sent_email.to_email, message_id=sent_email.provider_message_id)]
    )
    forged = encode(
        [event("bounce", email=sent_email.to_email, message_id=sent_email.provider_message_id)]
    )
    before = rows()

    response = post(forged, headers=key.headers(good))

    assert_refused(response, before, 403)
