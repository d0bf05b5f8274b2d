"""The OpenAPI contract at /api/schema/ and its Swagger UI at /api/docs/.

The schema is checked for what a client relies on (every operation, its authentication,
its error answers, the send endpoints' headers); whether responses really match it is
tests/test_api_fuzz.py's job. The docs page is opened in a real Chromium under
Hatch's Content-Security-Policy, with every file from Hatch itself.
"""

import re
from urllib.parse import urlsplit

import pytest
from drf_spectacular.generators import EndpointEnumerator
from playwright.sync_api import expect

from messaging.models import Message
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory
from testing import live_server
from testing.browser import browser_windows

OPENAPI_JSON = "application/vnd.oai.openapi+json"
# The client API, as the README documents it: (method, path).
OPERATIONS = {
    ("get", "/api/search"),
    ("get", "/api/reports/volume"),
    ("get", "/api/reports/delivery"),
    ("get", "/api/reports/errors"),
    ("get", "/api/reports/response_times"),
    ("get", "/api/reports/failure_reasons"),
    ("get", "/api/export/messages.csv"),
    ("get", "/api/export/jobs/{id}"),
    ("get", "/api/export/jobs/{id}/download"),
    ("post", "/api/send_message"),
    ("post", "/api/send_email"),
    ("get", "/api/conversations"),
    ("get", "/api/conversations/{id}"),
    ("post", "/api/conversations/{id}/read"),
    ("patch", "/api/conversations/{id}"),
    ("get", "/api/conversations/{id}/activity"),
    ("get", "/api/conversations/{id}/messages"),
    ("get", "/api/conversations/{id}/new_messages"),
    ("get", "/api/conversation/{id}/messages"),
    ("get", "/api/conversation/{id}/new_messages"),
    ("get", "/api/messages"),
    ("get", "/api/messages/{id}"),
    ("post", "/api/messages/{id}/retry"),
    ("post", "/api/messages/{id}/cancel"),
    ("patch", "/api/messages/{id}"),
    ("get", "/api/emails"),
    ("get", "/api/emails/{id}"),
    ("post", "/api/emails/{id}/cancel"),
    ("patch", "/api/emails/{id}"),
    ("get", "/api/broadcasts"),
    ("post", "/api/broadcasts"),
    ("post", "/api/broadcasts/preview"),
    ("get", "/api/broadcasts/{id}"),
    ("post", "/api/broadcasts/{id}/pause"),
    ("post", "/api/broadcasts/{id}/resume"),
    ("post", "/api/broadcasts/{id}/cancel"),
    ("get", "/api/email_threads"),
    ("get", "/api/email_threads/{id}"),
    ("post", "/api/email_threads/{id}/read"),
    ("patch", "/api/email_threads/{id}"),
    ("get", "/api/email_threads/{id}/activity"),
    ("get", "/api/contacts"),
    ("post", "/api/contacts"),
    ("get", "/api/contacts/{id}"),
    ("patch", "/api/contacts/{id}"),
    ("delete", "/api/contacts/{id}"),
    ("post", "/api/contacts/{id}/merge"),
    ("get", "/api/contacts/{id}/timeline"),
    ("post", "/api/contacts/import"),
    ("get", "/api/teammates"),
    ("patch", "/api/teammates/{id}"),
    ("post", "/api/teammates/invite"),
    ("get", "/api/labels"),
    ("post", "/api/labels"),
    ("patch", "/api/labels/{id}"),
    ("delete", "/api/labels/{id}"),
    ("get", "/api/conversations/{id}/notes"),
    ("post", "/api/conversations/{id}/notes"),
    ("get", "/api/email_threads/{id}/notes"),
    ("post", "/api/email_threads/{id}/notes"),
    ("get", "/api/saved_replies"),
    ("post", "/api/saved_replies"),
    ("patch", "/api/saved_replies/{id}"),
    ("delete", "/api/saved_replies/{id}"),
}
# Records whose id is a number (users, labels, saved replies); every other id is a UUID.
NUMBERED_PATHS = ("/api/teammates/", "/api/labels/", "/api/saved_replies/")
SEND_PATHS = ("/api/send_message", "/api/send_email")


@pytest.fixture
def openapi(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_the_schema_is_openapi_3_and_describes_exactly_the_client_api(openapi):
    assert openapi["openapi"].startswith("3.")
    assert {(method, path) for method, path, _ in operations(openapi)} == OPERATIONS


def test_every_drf_endpoint_in_the_urlconf_is_in_the_schema(openapi):
    # drf-spectacular's own walk of the URLconf (every DRF view), before Hatch's hook.
    documented = {path for path in openapi["paths"]}
    routed = {
        path.replace("{pk}", "{id}")  # as drf-spectacular names it in the schema
        for path, _regex, _method, _view in EndpointEnumerator().get_api_endpoints()
    }
    assert routed == documented


def test_provider_webhooks_are_not_part_of_the_client_contract(openapi):
    assert not [path for path in openapi["paths"] if not path.startswith("/api/")]


def test_every_operation_takes_a_token_or_a_session_and_documents_its_errors(openapi):
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert schemes["cookieAuth"]["in"] == "cookie"
    error = {"$ref": "#/components/schemas/Error"}
    for method, path, operation in operations(openapi):
        assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], path
        responses = operation["responses"]
        # Success is a 200, or a 201 for a create and a 204 for a delete.
        assert {"401", "403"} <= set(responses), (method, path)
        assert len({"200", "201", "204"} & set(responses)) == 1, (method, path)
        for code, response in responses.items():
            if code not in ("200", "201", "202", "204"):
                assert response["content"]["application/json"]["schema"] == error, (path, code)
                assert response["description"], (path, code)
        if "{id}" in path:
            assert "404" in responses, path
            (id_parameter,) = [p for p in operation["parameters"] if p["in"] == "path"]
            numbered = path.startswith(NUMBERED_PATHS)
            expected = {"type": "integer"} if numbered else {"type": "string", "format": "uuid"}
            assert id_parameter["schema"] == expected, path
        if method == "post":
            assert {"413", "415"} <= set(responses) or "requestBody" not in operation, path


def test_the_error_shape_is_the_one_the_exception_handler_writes(openapi, api_client):
    shape = openapi["components"]["schemas"]["Error"]
    assert shape["required"] == ["error"]
    assert set(shape["properties"]) == {"error", "fields"}

    answer = api_client.post("/api/send_message", {"to": "", "body": ""}, format="json")

    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "fields"}
    assert set(answer.json()["fields"]) == {"to", "body"}


def test_send_endpoints_document_idempotency_keys_and_throttling(openapi):
    for path in SEND_PATHS:
        operation = openapi["paths"][path]["post"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert {"400", "409" if path.endswith("message") else "400", "422", "429"} <= set(
            operation["responses"]
        )
        assert operation["responses"]["429"]["headers"]["Retry-After"]["schema"] == {
            "type": "integer"
        }
        # JSON (files in base64), or a multipart form as browsers post files.
        assert operation["requestBody"]["content"].keys() == {
            "application/json",
            "multipart/form-data",
        }


def test_message_bodies_and_ids_carry_their_limits(openapi):
    schemas = openapi["components"]["schemas"]
    send = schemas["SendMessageRequest"]
    assert send["required"] == ["to"]  # a message of media alone has no body
    assert send["properties"]["body"]["maxLength"] == 1600
    assert send["properties"]["media"]["items"] == {
        "$ref": "#/components/schemas/EncodedFileRequest"
    }
    assert schemas["EncodedFileRequest"]["required"] == ["content", "filename"]
    form = schemas["SendMessageFormRequest"]["properties"]["media"]
    assert form["items"] == {"type": "string", "format": "binary"}
    email_form = schemas["SendEmailFormRequest"]["properties"]["attachments"]
    assert email_form["items"] == {"type": "string", "format": "binary"}
    attachment = {"$ref": "#/components/schemas/Attachment"}
    assert schemas["Message"]["properties"]["attachments"]["items"] == attachment
    assert schemas["Email"]["properties"]["attachments"]["items"] == attachment
    message = schemas["Message"]["properties"]
    assert message["external_sid"]["nullable"] is True
    assert message["status"] == {"$ref": "#/components/schemas/MessageStatusEnum"}
    assert schemas["ConversationPage"]["properties"]["next"]["nullable"] is True


def test_the_schema_and_the_docs_need_a_signed_in_user(anonymous_client, db):
    schema = anonymous_client.get("/api/schema/", HTTP_ACCEPT=OPENAPI_JSON)
    assert schema.status_code == 401
    assert schema["WWW-Authenticate"] == "Token"
    assert "error" in schema.json()

    docs = anonymous_client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == "/accounts/login/?next=/api/docs/"


@pytest.fixture
def docs_server(transactional_db):
    """daphne on the test database; stopped before pytest-django empties the tables."""
    with live_server.for_test_database() as server:
        yield server


@pytest.mark.browser
@pytest.mark.asgi_server
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_shows_every_operation_from_hatch_alone_under_the_csp(chromium, docs_server):
    server = docs_server
    user = UserFactory(username="reader")
    with browser_windows(chromium, base_url=server.url, timeout_ms=10_000) as open_window:
        page = open_window({"width": 1280, "height": 900})
        elsewhere = []
        page.on(
            "request",
            lambda request: (
                urlsplit(request.url).netloc != urlsplit(server.url).netloc
                and not request.url.startswith("data:")
                and elsewhere.append(request.url)
            ),
        )
        page.goto("/api/docs/")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/api/docs/"))
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page).to_have_url(re.compile(r"/api/docs/$"))
        csp = page.evaluate(
            "() => fetch('/api/docs/').then(r => r.headers.get('content-security-policy'))"
        )
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        expect(page.locator(".opblock")).to_have_count(len(OPERATIONS))
        expect(page.locator(".information-container .title")).to_contain_text("Hatch API")
        # An operation opens and shows its documented answers, errors included...
        send = page.locator("#operations-send_message-send_message_create")
        send.locator(".opblock-summary").click()
        expect(send.locator(".responses-table").first).to_contain_text("429")
        # ...and "Try it out" sends with the page's session, the CSRF header included.
        send.get_by_role("button", name="Try it out").click()
        send.get_by_role("button", name="Execute").click()
        expect(send.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
            "200"
        )
        assert elsewhere == []
    # The documented example (messaging.api), an internal message, sent as the reader.
    assert Message.objects.get(sent_by=user).to_contact == "Front desk"
    # browser_windows fails the test on any CSP violation or script error it saw.
