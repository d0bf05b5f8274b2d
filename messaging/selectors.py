"""Every read of conversations and messages, written with its query plan in mind."""

import re
import uuid
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from core.errors import NotFound
from core.queries import get_by_uuid
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
    if "\x00" in query:
        # PostgreSQL refuses NUL in a query parameter, and no stored text holds one.
        return conversations.none()
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


def conversation_messages(*, conversation_id: object) -> QuerySet[Message]:
    """Messages of one conversation, for keyset pagination on (created_at, id).

    Reads no conversation row: a thread page is one query on message_thread_idx. A page
    with no messages in it is ambiguous (an unknown conversation, or a cursor past the
    oldest message), so the caller checks the conversation exists only then.
    """
    try:
        conversation_id = uuid.UUID(str(conversation_id))
    except ValueError:
        raise NotFound("No conversation with this id.") from None
    return Message.objects.filter(conversation_id=conversation_id)


def conversation_messages_since(
    *, conversation: Conversation, since: datetime
) -> QuerySet[Message]:
    """Messages created after ``since``, oldest first (at most NEW_MESSAGES_LIMIT)."""
    return Message.objects.filter(conversation=conversation, created_at__gt=since).order_by(
        "created_at", "id"
    )[:NEW_MESSAGES_LIMIT]


def message_list() -> QuerySet[Message]:
    return Message.objects.all()
