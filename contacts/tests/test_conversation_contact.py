"""SMS conversations name their contact: in the list, the thread, the detail and live events."""

import uuid
from datetime import UTC, datetime

import pytest

from contacts import services as contact_services
from core import realtime
from messaging import services
from messaging.events import InboundMessage
from messaging.live import publish_conversation_changed, publish_message_changed
from messaging.tests.test_api import SEED_CONVERSATION_KEYS, SEED_MESSAGE_KEYS
from web.pagination import _encode_cursor

pytestmark = pytest.mark.django_db

CUSTOMER, HATCH_NUMBER = "+14155552671", "+15005550006"


@pytest.fixture
def events(monkeypatch):
    """The inbox events published, as the socket would receive them."""
    sent = []
    monkeypatch.setattr(realtime._publisher, "send", lambda group, message: sent.append(message))
    return sent


def receive(body: str, sender: str = CUSTOMER):
    message, _created = services.message_receive(
        event=InboundMessage(from_contact=sender, to_contact=HATCH_NUMBER, body=body)
    )
    return message


def test_the_conversation_list_names_each_contact_and_keeps_the_seed_keys(api_client, ada, user):
    receive("Is my table ready?")
    services.message_send(to="Front desk", body="Lunch?", user=user)

    response = api_client.get("/api/conversations")

    conversations = {item["channel"]: item for item in response.json()["conversations"]}
    sms, internal = conversations["sms"], conversations["internal"]
    assert set(sms) >= SEED_CONVERSATION_KEYS
    assert sms["contact"] == {"id": str(ada.id), "name": "Ada Lovelace"}
    assert internal["contact"] is None


def test_a_strangers_conversation_names_the_new_nameless_contact(api_client):
    message = receive("Hello?", sender="+14155550177")

    item = api_client.get("/api/conversations").json()["conversations"][0]

    assert item["contact"]["name"] == ""
    assert item["contact"]["id"] == str(message.conversation.contact_id)


def test_the_thread_and_the_detail_name_the_contact(api_client, ada):
    conversation_id = receive("Is my table ready?").conversation_id

    thread = api_client.get(f"/api/conversation/{conversation_id}/messages").json()
    detail = api_client.get(f"/api/conversations/{conversation_id}").json()
    read = api_client.post(f"/api/conversations/{conversation_id}/read").json()

    expected = {"id": str(ada.id), "name": "Ada Lovelace"}
    assert thread["contact"] == expected
    assert set(thread["messages"][0]) >= SEED_MESSAGE_KEYS
    assert detail["contact"] == expected
    assert read["contact"] == expected


def test_a_page_past_the_oldest_message_still_names_the_contact(api_client, ada):
    conversation_id = receive("Is my table ready?").conversation_id
    before_everything = _encode_cursor(datetime(2000, 1, 1, tzinfo=UTC), uuid.UUID(int=0))

    page = api_client.get(
        f"/api/conversation/{conversation_id}/messages", {"cursor": before_everything}
    ).json()

    assert page["messages"] == []
    assert page["contact"] == {"id": str(ada.id), "name": "Ada Lovelace"}


def test_an_unknown_thread_is_still_a_404(api_client):
    response = api_client.get(f"/api/conversation/{uuid.uuid4()}/messages")

    assert response.status_code == 404


def test_an_internal_thread_has_no_contact(api_client, user):
    message = services.message_send(to="Front desk", body="Lunch?", user=user)

    thread = api_client.get(f"/api/conversation/{message.conversation_id}/messages").json()

    assert thread["contact"] is None


def test_a_renamed_contact_is_shown_renamed(api_client, ada):
    conversation_id = receive("Is my table ready?").conversation_id

    contact_services.contact_update(contact_id=ada.id, name="Ada King")

    detail = api_client.get(f"/api/conversations/{conversation_id}").json()
    assert detail["contact"]["name"] == "Ada King"


def test_live_events_carry_the_contact(ada, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = receive("Is my table ready?")
    with django_capture_on_commit_callbacks(execute=True):
        publish_message_changed(message.id)  # read back from the database this time
        publish_conversation_changed(message.conversation_id)

    expected = {"id": str(ada.id), "name": "Ada Lovelace"}
    created, updated, conversation = (message["event"] for message in events)
    assert created["type"] == "message.created"
    assert created["conversation"]["contact"] == expected
    assert updated["conversation"]["contact"] == expected
    assert conversation["conversation"]["contact"] == expected


def test_a_strangers_first_message_is_published_with_its_new_contact(
    events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = receive("Hello?", sender="+14155550177")

    (event,) = (message["event"] for message in events)
    message.refresh_from_db()
    assert event["conversation"]["contact"] == {
        "id": str(message.conversation.contact_id),
        "name": "",
    }


def list_contacts(api_client) -> dict:
    """Each listed conversation's reply address and the contact it names."""
    return {
        item["reply_to"]: item["contact"]
        for item in api_client.get("/api/conversations").json()["conversations"]
    }


def test_a_merge_names_the_merged_contacts_conversations_after_the_kept_contact(api_client, ada):
    receive("Hi, it's Grace", sender="+14155550199")
    grace = contact_services.contact_update(
        contact_id=list_contacts(api_client)["+14155550199"]["id"], name="Grace Hopper"
    )

    contact_services.contact_merge(contact_id=ada.id, other_id=grace.id)

    assert list_contacts(api_client)["+14155550199"] == {"id": str(ada.id), "name": "Ada Lovelace"}


def test_a_deleted_contact_leaves_its_conversation_unnamed_until_a_new_message(api_client, ada):
    receive("Is my table ready?")

    contact_services.contact_delete(contact_id=ada.id)
    assert list_contacts(api_client)[CUSTOMER] is None

    receive("Hello?")
    named = list_contacts(api_client)[CUSTOMER]
    assert named["id"] != str(ada.id) and named["name"] == ""
