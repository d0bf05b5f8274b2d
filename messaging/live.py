"""The inbox events messaging publishes (see core.realtime).

A conversation goes out as every inbox sees it (messaging.representation.conversation_data):
with its ``inbound_count`` and never one user's ``unread_count``.
"""

from typing import Any

from core.realtime import publish_all_on_commit, publish_on_commit
from messaging.representation import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    conversation_data,
    messages_data,
)

_JOINED_CONVERSATION_FIELDS = tuple(f"conversation__{name}" for name in CONVERSATION_FIELDS)


def publish_message_changed(
    message_id,
    *,
    created: bool = False,
    rows: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> None:
    """A message was created or its status changed; its conversation's summary goes along.

    ``rows``, the message's and its conversation's rows as the write left them (the
    conversation's with its ``labels``), spare the queries that otherwise read them back
    after the commit.
    """

    def build():
        if rows is not None:
            message, conversation = rows
        else:
            from messaging.models import Message

            joined = (
                Message.objects.filter(pk=message_id)
                .values(*MESSAGE_FIELDS, *_JOINED_CONVERSATION_FIELDS)
                .first()
            )
            if joined is None:
                return None
            message = {name: joined[name] for name in MESSAGE_FIELDS}
            conversation = {name: joined[f"conversation__{name}"] for name in CONVERSATION_FIELDS}
        return {
            "type": "message.created" if created else "message.updated",
            # Its files are read after the commit, with the rows they were stored with.
            "message": messages_data([message])[0],
            "conversation": conversation_data(conversation),
        }

    publish_on_commit(build)


def publish_messages_changed(message_ids: list) -> None:
    """Many messages' statuses changed at once (a delivery worker's batch): their events,
    each with its conversation's summary, built after the commit from one query (and one
    for their files and senders)."""

    def build():
        from messaging.models import Message

        joined = list(
            Message.objects.filter(pk__in=message_ids).values(
                *MESSAGE_FIELDS, *_JOINED_CONVERSATION_FIELDS
            )
        )
        messages = messages_data({name: row[name] for name in MESSAGE_FIELDS} for row in joined)
        return [
            {
                "type": "message.updated",
                "message": message,
                "conversation": conversation_data(
                    {name: row[f"conversation__{name}"] for name in CONVERSATION_FIELDS}
                ),
            }
            for message, row in zip(messages, joined, strict=True)
        ]

    publish_all_on_commit(build)


def publish_conversation_changed(conversation_id) -> None:
    """The conversation changed without a new message (what the team does with it)."""

    def build():
        from messaging.models import Conversation

        conversation = (
            Conversation.objects.filter(pk=conversation_id).values(*CONVERSATION_FIELDS).first()
        )
        if conversation is None:
            return None
        return {"type": "conversation.updated", "conversation": conversation_data(conversation)}

    publish_on_commit(build)
