"""Schemathesis against a live Hatch: every operation of /api/schema/, with generated input.

Hatch runs under daphne (testing.live_server) on the test database, with a few real
records; the schema is fetched from the server itself with a DRF token, and every operation
is called with input generated from it: valid input (positive), and input that breaks the
schema on purpose (negative), with a fixed seed and a bounded number of examples each. Each
response must hold to the contract:

- ``not_a_server_error``: never a 5xx;
- ``status_code_conformance``: only statuses the schema lists for that operation;
- ``content_type_conformance``: the documented content type (JSON);
- ``response_schema_conformance``: the body has the documented shape, errors included.

Generated ids are random UUIDs (404s), so each operation with an id is also called with the
ids of the records made here, and the send endpoints with a valid request. Every failure is
collected, not only the first, and the figures (operations, requests) are printed and kept
as junit properties.
"""

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests
import schemathesis
from django.conf import settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from broadcasts.recipients import recipients_resolve
from broadcasts.services import broadcast_create
from contacts.services import contact_create, contact_for_point
from emails import services as email_services
from emails.events import InboundEmail
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Message, MessageStatus
from messaging.tests.factories import UserFactory
from testing import live_server

SEED = 20261129
# Examples per operation and generation mode. 25 operations x 2 modes x 30 is about 1,500
# requests, plus the hand-made ones: about 35 s on two cores.
EXAMPLES = 30
# Every operation of the schema is fuzzed; fewer would mean the schema lost some.
OPERATIONS_MIN = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Valid requests a generator seldom hits (a real phone number, a real address), sent as is.
IN_TWO_DAYS = (datetime.now(UTC) + timedelta(days=2)).isoformat()
VALID_BODIES = {
    "/api/contacts": [
        {
            "name": "Bob Byte",
            "phones": ["(415) 555-0150"],
            "emails": ["bob@example.com"],
            "time_zone": "Europe/Dublin",
        },
    ],
    "/api/send_message": [
        {"to": "(415) 555-0199", "body": "Your table is ready"},
        {"to": "Front desk", "body": "Lunch?", "from": "Casey"},
        {"to": "(415) 555-0199", "body": "See you at 8", "send_at": IN_TWO_DAYS},
    ],
    "/api/broadcasts": [
        {
            "name": "Holiday hours",
            "channel": "sms",
            "body": "We open at 10.",
            "recipients": {"numbers": ["(415) 555-0199", "not a number"]},
        },
    ],
    "/api/send_email": [
        {
            "to_email": "ada@example.com",
            "subject": "Your order",
            "body": "It ships today.",
            "cc": "ops@example.com, support@example.com",
        },
    ],
}

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
CSV_NOT_UTF8 = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n'
    b"Content-Type: text/csv\r\n\r\nname,phone\nJos\xe9,+14155550199\n\r\n--b--\r\n"
)
# Hostile requests a schema-driven generator does not make, held to the same checks:
# (method, path, query, raw body, content type). Each was a 5xx or an HTML error once.
HOSTILE = [
    ("GET", "/api/conversations", {"q": "a\x00b"}, None, None),
    ("GET", "/api/conversations", {"cursor": "\x00", "page_size": "0"}, None, None),
    ("GET", "/api/conversations", {"page_size": "99999999999999999999"}, None, None),
    ("GET", "/api/messages", {"cursor": "W10"}, None, None),
    ("GET", "/api/conversation/{id}/new_messages", {"since": "\x00"}, None, None),
    ("GET", "/api/conversation/{id}/new_messages", {"since": "9999-99-99T99:99"}, None, None),
    ("POST", "/api/send_message", {}, DEEP_JSON, "application/json"),
    ("POST", "/api/send_message", {}, b'{"to": "Bob", "body": NaN}', "application/json"),
    ("POST", "/api/send_message", {}, b'{"to": "Bob", "body": "\xff"}', "application/json"),
    ("POST", "/api/send_message", {}, b'{"to": "Bob\\u0000", "body": "x"}', "application/json"),
    ("POST", "/api/send_message", {}, b'{"to": "\\ud800", "body": "x"}', "application/json"),
    ("POST", "/api/send_message", {}, b"to=Bob&body=x", "application/x-www-form-urlencoded"),
    ("POST", "/api/send_message", {}, b"--b\r\n", "multipart/form-data; boundary=b"),
    ("POST", "/api/send_message", {}, b"[]", "application/json"),
    ("POST", "/api/send_email", {}, DEEP_JSON, "application/json"),
    (
        "POST",
        "/api/send_email",
        {},
        b'{"to_email": "a@b.c", "subject": "s", "body": "b", "cc": "x@y.z,\\u0000"}',
        "application/json",
    ),
    ("POST", "/api/send_email", {}, b"x" * (1024 * 1024 + 1), "application/json"),
    ("GET", "/api/contacts", {"q": "a\x00b", "page_size": "-1"}, None, None),
    ("GET", "/api/email_threads", {"q": "a\x00b", "cursor": "W10"}, None, None),
    ("GET", "/api/search", {"q": "a\x00b"}, None, None),
    ("GET", "/api/search", {"q": '"unclosed -', "cursor": "W10"}, None, None),
    ("GET", "/api/search", {"q": "&|!():*", "sort": "relevance", "offset": "-1"}, None, None),
    ("GET", "/api/search", {"q": "x", "after": "\x00", "before": "9999-99-99"}, None, None),
    ("GET", "/api/export/messages.csv", {"from": "\x00", "channel": "fax"}, None, None),
    # An SMS conversation's id is no email thread's.
    ("GET", "/api/email_threads/{id}", {"images": "\x00"}, None, None),
    ("GET", "/api/email_threads/{id}", {}, None, None),
    ("POST", "/api/email_threads/{id}/read", {}, None, None),
    (
        "POST",
        "/api/send_email",
        {},
        b'{"in_reply_to": "00000000-0000-4000-8000-000000000000", "body": "x"}',
        "application/json",
    ),
    (
        "POST",
        "/api/send_email",
        {},
        b'{"to_email": "a@b.c\\r\\nBcc: d@e.f", "subject": "s", "body": "b"}',
        "application/json",
    ),
    ("GET", "/api/contacts/{id}/timeline", {"cursor": "W10"}, None, None),
    ("POST", "/api/contacts", {}, DEEP_JSON, "application/json"),
    ("POST", "/api/contacts", {}, b'{"name": "x", "phones": [{"a": 1}]}', "application/json"),
    ("POST", "/api/contacts", {}, b'{"name": "\\u0000", "emails": []}', "application/json"),
    ("PATCH", "/api/contacts/{id}", {}, b'{"time_zone": "../../etc/passwd"}', "application/json"),
    ("POST", "/api/contacts/{id}/merge", {}, b'{"other": "{id}"}', "application/json"),
    ("POST", "/api/contacts/import", {}, b"--b\r\n", "multipart/form-data; boundary=b"),
    ("POST", "/api/contacts/import", {}, CSV_NOT_UTF8, "multipart/form-data; boundary=b"),
    ("POST", "/api/contacts/import", {}, b"name,phone\n", "text/csv"),
]

pytestmark = [pytest.mark.asgi_server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def records(transactional_db):
    """A few records of every kind, so that reads and the retry find something."""
    user = UserFactory(username="fuzzer")
    received, _created = services.message_receive(
        event=InboundMessage(
            from_contact="+14155550123", to_contact="+15005550006", body="Is my table ready?"
        )
    )
    sent = services.message_send(to="+14155550123", body="Yes, come in", sender=None, user=user)
    Message.objects.filter(id=sent.id).update(status=MessageStatus.FAILED, error_code=30003)
    internal = services.message_send(to="Front desk", body="Lunch?", sender=None, user=user)
    email = email_services.email_send(
        to_email="ada@example.com",
        subject="Your order",
        body="It ships today.",
        from_email=None,
        html_content="",
        cc=["ops@example.com"],
        bcc=None,
        reply_to="",
        user=user,
    )
    # A received email with everything the thread view makes safe, and Hatch's answer.
    received_email, _created = email_services.email_receive(
        event=InboundEmail(
            from_address="ana@example.com",
            from_name="Ana Lima",
            to=("team@hatch.test",),
            subject="Re: Your order",
            text="Where is it?",
            html='<p onclick="x()">Where?</p><script>x()</script><img src="https://t.example/p">',
            message_id="fuzz-1@mail.example.com",
            in_reply_to=(email.message_id,),
        )
    )
    answer = email_services.email_send(in_reply_to=received_email.id, body="Tomorrow.", user=user)
    # Scheduled, for the cancel and the change to find (the last one fuzzed is canceled).
    tomorrow = timezone.now() + timedelta(days=1)
    scheduled = [
        services.message_send(to="+14155550123", body=f"Reminder {n}", send_at=tomorrow)
        for n in range(2)
    ]
    scheduled_emails = [
        email_services.email_send(
            to_email="ada@example.com", subject=f"Reminder {n}", body="At 9.", send_at=tomorrow
        )
        for n in range(2)
    ]
    contacts = [
        contact_for_point(kind="phone", value="+14155550123"),  # the SMS stranger's
        contact_create(name="Ada Lovelace", phones=["+14155550124"], notes="Ships by sea."),
        contact_create(
            name="Grace Hopper", emails=["grace@example.com"], time_zone="America/New_York"
        ),
    ]
    broadcasts = [
        broadcast_create(
            name=f"Holiday hours {n}",
            channel="sms",
            body='Hi {{contact.first_name|default:"there"}}, we open at 10.',
            recipients=recipients_resolve(channel="sms", addresses=["+14155550123"]),
            user=user,
        )
        for n in range(2)
    ]
    return {
        "token": Token.objects.create(user=user).key,
        "broadcast": [str(broadcast.id) for broadcast in broadcasts],
        "conversation": [str(received.conversation_id), str(internal.conversation_id)],
        "message": [str(record.id) for record in (received, sent, internal, *scheduled)],
        "email": [str(record.id) for record in (email, received_email, answer, *scheduled_emails)],
        "email_thread": [str(email.thread_id)],
        # Three, as DELETE /api/contacts/{id} may remove the first ones before others run.
        "contact": [str(contact.id) for contact in contacts],
    }


@pytest.fixture
def fuzz_server(records):
    """daphne on the test database, with the test process's settings module."""
    with live_server.for_test_database(settings_module=settings.SETTINGS_MODULE) as server:
        yield server


def refused_by_the_test_server(response: requests.Response) -> bool:
    """A bare 400 to a multipart POST: daphne's HTTP layer, not Hatch.

    Twisted (under daphne) parses every multipart POST body itself before handing the
    request on, and answers one it cannot parse (an empty form, say) with an empty 400:
    Hatch never sees it. Gunicorn, which serves the API in production, hands such a body
    to Hatch, whose JSON answer contacts/tests/test_import_export.py checks.
    """
    return (
        response.status_code == 400
        and not response.content
        and response.request.method == "POST"
        and "multipart/form-data" in response.request.headers.get("Content-Type", "")
    )


def kind_of(path: str) -> str:
    """Which records an operation's {id} names."""
    if path.startswith("/api/broadcasts"):
        return "broadcast"
    if path.startswith("/api/contacts"):
        return "contact"
    if path.startswith("/api/emails"):
        return "email"
    if path.startswith("/api/email_threads"):
        return "email_thread"
    if path.startswith("/api/messages"):
        return "message"
    return "conversation"


def test_every_operation_holds_to_the_schema_under_generated_input(fuzz_server, records, report):
    auth = {"Authorization": f"Token {records['token']}"}
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/schema/", headers=auth)
    session = requests.Session()
    session.headers.update(auth)
    statuses = Counter()
    failures = []
    refused_by_daphne = []
    operations = 0
    started = time.monotonic()

    def run(case, session=session) -> None:
        response = case.call(base_url=fuzz_server.url, session=session, timeout=10)
        statuses[response.status_code] += 1
        if refused_by_the_test_server(response):
            refused_by_daphne.append(case.operation.label)
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:  # Failure, FailureGroup
            failures.append(f"{case.operation.label}: {failure}\n  {case.as_curl_command()}")

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # An operation taking nothing (no path, query or body: GET /api/teammates) has no
        # wrong input to generate.
        takes_input = operation.path_parameters or operation.query or operation.body
        modes = [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * bool(takes_input)
        for mode in modes:

            @seed(SEED)
            @hypothesis_settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                # Generate and run; a failure is recorded, never shrunk.
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def fuzz(case):
                run(case)

            fuzz()

        if "{id}" in operation.path:
            for known_id in records[kind_of(operation.path)]:
                run(operation.Case(path_parameters={"id": known_id}))
        valid_bodies = (
            VALID_BODIES.get(operation.path, []) if operation.method.lower() == "post" else []
        )
        for number, body in enumerate(valid_bodies):
            run(operation.Case(body=body, media_type="application/json"))
            # Twice with one Idempotency-Key: the second answers the first answer again.
            key = {"Idempotency-Key": f"fuzz-{operation.path}-{number}"}
            run(operation.Case(body=body, media_type="application/json", headers=key))
            run(operation.Case(body=body, media_type="application/json", headers=key))
        # Without credentials: the documented 401, in the error shape.
        anonymous = operation.Case(
            path_parameters={"id": records[kind_of(operation.path)][0]}
            if "{id}" in operation.path
            else None
        )
        run(anonymous, session=requests.Session())

    for method, path, query, body, content_type in HOSTILE:
        known_id = records[kind_of(path)][-1]
        operation = schema[path][method]
        case = operation.Case(
            path_parameters={"id": known_id} if "{id}" in path else None, query=query
        )
        headers = {"Content-Type": content_type} if content_type else {}
        if body is not None:
            body = body.replace(b"{id}", known_id.encode())
        url = fuzz_server.url + path.replace("{id}", known_id)
        response = session.request(
            method, url, params=query, data=body, headers=headers, timeout=10
        )
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:
            failures.append(f"{method} {path} {query} {body!r:.60}: {failure}")

    requests_made = statuses.total()
    elapsed = time.monotonic() - started
    report("operations fuzzed", operations)
    report("requests made", requests_made)
    report("statuses", dict(sorted(statuses.items())))
    report("multipart bodies daphne refused", len(refused_by_daphne))
    report("seconds", round(elapsed, 1))

    assert failures == [], f"{len(failures)} responses broke the contract:\n" + "\n".join(
        failures[:20]
    )
    assert operations >= OPERATIONS_MIN
    assert requests_made >= operations * EXAMPLES
    assert not any(status >= 500 for status in statuses)
