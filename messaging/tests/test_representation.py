"""The fast JSON builders answer exactly what the documented serializers describe.

messaging.api's serializers are the OpenAPI schema's description of a conversation and a
message; the API renders with messaging.representation instead (see its docstring). These
tests render both for the same records and require the same JSON, so the schema cannot
drift from what clients receive.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from attachments.tests import samples
from conversations.selectors import with_unread_count
from conversations.services import conversation_change
from messaging import services
from messaging.api import ConversationSerializer, MessageSerializer
from messaging.events import InboundMessage
from messaging.models import Conversation, Message
from messaging.representation import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    conversation_data_for_user,
    message_data,
    messages_data,
)
from team.models import Label
from web.renderers import FastJSONRenderer

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    services.message_send(to="+1 415 555 2671", body="Hello ünïcode 👋", user=user)
    services.message_send(
        to="+1 415 555 2671",
        body="",
        media=[("table 4.png", samples.png(), None), ("menu.pdf", samples.PDF, None)],
        user=user,
    )
    services.message_send(to="Dana Scully", body="Internal note", user=user)
    services.message_receive(
        event=InboundMessage(
            from_contact="+14155552671",
            to_contact="+15005550006",
            body="",
            provider_message_id="MM" + "1" * 32,
            media=[{"url": "https://api.twilio.com/media/1", "content_type": "image/jpeg"}],
        )
    )
    # Team state on one: snoozed to a whole second (as a person picks a time), assigned,
    # labelled.
    Label.objects.create(name="Billing", colour="#2563eb")
    Label.objects.create(name="VIP")
    conversation_change(
        Conversation.objects.get(channel="sms"),
        actor=user,
        snoozed_until=(timezone.now() + timedelta(days=1)).replace(microsecond=0),
        assignee=user.pk,
        labels=["vip", "Billing"],
    )
    return Conversation.objects.all(), Message.objects.all()


def assert_renders_as_documented(records, serializer_class, fields, build) -> None:
    """Each record's fast JSON equals its serializer's JSON."""
    for record in records:
        documented = JSONRenderer().render(serializer_class(record).data)
        row = type(record).objects.filter(pk=record.pk).values(*fields).get()
        fast = FastJSONRenderer().render(build(row))
        assert json.loads(fast) == json.loads(documented)


def test_conversations_render_as_their_serializer_describes(records, user):
    conversations, _ = records
    assert conversations.count() == 2
    annotated = with_unread_count(conversations, user=user)
    for conversation in annotated.select_related("assignee").prefetch_related("labels"):
        documented = JSONRenderer().render(ConversationSerializer(conversation).data)
        (row,) = annotated.filter(pk=conversation.pk).values(*CONVERSATION_FIELDS, "unread_count")
        fast = FastJSONRenderer().render(conversation_data_for_user(row))
        assert json.loads(fast) == json.loads(documented)
    assert {conversation.state for conversation in conversations} == {"open", "snoozed"}


def test_messages_render_as_their_serializer_describes(records):
    _, messages = records
    assert messages.count() == 4
    assert_renders_as_documented(
        messages, MessageSerializer, MESSAGE_FIELDS, lambda row: messages_data([row])[0]
    )


def test_times_are_iso_8601_with_their_offset(records):
    _, messages = records
    message = messages.first()
    rendered = json.loads(
        FastJSONRenderer().render(
            message_data(Message.objects.filter(pk=message.pk).values(*MESSAGE_FIELDS).get())
        )
    )
    assert rendered["timestamp"] == message.created_at.isoformat()
    assert rendered["timestamp"].endswith("+00:00")
