"""The JSON of what the team does with a conversation, shared by both channel apps.

An SMS conversation (messaging) and an email thread (emails) each keep their own keys;
what the team does with either (its state, assignee, labels and how many inbound messages
it has had) reads the same in both, from the columns below, and is built here once.
Activity lines too: each carries a sentence a person reads (``text``) besides its kind
and the names as they were.

Built from ``QuerySet.values()`` rows, as the channel apps' representations are; the
serializers in conversations.api describe the same keys for the OpenAPI schema.
"""

from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework.fields import DateTimeField

from conversations.models import ActivityKind

# What the team-state keys read, beside a channel's own columns: the conversation's own
# columns alone, the assignee's name and the labels included (copies kept on the row:
# conversations.models.Conversation), never a join or a query per row.
TEAM_STATE_COLUMNS = (
    "state",
    "snoozed_until",
    "inbound_count",
    "assignee_id",
    "assignee_name",
    "label_summary",
)
# An activity line and its actor (one join).
ACTIVITY_FIELDS = (
    "id",
    "conversation_id",
    "kind",
    "detail",
    "created_at",
    "actor_id",
    "actor__first_name",
    "actor__last_name",
    "actor__username",
)
LABEL_FIELDS = ("id", "name", "colour")

# DRF's own field, so that a time reads exactly as the serializers write it (orjson would
# leave out the ".000000" of a whole second, and a snooze usually ends on one).
_time = DateTimeField().to_representation


def person_name(first_name: str | None, last_name: str | None, username: str) -> str:
    """How Hatch names a teammate (team.selectors.display_name), from a row's columns."""
    return f"{first_name or ''} {last_name or ''}".strip() or username


def person_data(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    """``{"id", "name"}`` of the user whose columns start with ``prefix`` ("assignee"), or
    None when there is none."""
    user_id = row[f"{prefix}_id"]
    if user_id is None:
        return None
    return {
        "id": user_id,
        "name": person_name(
            row[f"{prefix}__first_name"], row[f"{prefix}__last_name"], row[f"{prefix}__username"]
        ),
    }


def team_state_data(row: dict[str, Any]) -> dict[str, Any]:
    """The team-state keys of a conversation item, as everyone sees them.

    ``inbound_count`` counts the conversation's inbound messages; a user's own
    ``unread_count`` (the API's, never an event's) is that less what they have read.
    """
    return {
        "state": row["state"],
        "snoozed_until": None if row["snoozed_until"] is None else _time(row["snoozed_until"]),
        "assignee": (
            None
            if row["assignee_id"] is None
            else {"id": row["assignee_id"], "name": row["assignee_name"]}
        ),
        "labels": row["label_summary"] or [],
        "inbound_count": row["inbound_count"],
    }


def activity_data(row: dict[str, Any]) -> dict[str, Any]:
    """One activity line (a row of ACTIVITY_FIELDS)."""
    actor = person_data(row, "actor")
    return {
        "id": row["id"],
        "conversation_id": row["conversation_id"],
        "kind": row["kind"],
        "actor": actor,
        "detail": row["detail"],
        "text": activity_text(row["kind"], actor["name"] if actor else None, row["detail"]),
        "created_at": _time(row["created_at"]),
    }


def activity_text(kind: str, actor: str | None, detail: dict[str, Any]) -> str:
    """The sentence an activity line reads as: "Ada Lovelace closed this".

    ``actor`` is None when Hatch did it (``detail["reason"]`` says why) or when the person
    who did it has since been deleted.
    """
    if kind == ActivityKind.REOPENED and actor is None and detail.get("reason"):
        return {
            "message": "Reopened by a new message",
            "snooze ended": "Reopened when the snooze ended",
        }.get(detail["reason"], "Reopened")
    who = actor or "Someone"
    if kind == ActivityKind.ASSIGNED:
        assignee = _name_in(detail, "assignee")
        if actor is not None and assignee == actor:
            return f"{who} self-assigned this"
        return f"{who} assigned this to {assignee}"
    if kind == ActivityKind.UNASSIGNED:
        assignee = _name_in(detail, "assignee")
        if actor is not None and assignee == actor:
            return f"{who} removed their assignment"
        return f"{who} unassigned {assignee}"
    if kind == ActivityKind.CLOSED:
        return f"{who} closed this"
    if kind == ActivityKind.REOPENED:
        return f"{who} reopened this"
    if kind == ActivityKind.SNOOZED:
        return f"{who} snoozed this until {_moment(detail.get('snoozed_until'))}"
    if kind == ActivityKind.LABELLED:
        return f"{who} labelled this {_name_in(detail, 'label')}"
    if kind == ActivityKind.UNLABELLED:
        return f"{who} removed the label {_name_in(detail, 'label')}"
    return f"{who} changed this"


def _name_in(detail: dict[str, Any], key: str) -> str:
    value = detail.get(key)
    name = value.get("name") if isinstance(value, dict) else None
    return name or "someone"


def _moment(iso: str | None) -> str:
    """A snooze's end as a person reads it, in the server's time zone (TIME_ZONE): the page
    shows it in the reader's own from ``detail["snoozed_until"]``."""
    try:
        moment = datetime.fromisoformat(iso or "")
    except ValueError:
        return "later"
    local = timezone.localtime(moment)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M} {local.tzname()}"


# A note and its author (one join). Its mentions come in one more query per page
# (conversations.selectors.rows_with_mentions), as ``row["mentions"]``: MENTION_FIELDS rows.
NOTE_FIELDS = (
    "id",
    "conversation_id",
    "author_id",
    "author__first_name",
    "author__last_name",
    "author__username",
    "body",
    "created_at",
)
MENTION_FIELDS = ("id", "first_name", "last_name", "username")
# What a mention's notification says of the conversation: enough to name it and open it.
MENTIONED_CONVERSATION_FIELDS = (
    "id",
    "channel",
    "reply_to",
    "contact_id",
    "contact_name",
    "subject",
)


def note_data(row: dict[str, Any]) -> dict[str, Any]:
    """One note (a row of NOTE_FIELDS with its ``mentions``)."""
    return {
        "id": row["id"],
        "conversation_id": row["conversation_id"],
        "author": person_data(row, "author"),
        "body": row["body"],
        "mentions": [
            {
                "id": user["id"],
                "name": person_name(user["first_name"], user["last_name"], user["username"]),
                "username": user["username"],
            }
            for user in row["mentions"]
        ],
        "created_at": row["created_at"],
    }


def mentioned_conversation_data(row: dict[str, Any]) -> dict[str, Any]:
    """The conversation a mention is in, as its notification names it (a row of
    MENTIONED_CONVERSATION_FIELDS): the page opens it by ``channel`` and ``id``."""
    return {
        "id": row["id"],
        "channel": row["channel"],
        "reply_to": row["reply_to"],
        "contact": (
            {"id": row["contact_id"], "name": row["contact_name"] or ""}
            if row["contact_id"] is not None
            else None
        ),
        "subject": row["subject"],
    }
