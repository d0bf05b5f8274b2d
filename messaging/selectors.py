"""Every read of conversations and messages, written with its query plan in mind."""

import functools
import re
import uuid
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from contacts.timeline import Cursor, TimelineItem
from contacts.timeline import preview as timeline_preview
from conversations.models import ConversationChannel
from conversations.selectors import (
    team_filtered,
    with_unread_count,
)
from core import search
from core.errors import NotFound
from core.queries import get_by_uuid
from messaging.models import SEARCHED_TEXT, Conversation, Direction, Message, MessageStatus
from messaging.representation import CONVERSATION_FIELDS

NEW_MESSAGES_LIMIT = 1000


@functools.cache
def _conversation_rows() -> QuerySet:
    """SMS and internal conversations as rows of CONVERSATION_FIELDS, resolved once per
    process: values() over these names cost every page of the list half a millisecond
    (bench/). Never evaluated itself (it would keep its rows): every use chains from it."""
    return Conversation.objects.exclude(channel=ConversationChannel.EMAIL).values(
        *CONVERSATION_FIELDS
    )


def conversation_list(
    *,
    user: AbstractBaseUser,
    query: str = "",
    channel: str = "",
    status: str = "",
    state: str = "",
    assignee: str = "",
    label: str = "",
) -> QuerySet:
    """Conversations as rows of CONVERSATION_FIELDS and ``user``'s own ``unread_count``,
    for keyset pagination on (last_message_at, id).

    Reads the summary columns only (and, per row, the user's read mark). A search matches
    either contact or the text of any message; ``status`` "failed" keeps conversations
    with a failed or undelivered message, "scheduled" those with one waiting to go; both
    are semi-joins (EXISTS), never aggregates
    over messages. ``state``, ``assignee`` and ``label`` are the team-state filters
    (conversations.selectors.team_filtered: a ValidationError for an unusable value).
    """
    conversations = team_filtered(
        _conversation_rows(),
        user=user,
        state=state,
        assignee=assignee,
        label=label,
    )
    conversations = with_unread_count(conversations, user=user)
    if channel:
        conversations = conversations.filter(channel=channel)
    if status:
        # Both through a partial index of the few such messages (message_failed_idx,
        # message_scheduled_idx).
        statuses = {
            "failed": [MessageStatus.FAILED, MessageStatus.UNDELIVERED],
            "scheduled": [MessageStatus.SCHEDULED],
        }[status]
        conversations = conversations.filter(
            Exists(Message.objects.filter(conversation=OuterRef("pk"), status__in=statuses))
        )
    query = search.clean(query)
    if not query:
        return conversations
    # The words through the full-text index of messages (core.search), once for the whole
    # list: a semi-join per conversation would read each conversation's messages.
    texts = search.text_matches(Message.objects.all(), SEARCHED_TEXT, query)
    matches = (
        Q(contact_name__icontains=query)
        | Q(participant_a__icontains=query)
        | Q(participant_b__icontains=query)
        | Q(id__in=Subquery(texts.values("conversation_id").distinct()))
    )
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 3 and digits != query:
        # "(415) 555" should find "+14155552671": contacts are stored in E.164.
        matches |= Q(participant_a__contains=digits) | Q(participant_b__contains=digits)
    return conversations.filter(matches)


def conversation_get(*, conversation_id: object) -> Conversation:
    return get_by_uuid(Conversation.objects.all(), conversation_id, noun="conversation")


def conversation_summary_get(*, conversation_id: object, user: AbstractBaseUser) -> dict[str, Any]:
    """One conversation's summary row as the representation reads it for ``user`` (their
    unread count, its assignee's name, its labels): one query."""
    conversations = with_unread_count(_conversation_rows(), user=user)
    return get_by_uuid(conversations, conversation_id, noun="conversation")


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


def contact_timeline_messages(
    *, contact_id: uuid.UUID, before: Cursor | None, limit: int
) -> list[TimelineItem]:
    """The contacts app's timeline source for SMS and internal messages: those of the
    conversations whose contact is ``contact_id``, newest first (contacts.timeline)."""
    messages = Message.objects.filter(
        conversation_id__in=Conversation.objects.filter(contact_id=contact_id).values("id")
    )
    if before is not None:
        moment, row_id = before
        messages = messages.filter(
            Q(created_at__lte=moment) & (Q(created_at__lt=moment) | Q(id__lt=row_id))
        )
    rows = messages.order_by("-created_at", "-id").values(
        "id",
        "channel",
        "direction",
        "status",
        "created_at",
        "from_contact",
        "to_contact",
        "body",
        "conversation_id",
    )[:limit]
    return [
        {
            "id": row["id"],
            "channel": row["channel"],
            "direction": "inbound" if row["direction"] == Direction.INBOUND else "outbound",
            "status": row["status"],
            "created_at": row["created_at"],
            "from": row["from_contact"],
            "to": row["to_contact"],
            "subject": None,
            "body": timeline_preview(row["body"]),
            "conversation_id": row["conversation_id"],
            "thread_id": None,
        }
        for row in rows
    ]
