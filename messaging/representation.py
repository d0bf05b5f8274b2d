"""The JSON shape of conversations and messages, built from plain rows.

The API, the inbox's live events and the send endpoint all answer with these shapes. They
are built from ``QuerySet.values()`` rows (or the row a write returned), not through DRF
serializers: at 50 to 1,000 rows a page, per-field serializer calls cost more than the
query itself (see bench/). The serializers in messaging.api document the same shapes for
the OpenAPI schema; messaging/tests/test_representation.py holds the two together.

Times stay datetime objects and ids UUIDs here; web.renderers writes them as ISO 8601
with their offset and as canonical UUID strings, exactly as DRF's serializers do.
"""

from typing import Any

from messaging.models import Channel, MessageStatus

# The columns each shape reads: selectors fetch exactly these with .values(*FIELDS).
CONVERSATION_FIELDS = (
    "id",
    "participant_a",
    "participant_b",
    "reply_to",
    "own_contact",
    "has_phone_numbers",
    "last_message_at",
    "last_message_preview",
    "message_count",
    "unread_count",
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
    "sent_at",
    "delivered_at",
    "updated_at",
)

# The statuses a message has arrived in ("is_delivered").
DELIVERED_STATUSES = (MessageStatus.DELIVERED, MessageStatus.RECEIVED)


def conversation_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "conversation_id": row["id"],
        # The seed's display string: the other party, then us.
        "participants": f"{row['reply_to']}->{row['own_contact']}",
        "reply_to": row["reply_to"],
        "own_contact": row["own_contact"],
        "contacts": [row["participant_a"], row["participant_b"]],
        "has_phone_numbers": row["has_phone_numbers"],
        "channel": Channel.SMS.value if row["has_phone_numbers"] else Channel.INTERNAL.value,
        "last_message_date": row["last_message_at"],
        "message_count": row["message_count"],
        "unread_count": row["unread_count"],
        "preview": row["last_message_preview"],
    }


def message_data(row: dict[str, Any]) -> dict[str, Any]:
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
        "sent_at": row["sent_at"],
        "delivered_at": row["delivered_at"],
        "updated_at": row["updated_at"],
    }
