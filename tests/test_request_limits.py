"""Request size limits: every body is held to DATA_UPLOAD_MAX_MEMORY_SIZE, except on the
routes that take files, each held to its own (web.request_limits.ROUTE_BODY_LIMITS: the
sends to UPLOAD_MAX_BODY_SIZE, SendGrid's Inbound Parse to SENDGRID_INBOUND_MAX_BODY_SIZE);
lists are bounded.

Over the limit, the API and the webhooks answer 413 with JSON that says the limit, pages a
page that says it; never Django's bare 400 page, never a 500, and nothing is written. The
same holds for a chunked body (no Content-Length), checked through daphne, which is how
production receives one.
"""

import http.client
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from emails.models import Email
from messaging.models import Message, MessageEvent
from messaging.tests.factories import UserFactory
from testing import live_server
from web.request_limits import RequestBodyLimitMiddleware

LIMIT = 4096
ROUTE_LIMIT = 4 * LIMIT
# Held to DATA_UPLOAD_MAX_MEMORY_SIZE: every route but the few that take files.
BODY_PATHS = [
    "/api/conversations/00000000-0000-0000-0000-000000000000/read",
    "/api/messages/00000000-0000-0000-0000-000000000000/retry",
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/sendgrid/events",
]


# The routes with a limit of their own, and the setting that holds it.
FILE_ROUTES = [
    ("/api/send_message", "UPLOAD_MAX_BODY_SIZE"),
    ("/api/send_email", "UPLOAD_MAX_BODY_SIZE"),
    ("/webhooks/sendgrid/inbound", "SENDGRID_INBOUND_MAX_BODY_SIZE"),
]


def too_large_message(limit: int, setting: str = "DATA_UPLOAD_MAX_MEMORY_SIZE") -> str:
    return f"The request body is too large: at most {limit} bytes ({setting})."


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.UPLOAD_MAX_BODY_SIZE = ROUTE_LIMIT
    settings.SENDGRID_INBOUND_MAX_BODY_SIZE = ROUTE_LIMIT


def padded_sms(size: int) -> str:
    """A valid send_message body of exactly ``size`` bytes (an extra field, ignored)."""
    empty = json.dumps({"to": "Front desk", "body": "Files ahead", "padding": ""})
    return json.dumps(
        {"to": "Front desk", "body": "Files ahead", "padding": "x" * (size - len(empty))}
    )


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
@pytest.mark.parametrize(("path", "setting"), FILE_ROUTES)
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_a_body_over_a_file_routes_own_limit_is_a_json_413_that_says_that_limit(
    small_limit, api_client, anonymous_client, path, setting, signed_in
):
    client = api_client if signed_in else anonymous_client

    response = client.generic(
        "POST", path, padded_sms(ROUTE_LIMIT + 1), content_type="application/json"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": too_large_message(ROUTE_LIMIT, setting)}
    assert rows() == (0, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("size", [LIMIT + 1, ROUTE_LIMIT], ids=["over-global", "at-route-limit"])
def test_a_send_over_the_global_limit_and_within_its_own_is_read(small_limit, api_client, size):
    body = padded_sms(size)
    assert len(body) == size

    response = api_client.generic(
        "POST", "/api/send_message", body, content_type="application/json"
    )

    assert response.status_code == 200
    assert Message.objects.get().body == "Files ahead"


@pytest.mark.django_db
def test_an_email_send_over_the_global_limit_and_within_its_own_is_read(small_limit, api_client):
    body = json.dumps(
        {"to_email": "ada@example.com", "subject": "Files", "body": "x" * (LIMIT + 100)}
    )
    assert LIMIT < len(body) <= ROUTE_LIMIT

    response = api_client.generic("POST", "/api/send_email", body, content_type="application/json")

    assert response.status_code == 200
    assert Email.objects.get().subject == "Files"


def test_a_file_route_keeps_its_body_for_request_body_and_the_form(small_limit):
    """Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check on request.body does not fire on a
    route with its own limit: the middleware read the body within that limit already."""
    seen = {}

    def view(request):
        seen["body"] = request.body
        seen["text"] = request.POST["text"]
        seen["file"] = request.FILES["attachment1"].read()
        return HttpResponse("ok")

    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * LIMIT)
    request = RequestFactory().post(
        "/webhooks/sendgrid/inbound",
        {
            "text": "See attached",
            "attachment1": SimpleUploadedFile("photo.png", photo, content_type="image/png"),
        },
    )
    assert LIMIT < int(request.META["CONTENT_LENGTH"]) <= ROUTE_LIMIT

    response = RequestBodyLimitMiddleware(view)(request)

    assert response.status_code == 200
    assert len(seen["body"]) == int(request.META["CONTENT_LENGTH"])
    assert (seen["text"], seen["file"]) == ("See attached", photo)


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
    env = {"DATA_UPLOAD_MAX_MEMORY_SIZE": str(LIMIT), "UPLOAD_MAX_BODY_SIZE": str(ROUTE_LIMIT)}
    with live_server.for_test_database(env=env) as server:
        within = json.dumps({"to": "Front desk", "body": "Chunked hello"}).encode()
        status, answer = post_chunked(server, "/api/send_message", [within[:10], within[10:]], auth)
        assert (status, answer["success"]) == (200, True)
        # Over the global limit, within the send's own.
        within = padded_sms(ROUTE_LIMIT).encode()
        status, answer = post_chunked(server, "/api/send_message", [within[:10], within[10:]], auth)
        assert (status, answer["success"]) == (200, True)

        over = [b'{"to": "Front desk", "body": "', b"x" * LIMIT, b'"}']
        for path, headers in [
            ("/webhooks/twilio/sms", {"X-Twilio-Signature": "x"}),
            ("/webhooks/sendgrid/events", {}),
        ]:
            assert post_chunked(server, path, over, headers) == (
                413,
                {"error": too_large_message(LIMIT)},
            ), path
        over = [b'{"to": "Front desk", "body": "', b"x" * ROUTE_LIMIT, b'"}']
        for headers in [auth, {}]:
            assert post_chunked(server, "/api/send_message", over, headers) == (
                413,
                {"error": too_large_message(ROUTE_LIMIT, "UPLOAD_MAX_BODY_SIZE")},
            )

    assert Message.objects.count() == 2
