"""Every read of conversations and messages, written with its query plan in mind."""

import re
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from hatch.queries import get_by_uuid
from messaging.models import Channel, Conversation, Message, MessageStatus

NEW_MESSAGES_LIMIT = 1000


def conversation_list(
    *, query: str = "", channel: str = "", failed_only: bool = False
) -> QuerySet[Conversation]:
    """Conversations, for keyset pagination on (last_message_at, id).

    Reads the summary columns only. A search matches either contact or the text of any
    message, and the failed filter keeps conversations with a failed or undelivered
    message; both are semi-joins (EXISTS), never aggregates over messages.
    """
    conversations = Conversation.objects.all()
    if channel:
        conversations = conversations.filter(has_phone_numbers=channel == Channel.SMS)
    if failed_only:
        conversations = conversations.filter(
            Exists(
                Message.objects.filter(
                    conversation=OuterRef("pk"),
                    status__in=[MessageStatus.FAILED, MessageStatus.UNDELIVERED],
                )
            )
        )
    query = query.strip()
    if not query:
        return conversations
    matches = (
        Q(participant_a__icontains=query)
        | Q(participant_b__icontains=query)
        | Exists(Message.objects.filter(conversation=OuterRef("pk"), body__icontains=query))
    )
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 3 and digits != query:
        # "(415) 555" should find "+14155552671": contacts are stored in E.164.
        matches |= Q(participant_a__contains=digits) | Q(participant_b__contains=digits)
    return conversations.filter(matches)


def conversation_get(*, conversation_id: object) -> Conversation:
    return get_by_uuid(Conversation.objects.all(), conversation_id, noun="conversation")


def message_get(*, message_id: object) -> Message:
    return get_by_uuid(Message.objects.all(), message_id, noun="message")


def conversation_messages(*, conversation: Conversation) -> QuerySet[Message]:
    """Messages of one conversation, for keyset pagination on (created_at, id)."""
    return Message.objects.filter(conversation=conversation)


def conversation_messages_since(*, conversation: Conversation, since: datetime) -> list[Message]:
    """Messages created after ``since``, oldest first (at most NEW_MESSAGES_LIMIT)."""
    return list(
        Message.objects.filter(conversation=conversation, created_at__gt=since).order_by(
            "created_at", "id"
        )[:NEW_MESSAGES_LIMIT]
    )


def message_list() -> QuerySet[Message]:
    return Message.objects.all()
