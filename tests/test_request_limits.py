"""Request size limits: every body is held to DATA_UPLOAD_MAX_MEMORY_SIZE, lists are bounded.

Over the limit, the API and the webhooks answer 413 with JSON that says the limit, pages a
page that says it; never Django's bare 400 page, never a 500, and nothing is written. The
same holds for a chunked body (no Content-Length), checked through daphne, which is how
production receives one.
"""

import http.client
import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from emails.models import Email
from messaging.models import Message, MessageEvent
from messaging.tests.factories import UserFactory
from testing import live_server

LIMIT = 4096
BODY_PATHS = [
    "/api/send_message",
    "/api/send_email",
    "/api/conversations/00000000-0000-0000-0000-000000000000/read",
    "/api/messages/00000000-0000-0000-0000-000000000000/retry",
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/sendgrid/events",
]


def too_large_message(limit: int) -> str:
    return f"The request body is too large: at most {limit} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def rows() -> tuple[int, int, int]:
    return Message.objects.count(), Email.objects.count(), MessageEvent.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize("path", BODY_PATHS)
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_a_body_over_the_limit_is_a_json_413_that_says_the_limit(
    small_limit, api_client, anonymous_client, path, signed_in
):
    client = api_client if signed_in else anonymous_client
    body = json.dumps({"to": "+14155552671", "body": "x" * LIMIT})

    response = client.generic("POST", path, body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": too_large_message(LIMIT)}
    assert rows() == (0, 0, 0)


@pytest.mark.django_db
def test_a_body_at_the_limit_is_read(small_limit, api_client):
    envelope = len(json.dumps({"to": "Front desk", "body": ""}))
    body = json.dumps({"to": "Front desk", "body": "x" * 1600})
    assert len(body) <= LIMIT and envelope < LIMIT

    response = api_client.generic(
        "POST", "/api/send_message", body, content_type="application/json"
    )

    assert response.status_code == 200
    assert Message.objects.get().body == "x" * 1600


@pytest.mark.django_db
def test_a_page_answers_a_too_large_form_with_a_413_page_that_says_the_limit(small_limit):
    response = Client().post(
        "/accounts/login/",
        "username=casey&password=" + "x" * LIMIT,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert too_large_message(LIMIT) in response.content.decode()


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_a_400_page_not_a_500(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    form = "&".join(f"field{n}=x" for n in range(21))

    response = Client(raise_request_exception=False).post(
        "/accounts/login/", form, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert "too many fields" in response.content.decode()


@pytest.mark.django_db
def test_recipient_lists_are_bounded_with_a_clear_error(api_client):
    response = api_client.post(
        "/api/send_email",
        {
            "to_email": "ada@example.com",
            "subject": "Hi",
            "body": "Hello",
            "cc": [f"person{n}@example.com" for n in range(51)],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"cc": ["Ensure this field has no more than 50 elements."]}
    assert not Email.objects.exists()


@pytest.mark.django_db
def test_json_nested_deeper_than_python_parses_is_a_400(api_client):
    body = "[" * 100_000 + "]" * 100_000

    response = api_client.generic(
        "POST", "/api/send_message", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"error": "JSON parse error - nested too deeply."}


def post_chunked(server, path: str, chunks: list[bytes], headers: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(
            "POST",
            path,
            body=iter(chunks),
            headers={"Content-Type": "application/json", **headers},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.mark.asgi_server
@pytest.mark.django_db(transaction=True)
def test_chunked_bodies_through_daphne_are_read_within_the_limit_and_refused_over_it():
    token = Token.objects.create(user=UserFactory()).key
    auth = {"Authorization": f"Token {token}"}
    with live_server.for_test_database(env={"DATA_UPLOAD_MAX_MEMORY_SIZE": str(LIMIT)}) as server:
        within = json.dumps({"to": "Front desk", "body": "Chunked hello"}).encode()
        status, answer = post_chunked(server, "/api/send_message", [within[:10], within[10:]], auth)
        assert (status, answer["success"]) == (200, True)

        over = [b'{"to": "Front desk", "body": "', b"x" * LIMIT, b'"}']
        for path, headers in [
            ("/api/send_message", auth),
            ("/api/send_message", {}),
            ("/webhooks/twilio/sms", {"X-Twilio-Signature": "x"}),
            ("/webhooks/sendgrid/events", {}),
        ]:
            assert post_chunked(server, path, over, headers) == (
                413,
                {"error": too_large_message(LIMIT)},
            ), path

    assert Message.objects.count() == 1
