"""Every API endpoint and page costs a fixed number of queries, whatever the page size.

A query per row is the classic way a list gets slow as data grows (the seed's list read
the whole messages table on every request). Each endpoint is called with one row per page
and with a thousand, over enough data to fill the large page, and must issue the same
pinned number of queries both times.
"""

import pytest
from django.utils import timezone

from conversations.services import conversation_change
from emails import services as email_services
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Conversation, Message, MessageStatus
from team.models import Label

pytestmark = pytest.mark.django_db

ROWS = 60


@pytest.fixture
def data(user):
    for index in range(ROWS):
        services.message_receive(
            event=InboundMessage(
                from_contact="+14155552671", to_contact="+15005550006", body=f"inbound {index}"
            )
        )
        # Sent by a teammate, and last: a page of one holds a message with a sender too.
        services.message_send(to=f"Contact {index}", body=f"note {index}", user=user)
        email_services.email_send(
            to_email=f"pat{index}@example.com", subject="Hi", body="Hello", user=user
        )
    thread = Conversation.objects.get(participant_a="+14155552671")
    assert thread.message_count == ROWS
    # Team state on some rows of every list: the labels and the assignee's name must not
    # cost a query per row either.
    Label.objects.bulk_create([Label(name="Billing"), Label(name="VIP", colour="#ff0000")])
    for conversation in Conversation.objects.all()[: ROWS // 2]:
        conversation_change(conversation, actor=user, assignee=user.pk, labels=["Billing", "VIP"])
    return thread


# (path, queries): the token, then what the endpoint needs, never a query per row. A
# conversation list is its rows, each with the requesting user's unread count, its
# assignee's name and its labels, in one query (on SQLite the labels are one more).
READS = {
    "conversation list": ("/api/conversations?page_size={size}", 2),
    "conversation list, filtered": (
        "/api/conversations?page_size={size}&channel=internal&q=note",
        2,
    ),
    "conversation list, by team state": (
        "/api/conversations?page_size={size}&state=open&assignee=me",
        2,
    ),
    # Plus the label's look-up by name.
    "conversation list, by label": ("/api/conversations?page_size={size}&label=vip", 3),
    "email thread list": ("/api/email_threads?page_size={size}", 2),
    "thread": ("/api/conversation/{thread}/messages?page_size={size}", 2),
    "new messages": ("/api/conversation/{thread}/new_messages?since=2000-01-01T00:00:00Z", 3),
    # Plus the names of the teammates who sent them (sent_by), one query for the page.
    "message list": ("/api/messages?page_size={size}", 3),
    "email list": ("/api/emails?page_size={size}", 3),
}


@pytest.mark.parametrize("name", READS)
def test_reads_cost_the_same_at_any_page_size(name, data, api_client, django_assert_num_queries):
    path, queries = READS[name]
    for size in (1, 1000):
        url = path.format(size=size, thread=data.id)
        with django_assert_num_queries(queries):
            response = api_client.get(url)
        assert response.status_code == 200, response.content


def test_a_large_page_holds_every_row(data, api_client):
    # The pinned counts above are only meaningful if the large page really is large.
    response = api_client.get(f"/api/conversation/{data.id}/messages?page_size=1000")
    assert len(response.json()["messages"]) == ROWS


# Sends are measured outside a test transaction (transaction=True), as they run in
# production: in autocommit, where the store is one statement and one commit.
@pytest.mark.django_db(transaction=True)
def test_sending_an_internal_message_is_the_token_and_one_statement(
    api_client, django_assert_num_queries
):
    with django_assert_num_queries(2) as captured:
        response = api_client.post("/api/send_message", {"to": "Dana", "body": "hi"}, format="json")
    assert response.status_code == 200
    store = captured.captured_queries[-1]["sql"]
    assert "conversations_conversation" in store and "messaging_message" in store
    assert Message.objects.get().status == MessageStatus.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_sending_an_sms_adds_only_the_opt_out_check_and_the_daily_count(
    api_client, django_assert_num_queries, enqueued_tasks
):
    api_client.post("/api/send_message", {"to": "+14155552671", "body": "hi"}, format="json")
    # The token, the opt-out check, the daily count's upsert (messaging.limits), the store.
    with django_assert_num_queries(4) as captured:
        response = api_client.post(
            "/api/send_message", {"to": "+14155552671", "body": "again"}, format="json"
        )
    assert response.status_code == 200
    assert "messaging_smsdailycount" in captured.captured_queries[2]["sql"]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.QUEUED}
    assert len(enqueued_tasks()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_first_sms_to_a_stranger_also_creates_their_contact_once(
    api_client, django_assert_num_queries, enqueued_tasks
):
    # The token, the opt-out check, the daily count, the store (which finds no contact),
    # then: is the number anyone's, create the contact and its number in one transaction
    # (BEGIN, two inserts, COMMIT), and point the conversation at it.
    with django_assert_num_queries(10):
        response = api_client.post(
            "/api/send_message", {"to": "+14155552671", "body": "hi"}, format="json"
        )
    assert response.status_code == 200
    assert Message.objects.get().conversation.contact.points.get().value == "+14155552671"


def test_marking_read_costs_the_same_for_any_unread_count(
    data, api_client, django_assert_num_queries
):
    # The token, the conversation, the read mark's upsert (one statement), the fresh
    # summary with its labels.
    with django_assert_num_queries(4):
        response = api_client.post(f"/api/conversations/{data.id}/read")
    assert response.json()["unread_count"] == 0
    assert Conversation.objects.get(id=data.id).updated_at <= timezone.now()
