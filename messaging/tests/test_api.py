import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max
from django.test import Client
from django.utils import timezone

from core.contacts import conversation_id_for
from messaging import services
from messaging.models import Conversation, Message, MessageStatus
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SEED_CONVERSATION_KEYS = {
    "conversation_id",
    "participants",
    "reply_to",
    "has_phone_numbers",
    "last_message_date",
    "message_count",
}
SEED_MESSAGE_KEYS = {
    "id",
    "to_contact",
    "from_contact",
    "body",
    "timestamp",
    "status",
    "direction",
    "type",
    "external_sid",
    "error_code",
    "error_message",
    "is_delivered",
}


def send(client, **payload):
    return client.post("/api/send_message", payload, format="json")


def make_thread(*, to="+14155552671", count=3, start=None):
    """Messages to one contact, one minute apart, oldest first."""
    start = start or timezone.now() - timedelta(hours=1)
    messages = []
    for index in range(count):
        message = services.message_send(to=to, body=f"message {index}")
        Message.objects.filter(id=message.id).update(created_at=start + timedelta(minutes=index))
        messages.append(message)
    return messages


class TestSendMessage:
    def test_a_phone_number_in_any_common_format_is_queued_as_an_sms(self, api_client):
        response = send(api_client, to="(415) 555-2671", body="Your table is ready")

        assert response.status_code == 200
        data = response.json()
        assert data["success"] is True
        assert data["method"] == "twilio"
        assert data["status"] == "queued"
        message = Message.objects.get(id=data["message_id"])
        assert message.to_contact == "+14155552671"
        assert message.from_contact == "+15005550006"
        assert message.status == MessageStatus.QUEUED
        assert message.channel == "sms"
        assert message.direction == "outbound-api"
        assert data["conversation_id"] == str(conversation_id_for("+14155552671", "+15005550006"))

    def test_a_name_is_stored_as_a_delivered_internal_message_from_the_user(self, api_client):
        response = send(api_client, to="  Alice ", body="Lunch?")

        assert response.status_code == 200
        data = response.json()
        assert (data["method"], data["status"]) == ("database", "delivered")
        message = Message.objects.get(id=data["message_id"])
        assert (message.to_contact, message.from_contact) == ("Alice", "Casey Jones")
        assert message.delivered_at is not None
        assert message.sent_by.username == "casey"

    def test_the_conversation_summary_follows_every_message(self, api_client):
        send(api_client, to="+14155552671", body="first")
        send(api_client, to="415 555 2671", body="second   line\nwrapped")

        conversation = Conversation.objects.get()
        assert conversation.message_count == 2
        assert conversation.last_message_preview == "second line wrapped"
        assert conversation.reply_to == "+14155552671"
        assert conversation.own_contact == "+15005550006"
        assert conversation.channel == "sms"
        assert conversation.last_message_at == Message.objects.aggregate(m=Max("created_at"))["m"]

    def test_a_configured_extra_sender_may_be_chosen(self, api_client):
        response = send(api_client, to="+14155552671", body="hi", **{"from": "(415) 555-0100"})

        assert response.status_code == 200
        assert Message.objects.get().from_contact == "+14155550100"

    def test_an_sms_from_a_number_hatch_does_not_own_is_refused(self, api_client):
        response = send(api_client, to="+14155552671", body="hi", **{"from": "+12025550123"})

        assert response.status_code == 400
        assert "must be one of Hatch's sending numbers" in response.json()["error"]
        assert "from" in response.json()["fields"]
        assert not Message.objects.exists()
        assert not Conversation.objects.exists()

    def test_an_internal_message_cannot_pretend_to_come_from_a_phone(self, api_client):
        response = send(api_client, to="Alice", body="hi", **{"from": "+14155550100"})

        assert response.status_code == 400
        assert response.json()["fields"]["from"] == [
            "'from' of an internal message must be a name."
        ]

    def test_an_email_address_is_pointed_to_the_email_endpoint(self, api_client):
        response = send(api_client, to="alice@example.com", body="hi")

        assert response.status_code == 400
        assert "/api/send_email" in response.json()["error"]

    def test_an_invalid_phone_number_says_how_to_write_one(self, api_client):
        response = send(api_client, to="12345", body="hi")

        assert response.status_code == 400
        assert response.json() == {
            "error": "'to' is not a valid phone number: '12345'. "
            "Use international format, e.g. +14155552671.",
            "fields": {
                "to": [
                    "'to' is not a valid phone number: '12345'. "
                    "Use international format, e.g. +14155552671."
                ]
            },
        }

    def test_a_body_of_exactly_1600_characters_is_accepted(self, api_client):
        assert send(api_client, to="+14155552671", body="a" * 1600).status_code == 200
        assert Message.objects.get().num_segments == 11

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"body": "hi"}, "to"),
            ({"to": "+14155552671"}, "body"),
            ({"to": "+14155552671", "body": ""}, "body"),
            ({"to": "+14155552671", "body": "   "}, "body"),
            ({"to": "+14155552671", "body": "a" * 1601}, "body"),
            ({"to": "+14155552671", "body": ["a list"]}, "body"),
            ({"to": {"a": "dict"}, "body": "hi"}, "to"),
            ({"to": True, "body": "hi"}, "to"),
            ({"to": None, "body": "hi"}, "to"),
            ({"to": "+14155552671", "body": "nul\x00byte"}, "body"),
            ({"to": "Al\x1fice", "body": "hi"}, "to"),
            ({"to": "x" * 300, "body": "hi"}, "to"),
            ({"to": "+14155552671", "body": "hi", "from": ["x"]}, "from"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
        self, api_client, payload, field
    ):
        response = api_client.post("/api/send_message", payload, format="json")

        assert response.status_code == 400
        body = response.json()
        assert body["error"]
        assert field in body["fields"], body
        assert not Message.objects.exists()

    def test_malformed_json_is_a_400(self, api_client):
        response = api_client.post(
            "/api/send_message", '{"to": "+14155552671", "body": ', content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["error"].startswith("JSON parse error")

    def test_a_json_array_is_a_400(self, api_client):
        response = api_client.post("/api/send_message", "[1, 2]", content_type="application/json")

        assert response.status_code == 400
        assert "Expected a dictionary" in response.json()["error"]

    def test_a_urlencoded_form_post_is_an_unsupported_media_type(self, api_client):
        # JSON or a multipart form (files, as browsers send them); a urlencoded form
        # cannot carry a file and is not taken.
        response = api_client.post(
            "/api/send_message",
            "to=%2B14155552671&body=hi",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 415
        assert "Unsupported media type" in response.json()["error"]

    def test_an_oversized_body_is_a_413(self, api_client, settings):
        # The send takes files, so its limit is the upload one, not DATA_UPLOAD_MAX_MEMORY_SIZE.
        settings.UPLOAD_MAX_BODY_SIZE = 64 * 1024
        huge = json.dumps({"to": "+14155552671", "body": "a" * (64 * 1024)})
        response = api_client.post("/api/send_message", huge, content_type="application/json")

        assert response.status_code == 413
        assert response.json() == {
            "error": "The request body is too large: at most "
            f"{settings.UPLOAD_MAX_BODY_SIZE} bytes (UPLOAD_MAX_BODY_SIZE)."
        }
        assert not Message.objects.exists()

    def test_get_is_not_allowed(self, api_client):
        response = api_client.get("/api/send_message")

        assert response.status_code == 405
        assert response.json() == {"error": 'Method "GET" not allowed.'}


class TestConversationList:
    def test_newest_activity_comes_first_with_the_seed_keys(self, api_client):
        make_thread(to="+14155552671", count=2, start=timezone.now() - timedelta(days=2))
        make_thread(to="+14155552672", count=1, start=timezone.now() - timedelta(days=1))

        response = api_client.get("/api/conversations")

        assert response.status_code == 200
        conversations = response.json()["conversations"]
        assert [c["reply_to"] for c in conversations] == ["+14155552672", "+14155552671"]
        assert conversations[0].keys() >= SEED_CONVERSATION_KEYS
        first = conversations[1]
        assert first["participants"] == "+14155552671->+15005550006"
        assert first["message_count"] == 2
        assert first["has_phone_numbers"] is True
        assert first["last_message_date"].endswith("+00:00")
        assert response.json()["next"] is None

    def test_cursor_pages_cover_every_conversation_once(self, api_client):
        for index in range(7):
            services.message_send(to=f"Contact {index}", body="hi", user=UserFactory())
        seen = []
        url = "/api/conversations?page_size=3"
        while url:
            page = api_client.get(url).json()
            assert len(page["conversations"]) <= 3
            seen += [c["conversation_id"] for c in page["conversations"]]
            url = page["next"]

        assert len(seen) == len(set(seen)) == 7

    def test_conversations_with_the_same_time_are_not_lost_between_pages(self, api_client):
        for index in range(5):
            services.message_send(to=f"Contact {index}", body="hi", user=UserFactory())
        Conversation.objects.update(last_message_at=timezone.now())

        first = api_client.get("/api/conversations?page_size=2").json()
        second = api_client.get(first["next"]).json()
        third = api_client.get(second["next"]).json()

        ids = [
            c["conversation_id"] for page in (first, second, third) for c in page["conversations"]
        ]
        assert sorted(ids) == sorted(str(c.id) for c in Conversation.objects.all())
        assert third["next"] is None

    def test_the_list_reads_only_the_conversation_table(
        self, api_client, django_assert_num_queries
    ):
        for index in range(20):
            services.message_send(to=f"+1415555{index:04d}", body="hi")

        # One query for the token, one for the page with its labels; never one per
        # conversation or message.
        with django_assert_num_queries(2) as captured:
            response = api_client.get("/api/conversations?page_size=1000")

        assert len(response.json()["conversations"]) == 20
        assert not any("messaging_message" in query["sql"] for query in captured.captured_queries)

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("2671", ["+14155552671"]),
            ("(415) 555-2671", ["+14155552671"]),
            ("alice", ["Alice"]),
            ("invoice", ["+14155552671"]),
            ("nothing matches this", []),
        ],
    )
    def test_q_filters_by_contact_or_message_text(self, api_client, query, expected):
        services.message_send(to="+14155552671", body="Your INVOICE is attached")
        services.message_send(to="+14155552671", body="Thanks")
        services.message_send(to="Alice", body="Lunch?", user=UserFactory(username="bob"))

        response = api_client.get("/api/conversations", {"q": query})

        assert [c["reply_to"] for c in response.json()["conversations"]] == expected

    @pytest.mark.parametrize("size", ["0", "1001", "ten", "-1"])
    def test_a_page_size_outside_1_to_1000_is_a_400(self, api_client, size):
        response = api_client.get(f"/api/conversations?page_size={size}")

        assert response.status_code == 400
        assert response.json()["fields"] == {
            "page_size": ["'page_size' must be a whole number from 1 to 1000."]
        }

    @pytest.mark.parametrize("cursor", ["garbage", "e30", "WyJ4IiwgInkiXQ"])
    def test_a_forged_cursor_is_a_400(self, api_client, cursor):
        response = api_client.get(f"/api/conversations?cursor={cursor}")

        assert response.status_code == 400
        assert "cursor" in response.json()["fields"]

    def test_a_single_conversation_can_be_read(self, api_client):
        message = services.message_send(to="+14155552671", body="hi")

        response = api_client.get(f"/api/conversations/{message.conversation_id}")

        assert response.status_code == 200
        assert response.json()["conversation_id"] == str(message.conversation_id)


class TestConversationMessages:
    def test_the_newest_page_comes_oldest_first_with_a_link_to_older_ones(self, api_client):
        thread = make_thread(count=5)
        conversation_id = thread[0].conversation_id

        page = api_client.get(f"/api/conversation/{conversation_id}/messages?page_size=3").json()

        assert [m["body"] for m in page["messages"]] == ["message 2", "message 3", "message 4"]
        assert page["messages"][0].keys() >= SEED_MESSAGE_KEYS
        older = api_client.get(page["next"]).json()
        assert [m["body"] for m in older["messages"]] == ["message 0", "message 1"]
        assert older["next"] is None

    def test_message_fields_keep_the_seed_meaning(self, api_client):
        message = services.message_send(to="Alice", body="hi", user=UserFactory())

        item = api_client.get(f"/api/conversation/{message.conversation_id}/messages").json()[
            "messages"
        ][0]

        assert item["id"] == str(message.id)
        assert item["type"] == "internal"
        assert item["direction"] == "outbound-api"
        assert item["is_delivered"] is True
        assert item["external_sid"] is None

    def test_reading_a_thread_costs_a_fixed_number_of_queries(
        self, api_client, django_assert_num_queries
    ):
        conversation_id = make_thread(count=30)[0].conversation_id

        with django_assert_num_queries(2):  # token, page: no conversation read
            api_client.get(f"/api/conversation/{conversation_id}/messages")

    @pytest.mark.parametrize(
        "conversation_id",
        ["7b1f0f1e-0000-0000-0000-000000000000", "not-a-uuid", "1234", "%27%3B--"],
    )
    def test_an_unknown_or_malformed_id_is_a_404(self, api_client, conversation_id):
        response = api_client.get(f"/api/conversation/{conversation_id}/messages")

        assert response.status_code == 404
        assert response.json() == {"error": "No conversation with this id."}


class TestNewMessages:
    def test_only_messages_after_since_are_returned_oldest_first(self, api_client):
        thread = make_thread(count=4)
        since = Message.objects.get(id=thread[1].id).created_at

        response = api_client.get(
            f"/api/conversation/{thread[0].conversation_id}/new_messages",
            {"since": since.isoformat()},
        )

        assert response.status_code == 200
        assert [m["body"] for m in response.json()["messages"]] == ["message 2", "message 3"]

    def test_an_unencoded_plus_in_the_offset_is_understood(self, api_client):
        thread = make_thread(count=2)
        since = Message.objects.get(id=thread[0].id).created_at.isoformat()

        response = api_client.get(
            f"/api/conversation/{thread[0].conversation_id}/new_messages?since={since}"
        )

        assert [m["body"] for m in response.json()["messages"]] == ["message 1"]

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("", "'since' is required"),
            ("?since=yesterday", "not an ISO 8601 time"),
            ("?since=2026-13-45T99:00:00%2B00:00", "not an ISO 8601 time"),
            ("?since=2026-01-31T09:30:00", "not an ISO 8601 time with an offset"),
        ],
    )
    def test_a_missing_or_unparsable_since_is_a_400(self, api_client, query, message):
        conversation_id = make_thread(count=1)[0].conversation_id

        response = api_client.get(f"/api/conversation/{conversation_id}/new_messages{query}")

        assert response.status_code == 400
        assert message in response.json()["error"]


class TestMessageResources:
    def test_messages_can_be_listed_and_read_one_by_one(self, api_client):
        first, second = make_thread(count=2)

        listed = api_client.get("/api/messages").json()
        single = api_client.get(f"/api/messages/{first.id}")

        assert [m["id"] for m in listed["messages"]] == [str(second.id), str(first.id)]
        assert single.status_code == 200
        assert single.json()["body"] == "message 0"

    def test_an_unknown_message_is_a_404(self, api_client):
        response = api_client.get("/api/messages/not-a-uuid")

        assert response.status_code == 404
        assert response.json() == {"error": "No message with this id."}


class TestAuthentication:
    PROTECTED = [
        ("get", "/api/conversations"),
        ("get", "/api/conversations/e04e55e0-5ca7-489b-95e0-ce73535e0785"),
        ("get", "/api/conversation/e04e55e0-5ca7-489b-95e0-ce73535e0785/messages"),
        ("get", "/api/conversation/e04e55e0-5ca7-489b-95e0-ce73535e0785/new_messages"),
        ("get", "/api/messages"),
        ("get", "/api/emails"),
        ("post", "/api/send_message"),
        ("post", "/api/send_email"),
    ]

    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    def test_anonymous_calls_get_a_401_with_a_json_error(self, anonymous_client, method, path):
        response = getattr(anonymous_client, method)(path, {}, format="json")

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"error": "Authentication credentials were not provided."}

    def test_a_wrong_token_is_a_401(self, anonymous_client):
        anonymous_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

        response = anonymous_client.get("/api/conversations")

        assert response.status_code == 401
        assert response.json() == {"error": "Invalid token."}

    def test_a_signed_in_browser_session_can_read_and_must_send_a_csrf_token(self, user):
        browser = Client(enforce_csrf_checks=True)
        assert browser.login(username=user.username, password=DEFAULT_PASSWORD)

        assert browser.get("/api/conversations").status_code == 200
        refused = browser.post(
            "/api/send_message", {"to": "Alice", "body": "hi"}, content_type="application/json"
        )
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["error"]
        assert not Message.objects.exists()

        browser.get("/")  # the inbox page sets the csrftoken cookie
        token = browser.cookies["csrftoken"].value
        accepted = browser.post(
            "/api/send_message",
            {"to": "Alice", "body": "hi"},
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert accepted.status_code == 200

    def test_the_browsable_api_renders_for_a_signed_in_user(self, user):
        browser = Client()
        browser.force_login(user)
        services.message_send(to="+14155552671", body="<b>not bold</b>")

        for path in [
            "/api/",
            "/api/conversations",
            "/api/messages",
            "/api/emails",
            "/api/send_message",
        ]:
            response = browser.get(path, headers={"Accept": "text/html"})
            assert response.status_code in (200, 405), path
            assert b"<b>not bold</b>" not in response.content


class TestSeedClientCompatibility:
    """The Flask app's own pytests get the documented answers with the changes the README's
    "Clients of the Flask app" lists: the token header, and senders Hatch allows."""

    def test_the_seed_test_suite_flows(self, api_client):
        email = api_client.post(
            "/api/send_email",
            {
                "from_email": "team@hatch.test",
                "to_email": "rubenstein.ian@gmail.com",
                "subject": "Test Email from pytests",
                "body": "This is a test email sent from the Flask application.",
            },
            format="json",
        )
        sms = api_client.post(
            "/api/send_message",
            {"from": "+15005550006", "to": "+18777804236", "body": "test message from pytests"},
            format="json",
        )
        conversations = api_client.get("/api/conversations")

        assert email.status_code == 200 and email.json()["success"] is True
        assert sms.status_code == 200 and sms.json()["method"] == "twilio"
        assert conversations.status_code == 200
        assert conversations.json()["conversations"][0]["reply_to"] == "+18777804236"


class TestHealth:
    def test_health_answers_ok_without_authentication(self, anonymous_client):
        response = anonymous_client.get("/health")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_health_is_503_when_the_database_does_not_answer(self, anonymous_client, monkeypatch):
        from django.db import OperationalError

        def refuse(*args, **kwargs):
            raise OperationalError("connection refused")

        monkeypatch.setattr(connection, "cursor", refuse)

        response = anonymous_client.get("/health")

        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


def test_unknown_api_paths_answer_json_404(api_client):
    response = api_client.get("/api/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path", ["/api/messages/not.a.uuid", "/api/conversations/1.2/", "/webhooks/nothing-here"]
)
def test_a_malformed_id_answers_the_json_404_in_every_mode(api_client, settings, debug, path):
    # With DEBUG, Django answers an unmatched URL with its technical HTML page by itself.
    settings.DEBUG = debug

    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Not found."}


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_contact_keep_an_exact_count():
    """Eight senders racing on a new conversation: one row, and the count matches the messages."""
    barrier = threading.Barrier(8)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(5):
                services.message_send(to="+14155552671", body="race")
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    conversation = Conversation.objects.annotate(real=Count("messages")).get()
    assert conversation.message_count == conversation.real == 40
