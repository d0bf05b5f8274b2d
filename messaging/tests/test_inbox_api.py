"""What the live inbox asks of the API: unread counts, marking read, filters, retrying."""

from datetime import UTC, datetime

import pytest

from consent.models import Suppression
from conversations.models import ReadMark
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Message, MessageStatus

pytestmark = pytest.mark.django_db

CUSTOMER, HATCH_NUMBER = "+14155552671", "+15005550006"
SEND_MESSAGE_TASK = "messaging.tasks.send_message"


def receive(body="Hello?", *, sender=CUSTOMER) -> Message:
    message, _ = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=HATCH_NUMBER, body=body)
    )
    return message


def set_status(message: Message, status: str, error_code: int | None = None) -> None:
    """Where the pipeline would have brought it; the tests here start from that state."""
    Message.objects.filter(id=message.id).update(status=status, error_code=error_code)


def listed(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [conversation["reply_to"] for conversation in response.json()["conversations"]]


# unread_count


def test_each_inbound_message_counts_as_unread_and_outbound_ones_do_not(api_client):
    conversation_id = receive("Hello?").conversation_id
    receive("Anyone there?")
    services.message_send(to=CUSTOMER, body="Yes, how can we help?")

    (listed_conversation,) = api_client.get("/api/conversations").json()["conversations"]
    single = api_client.get(f"/api/conversations/{conversation_id}").json()

    assert listed_conversation["unread_count"] == single["unread_count"] == 2
    assert listed_conversation["message_count"] == 3


def test_internal_messages_are_never_unread(api_client, user):
    services.message_send(to="Alice", body="Lunch?", user=user)

    (conversation,) = api_client.get("/api/conversations").json()["conversations"]

    assert conversation["unread_count"] == 0


# POST /api/conversations/<id>/read


def test_reading_a_conversation_sets_its_unread_count_to_zero(api_client):
    conversation_id = receive("Hello?").conversation_id
    receive("Anyone there?")

    response = api_client.post(f"/api/conversations/{conversation_id}/read")

    assert response.status_code == 200
    assert response.json()["conversation_id"] == str(conversation_id)
    assert response.json()["unread_count"] == 0
    assert api_client.get(f"/api/conversations/{conversation_id}").json()["unread_count"] == 0
    # The next message is unread again, counted from zero.
    receive("Still there?")
    assert api_client.get(f"/api/conversations/{conversation_id}").json()["unread_count"] == 1


def test_reading_a_conversation_with_nothing_unread_changes_nothing(api_client):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")

    response = api_client.post(f"/api/conversations/{message.conversation_id}/read")

    assert response.status_code == 200
    assert response.json()["unread_count"] == 0
    assert response.json()["message_count"] == 1


@pytest.mark.parametrize("conversation_id", ["6f1c2d4e-0000-4000-8000-000000000000", "nope"])
def test_reading_an_unknown_conversation_is_a_404(api_client, conversation_id):
    response = api_client.post(f"/api/conversations/{conversation_id}/read")

    assert response.status_code == 404
    assert response.json() == {"error": "No conversation with this id."}


def test_reading_needs_a_signed_in_user(anonymous_client):
    conversation_id = receive().conversation_id

    response = anonymous_client.post(f"/api/conversations/{conversation_id}/read")

    assert response.status_code == 401
    assert "error" in response.json()
    assert not ReadMark.objects.exists()
    assert Message.objects.get().conversation.inbound_count == 1


def test_reading_is_a_post(api_client):
    conversation_id = receive().conversation_id

    response = api_client.get(f"/api/conversations/{conversation_id}/read")

    assert response.status_code == 405
    assert response.json() == {"error": 'Method "GET" not allowed.'}


# ?channel= and ?status=


@pytest.fixture
def inbox(user):
    """Four conversations, newest last: each SMS outcome, and an internal one."""
    failed = services.message_send(to="+14155550001", body="Your invoice is attached")
    set_status(failed, MessageStatus.FAILED, 21211)
    undelivered = services.message_send(to="+14155550002", body="Your invoice, again")
    set_status(undelivered, MessageStatus.UNDELIVERED, 30003)
    delivered = services.message_send(to="+14155550003", body="Your invoice is paid")
    set_status(delivered, MessageStatus.DELIVERED)
    services.message_send(to="Alice", body="Lunch? The invoice can wait", user=user)


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("sms", ["+14155550003", "+14155550002", "+14155550001"]),
        ("internal", ["Alice"]),
        ("", ["Alice", "+14155550003", "+14155550002", "+14155550001"]),
    ],
)
def test_the_channel_filter_keeps_conversations_of_that_channel(
    api_client, inbox, channel, expected
):
    assert listed(api_client.get("/api/conversations", {"channel": channel})) == expected


@pytest.mark.parametrize("channel", ["email", "SMS", "all"])
def test_an_unknown_channel_is_a_400_naming_the_field(api_client, channel):
    response = api_client.get("/api/conversations", {"channel": channel})

    assert response.status_code == 400
    assert response.json() == {
        "error": "'channel' must be 'sms' or 'internal'.",
        "fields": {"channel": ["'channel' must be 'sms' or 'internal'."]},
    }


def test_the_failed_filter_keeps_conversations_with_a_message_that_did_not_arrive(
    api_client, inbox
):
    response = api_client.get("/api/conversations", {"status": "failed"})

    assert listed(response) == ["+14155550002", "+14155550001"]


def test_a_conversation_stays_failed_while_any_message_in_it_failed(api_client):
    failed = services.message_send(to=CUSTOMER, body="First try")
    set_status(failed, MessageStatus.FAILED, 30008)
    delivered = services.message_send(to=CUSTOMER, body="Second try")
    set_status(delivered, MessageStatus.DELIVERED)

    assert listed(api_client.get("/api/conversations", {"status": "failed"})) == [CUSTOMER]


@pytest.mark.parametrize("status", ["queued", "delivered", "undelivered", "FAILED"])
def test_any_other_status_is_a_400_naming_the_field(api_client, status):
    response = api_client.get("/api/conversations", {"status": status})

    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ["'status' must be 'failed' or 'scheduled'."]}


def test_filters_combine_with_the_search_and_hold_across_pages(api_client, inbox):
    for number in ("+14155550004", "+14155550005"):
        other = services.message_send(to=number, body="Nothing to see")
        set_status(other, MessageStatus.FAILED, 30003)
    params = {"channel": "sms", "status": "failed", "q": "invoice", "page_size": 1}

    first = api_client.get("/api/conversations", params).json()
    second = api_client.get(first["next"]).json()

    assert [c["reply_to"] for c in first["conversations"]] == ["+14155550002"]
    assert [c["reply_to"] for c in second["conversations"]] == ["+14155550001"]
    assert second["next"] is None


def test_the_unfiltered_list_reads_only_the_conversation_table(
    api_client, inbox, django_assert_num_queries
):
    # One query for the token, one for the page (each row with the user's unread count,
    # its assignee's name and its labels).
    with django_assert_num_queries(2) as captured:
        response = api_client.get("/api/conversations")

    assert len(response.json()["conversations"]) == 4
    assert not any("messaging_message" in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize("failed_conversations", [1, 20])
def test_a_filtered_list_costs_the_same_queries_however_many_rows_match(
    api_client, django_assert_num_queries, failed_conversations
):
    for index in range(failed_conversations):
        message = services.message_send(to=f"+1415555{index:04d}", body="Your invoice")
        set_status(message, MessageStatus.FAILED, 30003)
    params = {"channel": "sms", "status": "failed", "q": "invoice", "page_size": 1000}

    # The token, then one page (the filters are EXISTS in the same query, and so are its
    # labels).
    with django_assert_num_queries(2):
        response = api_client.get("/api/conversations", params)

    assert len(response.json()["conversations"]) == failed_conversations


# POST /api/messages/<id>/retry


def retry(client, message_id):
    return client.post(f"/api/messages/{message_id}/retry")


def test_a_failed_sms_is_queued_again_and_enqueued_after_the_commit(
    api_client, enqueued_tasks, django_capture_on_commit_callbacks
):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    set_status(message, MessageStatus.FAILED, 30003)

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(api_client, message.id)
        assert enqueued_tasks() == []  # not before the commit

    assert enqueued_tasks() == [(SEND_MESSAGE_TASK, [str(message.id)])]
    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["status"], data["error_code"]) == (str(message.id), "queued", None)
    message.refresh_from_db()
    assert (message.status, message.attempt_count, message.error_code) == ("queued", 0, None)


@pytest.mark.parametrize(
    "status",
    [
        MessageStatus.QUEUED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
        # Undelivered is the carrier's verdict; only failed ones go back in the queue.
        MessageStatus.UNDELIVERED,
    ],
)
def test_an_sms_that_has_not_failed_cannot_be_retried(
    api_client, enqueued_tasks, django_capture_on_commit_callbacks, status
):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    set_status(message, status)

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(api_client, message.id)

    assert response.status_code == 409
    assert response.json() == {"error": "Only a failed SMS can be retried."}
    assert Message.objects.get(id=message.id).status == status
    assert enqueued_tasks() == []


@pytest.mark.parametrize("kind", ["internal", "inbound"])
def test_only_outbound_sms_can_be_retried(api_client, user, kind):
    if kind == "internal":
        message = services.message_send(to="Alice", body="Lunch?", user=user)
    else:
        message = receive()

    assert retry(api_client, message.id).status_code == 409


def test_a_failed_sms_to_someone_who_opted_out_stays_failed(
    api_client, enqueued_tasks, django_capture_on_commit_callbacks
):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    set_status(message, MessageStatus.FAILED, 21610)
    Suppression.objects.create(
        address=CUSTOMER, channel="sms", reason="stop", created_at=datetime(2026, 12, 1, tzinfo=UTC)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = retry(api_client, message.id)

    assert response.status_code == 409
    assert response.json() == {
        "error": f"{CUSTOMER} replied STOP on 2026-12-01: they can opt back in by texting "
        "START. The message was not retried."
    }
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 21610)
    assert enqueued_tasks() == []


@pytest.mark.parametrize("message_id", ["6f1c2d4e-0000-4000-8000-000000000000", "nope"])
def test_retrying_an_unknown_message_is_a_404(api_client, message_id):
    response = retry(api_client, message_id)

    assert response.status_code == 404
    assert response.json() == {"error": "No message with this id."}


def test_retrying_needs_a_signed_in_user_and_a_post(api_client, anonymous_client):
    message = services.message_send(to=CUSTOMER, body="Your table is ready")
    set_status(message, MessageStatus.FAILED, 30003)

    assert retry(anonymous_client, message.id).status_code == 401
    assert api_client.get(f"/api/messages/{message.id}/retry").status_code == 405
    assert Message.objects.get(id=message.id).status == "failed"
