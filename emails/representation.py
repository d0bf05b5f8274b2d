"""The JSON shape of emails, built from plain rows.

The API (list, detail, the send answer) and the inbox's live events answer with these
shapes, built from ``QuerySet.values()`` rows (or the row of a record in hand) rather than
through DRF serializers. The serializers in emails.api document the same shapes for the
OpenAPI schema; emails/tests/test_representation.py holds the two together.

Ids stay UUIDs here (web.renderers writes them as canonical strings). Times are written
here, as the API has always written them (REST_FRAMEWORK's DATETIME_FORMAT, in the current
time zone): the renderer would leave out the ".000000" of a whole second, and SendGrid
reports every time in whole seconds.
"""

from typing import Any

from rest_framework.fields import DateTimeField

# The columns each shape reads: fetch exactly these with .values(*FIELDS).
EMAIL_FIELDS = (
    "id",
    "to_email",
    "from_email",
    "subject",
    "body",
    "html_content",
    "cc",
    "bcc",
    "reply_to",
    "attachments",
    "status",
    "provider_message_id",
    "error_message",
    "created_at",
    "sent_at",
    "delivered_at",
    "updated_at",
)
EMAIL_EVENT_FIELDS = ("event", "occurred_at", "recipient")

# DRF's own field, so that a time reads exactly as the serializers write it.
_time = DateTimeField().to_representation


def email_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "to_email": row["to_email"],
        "from_email": row["from_email"],
        "subject": row["subject"],
        "body": row["body"],
        "html_content": row["html_content"],
        "cc": row["cc"],
        "bcc": row["bcc"],
        "reply_to": row["reply_to"],
        "attachments": row["attachments"],
        "status": row["status"],
        "external_sid": row["provider_message_id"],
        "error_message": row["error_message"],
        "timestamp": _time(row["created_at"]),
        "sent_at": _time(row["sent_at"]),
        "delivered_at": _time(row["delivered_at"]),
        "updated_at": _time(row["updated_at"]),
    }


def email_detail_data(row: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """One email with what its provider reported about it (``events`` oldest first)."""
    return {**email_data(row), "events": [email_event_data(event) for event in events]}


def email_event_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": row["event"],
        "occurred_at": _time(row["occurred_at"]),
        "recipient": row["recipient"],
    }
