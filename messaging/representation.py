"""The JSON shape of conversations and messages, built from plain rows.

The API, the inbox's live events and the send endpoint all answer with these shapes. They
are built from ``QuerySet.values()`` rows (or the row a write returned), not through DRF
serializers: at 50 to 1,000 rows a page, per-field serializer calls cost more than the
query itself (see bench/). The serializers in messaging.api document the same shapes for
the OpenAPI schema; messaging/tests/test_representation.py holds the two together.

Times stay datetime objects and ids UUIDs here; web.renderers writes them as ISO 8601
with their offset and as canonical UUID strings, exactly as DRF's serializers do.
"""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from attachments.models import Attachment
from attachments.representation import ATTACHMENT_FIELDS, attachment_data
from conversations.representation import TEAM_STATE_COLUMNS, team_state_data
from conversations.selectors import people_by_id
from core.serialization import row_of
from messaging.models import Channel, Message, MessageAttachment, MessageStatus
from outbox.scheduling import schedule_data
from team.selectors import display_name

# The conversation row's columns a conversation shape reads, all of its own (what
# selectors fetch with .values(), and what a send's upsert returns: messaging.summary). As
# the API answers one user, a shape also needs their ``unread_count``
# (conversations.selectors.with_unread_count).
CONVERSATION_FIELDS = (
    "id",
    "participant_a",
    "participant_b",
    "reply_to",
    "own_contact",
    "channel",
    "contact_id",
    # The contact's name, as the conversation keeps it (conversations.models): no join.
    "contact_name",
    "last_message_at",
    "last_message_preview",
    "message_count",
    *TEAM_STATE_COLUMNS,
)
MESSAGE_FIELDS = (
    "id",
    "conversation_id",
    "to_contact",
    "from_contact",
    "body",
    "created_at",
    "status",
    "direction",
    "channel",
    "provider_message_id",
    "error_code",
    "error_message",
    "num_segments",
    "num_media",
    "media",
    "media_status",
    "sent_at",
    "delivered_at",
    "updated_at",
    "scheduled_for",
    "next_attempt_at",
    # Who sent it, named in one more query per page (messages_data).
    "sent_by_id",
)

# The statuses a message has arrived in ("is_delivered").
DELIVERED_STATUSES = (MessageStatus.DELIVERED, MessageStatus.RECEIVED)


def conversation_data(row: dict[str, Any]) -> dict[str, Any]:
    """A conversation as every inbox sees it (the live events): no one user's unread
    count, but its ``inbound_count``, from which each page works its own out."""
    return {
        "conversation_id": row["id"],
        # The seed's display string: the other party, then us.
        "participants": f"{row['reply_to']}->{row['own_contact']}",
        "reply_to": row["reply_to"],
        "own_contact": row["own_contact"],
        "contacts": [row["participant_a"], row["participant_b"]],
        "has_phone_numbers": row["channel"] == Channel.SMS,
        "channel": row["channel"],
        "last_message_date": row["last_message_at"],
        "message_count": row["message_count"],
        "preview": row["last_message_preview"],
        "contact": conversation_contact(row),
        **team_state_data(row),
    }


def conversation_data_for_user(row: dict[str, Any]) -> dict[str, Any]:
    """A conversation as the API answers the requesting user: with their ``unread_count``."""
    data = conversation_data(row)
    data["unread_count"] = row["unread_count"]
    return data


def conversation_contact(row: dict[str, Any]) -> dict[str, Any] | None:
    """The person on the other side (null for internal conversations, which have none)."""
    if row["contact_id"] is None:
        return None
    return {"id": row["contact_id"], "name": row["contact_name"] or ""}


def messages_data(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``message_data`` of each row, with its files and its sender: one query for the rows
    that carry media (an outbound MMS, an inbound one once downloaded), none when no row
    does; one for the names of the teammates who sent them, none when nobody did (or the
    rows name them already: ``message_row``)."""
    rows = list(rows)
    files = message_attachments([row["id"] for row in rows if row["num_media"]])
    senders = people_by_id(
        row["sent_by_id"] for row in rows if row["sent_by_id"] is not None and "sent_by" not in row
    )
    return [
        message_data(
            row,
            files.get(row["id"], ()),
            sent_by=row.get("sent_by") or senders.get(row["sent_by_id"]),
        )
        for row in rows
    ]


def message_row(message: Message) -> dict[str, Any]:
    """The row of a message in hand, as ``.values(*MESSAGE_FIELDS)`` reads it, with its
    sender named (``sent_by``) when the record holds them already, as a send's does: its
    answer and its live event then look nobody up."""
    row = row_of(message, MESSAGE_FIELDS)
    if message.sent_by_id is not None and Message.sent_by.is_cached(message):
        row["sent_by"] = {"id": message.sent_by_id, "name": display_name(message.sent_by)}
    return row


def message_attachments(message_ids: list) -> dict[Any, list[Attachment]]:
    """The stored files of these messages, in order, by message id."""
    files = defaultdict(list)
    if not message_ids:
        return files
    links = (
        MessageAttachment.objects.filter(message_id__in=message_ids)
        .select_related("attachment")
        .only("message", "attachment", *(f"attachment__{name}" for name in ATTACHMENT_FIELDS))
        .order_by("message_id", "position")
    )
    for link in links:
        files[link.message_id].append(link.attachment)
    return files


def message_data(
    row: dict[str, Any],
    attachments: Iterable[Attachment] = (),
    *,
    sent_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One message; ``attachments``: its stored files, in order, and ``sent_by``: the
    teammate who sent it, ``{"id", "name"}`` (see messages_data).

    ``media`` is the seed's key: an inbound MMS's media as Twilio reported them, whose URLs
    need Twilio's credentials. ``attachments`` are Hatch's copies (``/files/...``), and
    ``media_status`` says whether those are still being downloaded ("pending"), all there
    ("downloaded"), or not all could be ("failed", ``error_message`` says why).
    """
    return {
        "id": row["id"],
        "conversation_id": row["conversation_id"],
        "to_contact": row["to_contact"],
        "from_contact": row["from_contact"],
        "body": row["body"],
        "timestamp": row["created_at"],
        "status": row["status"],
        "direction": row["direction"],
        "type": row["channel"],
        "external_sid": row["provider_message_id"],
        "error_code": row["error_code"],
        "error_message": row["error_message"],
        "is_delivered": row["status"] in DELIVERED_STATUSES,
        "num_segments": row["num_segments"],
        "num_media": row["num_media"],
        "media": row["media"],
        "media_status": row["media_status"],
        "attachments": [attachment_data(attachment) for attachment in attachments],
        "sent_at": row["sent_at"],
        "delivered_at": row["delivered_at"],
        "updated_at": row["updated_at"],
        "sent_by": sent_by,
        **schedule_data(row),
    }
