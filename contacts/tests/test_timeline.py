"""A contact's timeline: their SMS, internal messages and emails, newest first, in pages."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts import timeline
from emails import services as email_services
from emails.events import InboundEmail
from emails.models import Email
from messaging import services
from messaging.events import InboundMessage
from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db

HATCH_NUMBER = "+15005550006"
ITEM_KEYS = {
    "id",
    "channel",
    "direction",
    "status",
    "created_at",
    "from",
    "to",
    "subject",
    "body",
    "conversation_id",
    "thread_id",
}


def at(minutes_ago: int):
    return timezone.now() - timedelta(minutes=minutes_ago)


def backdate(record, minutes_ago: int):
    type(record).objects.filter(id=record.id).update(created_at=at(minutes_ago))
    return record


def email_thread_of(email: Email, contact) -> None:
    """The email's thread belongs to ``contact`` (the email services link it to the
    address's contact; this holds whichever way they do it)."""
    email.refresh_from_db()
    assert email.thread_id is not None
    Conversation.objects.filter(id=email.thread_id).update(contact=contact)


@pytest.fixture
def history(ada, grace, user):
    """Ada's records on every channel, a minute apart (newest: the inbound SMS), and one
    of Grace's that must not show."""
    sms_out = backdate(services.message_send(to="+14155552671", body="Table ready", user=user), 6)
    email_out = email_services.email_send(
        to_email="ada@example.com", subject="Your order", body="It ships\n today.", user=user
    )
    email_thread_of(email_out, ada)
    backdate(email_out, 5)
    internal = services.message_send(to="Front desk", body="Ada called", user=user)
    # Internal conversations are between team members and name no contact; one linked to
    # a contact (about them) is part of that contact's timeline.
    Conversation.objects.filter(id=internal.conversation_id).update(contact=ada)
    backdate(internal, 4)
    email_in, _created = email_services.email_receive(
        event=InboundEmail(
            from_address="ada@example.com",
            from_name="Ada Lovelace",
            to=("hatch@example.com",),
            envelope_to=("hatch@example.com",),
            subject="Re: Your order",
            text="Thanks!",
            message_id="reply-1@example.com",
        )
    )
    email_thread_of(email_in, ada)
    backdate(email_in, 3)
    other_number = backdate(
        services.message_send(to="+14155550101", body="Second number", user=user), 2
    )
    sms_in, _created = services.message_receive(
        event=InboundMessage(from_contact="+14155552671", to_contact=HATCH_NUMBER, body="Thx")
    )
    backdate(sms_in, 1)
    services.message_send(to="+14155550102", body="For Grace", user=user)
    email_services.email_send(
        to_email="grace@example.com", subject="Grace's", body="Not Ada's", user=user
    )
    return [sms_in, other_number, email_in, internal, email_out, sms_out]


def test_the_timeline_holds_every_channel_newest_first(api_client, ada, history):
    response = api_client.get(f"/api/contacts/{ada.id}/timeline")

    assert response.status_code == 200
    items = response.json()["timeline"]
    assert [item["id"] for item in items] == [str(record.id) for record in history]
    assert all(set(item) == ITEM_KEYS for item in items)
    assert [(item["channel"], item["direction"]) for item in items] == [
        ("sms", "inbound"),
        ("sms", "outbound"),
        ("email", "inbound"),
        ("internal", "outbound"),
        ("email", "outbound"),
        ("sms", "outbound"),
    ]
    sms_in, _, email_in, internal, email_out, _sms_out = items
    assert sms_in["status"] == "received"
    assert sms_in["conversation_id"] == str(history[0].conversation_id)
    assert sms_in["thread_id"] is None and sms_in["subject"] is None
    assert (sms_in["from"], sms_in["to"], sms_in["body"]) == ("+14155552671", HATCH_NUMBER, "Thx")
    assert email_out["subject"] == "Your order"
    assert email_out["body"] == "It ships today."  # a preview, on one line
    assert email_out["status"] == "queued"
    assert email_out["thread_id"] == str(Email.objects.get(id=history[4].id).thread_id)
    assert email_out["conversation_id"] is None
    assert email_in["status"] == "received"
    assert internal["status"] == "delivered"
    assert response.json()["next"] is None


def test_the_timeline_pages_across_sources_without_gaps_or_repeats(api_client, ada, history):
    seen = []
    url = f"/api/contacts/{ada.id}/timeline?page_size=2"
    pages = 0
    while url:
        page = api_client.get(url).json()
        assert len(page["timeline"]) <= 2
        seen += [item["id"] for item in page["timeline"]]
        url = page["next"]
        pages += 1

    assert seen == [str(record.id) for record in history]
    assert pages == 3


def test_records_at_the_same_moment_are_ordered_by_id_across_channels(api_client, ada, user):
    sms = services.message_send(to="+14155552671", body="Same time", user=user)
    email = email_services.email_send(
        to_email="ada@example.com", subject="Same time", body="Same time", user=user
    )
    email_thread_of(email, ada)
    moment = at(1)
    Message.objects.filter(id=sms.id).update(created_at=moment)
    Email.objects.filter(id=email.id).update(created_at=moment)
    expected = sorted([str(sms.id), str(email.id)], key=uuid.UUID, reverse=True)

    first = api_client.get(f"/api/contacts/{ada.id}/timeline?page_size=1").json()
    second = api_client.get(first["next"]).json()

    assert [first["timeline"][0]["id"], second["timeline"][0]["id"]] == expected


def test_a_contact_with_nothing_said_has_an_empty_timeline(api_client, grace):
    response = api_client.get(f"/api/contacts/{grace.id}/timeline")

    assert response.json() == {"timeline": [], "next": None}


@pytest.mark.parametrize("raw_id", [str(uuid.uuid4()), "nope"])
def test_an_unknown_contact_has_no_timeline(api_client, raw_id):
    assert api_client.get(f"/api/contacts/{raw_id}/timeline").status_code == 404


def test_a_bad_cursor_is_a_400(api_client, ada):
    response = api_client.get(f"/api/contacts/{ada.id}/timeline?cursor=x")

    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_both_channel_apps_register_their_source():
    assert set(timeline.registered()) == {"messaging", "emails"}


def test_the_timeline_costs_the_same_at_any_page_size(
    api_client, ada, history, django_assert_num_queries
):
    # The token, the contact, then one query per source.
    for size in (1, 1000):
        with django_assert_num_queries(4):
            response = api_client.get(f"/api/contacts/{ada.id}/timeline?page_size={size}")
        assert response.status_code == 200
