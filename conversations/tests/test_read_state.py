"""What each teammate has read: unread counts are one's own, in both lists and live."""

import pytest

from conversations.models import Conversation, ReadMark
from conversations.tests.conftest import token_client
from conversations.tests.inbound import (
    CUSTOMER_PHONE,
    INBOUND_PASSWORD,
    INBOUND_USERNAME,
    email_arrives,
    sms_arrives,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound_credentials(settings):
    settings.SENDGRID_INBOUND_USERNAME = INBOUND_USERNAME
    settings.SENDGRID_INBOUND_PASSWORD = INBOUND_PASSWORD


def unread(client, conversation_id, kind="conversations") -> tuple[int, int]:
    """(in the list, in the item) of the client's user: they must agree."""
    key = "conversations" if kind == "conversations" else "email_threads"
    id_key = "conversation_id" if kind == "conversations" else "id"
    listed = {item[id_key]: item for item in client.get(f"/api/{kind}").json()[key]}
    single = client.get(f"/api/{kind}/{conversation_id}").json()
    return listed[str(conversation_id)]["unread_count"], single["unread_count"]


def sms_conversation_id() -> str:
    return str(Conversation.objects.get(participant_a=CUSTOMER_PHONE).id)


class TestSms:
    def test_what_one_teammate_reads_stays_unread_for_the_other(self, client, admin_api, agent_api):
        sms_arrives(client, "Is my table ready?")
        sms_arrives(client, "We are outside")
        conversation_id = sms_conversation_id()
        assert unread(admin_api, conversation_id) == unread(agent_api, conversation_id) == (2, 2)

        response = admin_api.post(f"/api/conversations/{conversation_id}/read")

        assert response.status_code == 200
        assert (response.json()["unread_count"], response.json()["inbound_count"]) == (0, 2)
        assert unread(admin_api, conversation_id) == (0, 0)
        assert unread(agent_api, conversation_id) == (2, 2)

        # What arrives next is unread to both.
        sms_arrives(client, "Hello?")
        assert unread(admin_api, conversation_id) == (1, 1)
        assert unread(agent_api, conversation_id) == (3, 3)

    def test_a_new_teammate_starts_with_everything_read(self, client, admin_api, make_user):
        sms_arrives(client, "Is my table ready?")
        sms_arrives(client, "We are outside")
        conversation_id = sms_conversation_id()

        newcomer = token_client(make_user("carol"))

        assert unread(newcomer, conversation_id) == (0, 0)
        assert unread(admin_api, conversation_id) == (2, 2)
        sms_arrives(client, "Hello?")
        assert unread(newcomer, conversation_id) == (1, 1)
        assert unread(admin_api, conversation_id) == (3, 3)

    def test_reading_with_nothing_unread_answers_the_item_and_writes_nothing(
        self, agent_api, conversation
    ):
        response = agent_api.post(f"/api/conversations/{conversation}/read")

        assert response.status_code == 200
        assert response.json()["unread_count"] == 0
        assert response.json()["conversation_id"] == conversation
        assert not ReadMark.objects.exists()

    def test_reading_needs_a_signed_in_user(self, client, agent_api):
        sms_arrives(client, "Is my table ready?")
        conversation_id = sms_conversation_id()

        refused = client.post(f"/api/conversations/{conversation_id}/read")

        assert refused.status_code == 401
        assert unread(agent_api, conversation_id) == (1, 1)


@pytest.mark.usefixtures("inbound_credentials")
class TestEmail:
    def test_an_email_thread_is_read_per_teammate_too(
        self, client, admin_api, agent_api, email_thread
    ):
        (ours,) = agent_api.get(f"/api/email_threads/{email_thread}").json()["emails"]
        email_arrives(client, in_reply_to=ours["message_id"], sender="pat@example.com")
        assert unread(admin_api, email_thread, "email_threads") == (1, 1)

        response = agent_api.post(f"/api/email_threads/{email_thread}/read")

        assert response.status_code == 200
        assert (response.json()["unread_count"], response.json()["inbound_count"]) == (0, 1)
        assert unread(agent_api, email_thread, "email_threads") == (0, 0)
        assert unread(admin_api, email_thread, "email_threads") == (1, 1)

    def test_a_new_teammate_starts_with_every_thread_read(
        self, client, agent_api, email_thread, make_user
    ):
        (ours,) = agent_api.get(f"/api/email_threads/{email_thread}").json()["emails"]
        email_arrives(client, in_reply_to=ours["message_id"], sender="pat@example.com")

        newcomer = token_client(make_user("carol"))

        assert unread(newcomer, email_thread, "email_threads") == (0, 0)
        assert unread(agent_api, email_thread, "email_threads") == (1, 1)


class TestLive:
    def test_a_read_mark_goes_to_the_readers_own_pages_alone(
        self, client, ada, ben, admin_api, inbox, django_capture_on_commit_callbacks
    ):
        sms_arrives(client, "Is my table ready?")
        sms_arrives(client, "We are outside")
        conversation_id = sms_conversation_id()
        inbox.listen_as(ada)
        inbox.listen_as(ben)

        with django_capture_on_commit_callbacks(execute=True):
            admin_api.post(f"/api/conversations/{conversation_id}/read")
        with django_capture_on_commit_callbacks(execute=True):
            admin_api.post(f"/api/conversations/{conversation_id}/read")  # nothing new

        assert inbox.of(ada) == [
            {"type": "conversation.read", "conversation_id": conversation_id, "inbound_read": 2}
        ]
        assert inbox.of(ben) == []
        assert inbox.events() == []

    def test_a_new_message_goes_to_every_inbox_with_no_ones_unread_count(
        self, client, agent_api, inbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            sms_arrives(client, "Is my table ready?")

        (event,) = inbox.events()
        assert event["type"] == "message.created"
        conversation = event["conversation"]
        assert "unread_count" not in conversation
        assert conversation["inbound_count"] == 1
        assert (conversation["state"], conversation["assignee"], conversation["labels"]) == (
            "open",
            None,
            [],
        )
        # A page works its user's count out from it: the API says the same.
        assert unread(agent_api, conversation["conversation_id"]) == (1, 1)
