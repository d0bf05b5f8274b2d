"""The inbox events of team state (core.realtime), always after the commit.

A conversation's own event is its channel's: an SMS conversation goes out as messaging's
``conversation.updated``, an email thread as emails' ``email_thread.updated``, each in the
shape of its list. The channel apps sit above this one, so each registers how it
publishes its conversations (``register``, from its AppConfig.ready), as contacts.timeline
has its sources registered.

Events to every inbox never carry one user's unread count; a user's read mark goes to
their own pages only (``conversation.read``).
"""

from collections.abc import Callable, Iterable

from conversations.models import Activity
from conversations.representation import (
    ACTIVITY_FIELDS,
    activity_data,
    mentioned_conversation_data,
    note_data,
)
from conversations.selectors import mentioned_conversation_row, note_row
from core.realtime import publish_on_commit, user_group

_publishers: dict[str, Callable[[object], None]] = {}


def register(channels: Iterable[str], publish: Callable[[object], None]) -> None:
    """``publish(conversation_id)`` tells every inbox, after the commit, that a conversation
    on one of ``channels`` changed (its list item, as everyone sees it)."""
    for channel in channels:
        _publishers[channel] = publish


def publish_conversation_changed(conversation_id, *, channel: str) -> None:
    publish = _publishers.get(channel)
    if publish is not None:
        publish(conversation_id)


def publish_activity_created(activity_id: int) -> None:
    def build():
        row = Activity.objects.filter(pk=activity_id).values(*ACTIVITY_FIELDS).first()
        if row is None:
            return None
        return {"type": "activity.created", "activity": activity_data(row)}

    publish_on_commit(build)


def publish_conversation_read(*, user_id, conversation_id, inbound_read: int) -> None:
    """``user_id`` read the conversation up to ``inbound_read`` inbound messages: their
    other pages show it read too."""
    publish_on_commit(
        lambda: {
            "type": "conversation.read",
            "conversation_id": conversation_id,
            "inbound_read": inbound_read,
        },
        group=user_group(user_id),
    )


def publish_note_created(note_id, *, conversation_id, notify: Iterable[int]) -> None:
    """A note was added: every inbox gets ``note.created``, and each teammate in ``notify``
    (those it mentions) a ``mention`` on their own pages, naming the conversation.

    The note and its conversation are read once after the commit, however many hear of it.
    """
    read: dict[str, dict | None] = {}

    def note() -> dict | None:
        if "note" not in read:
            row = note_row(note_id=note_id)
            read["note"] = None if row is None else note_data(row)
        return read["note"]

    def note_created() -> dict | None:
        data = note()
        return None if data is None else {"type": "note.created", "note": data}

    def mention() -> dict | None:
        data = note()
        if data is None:
            return None
        if "conversation" not in read:
            row = mentioned_conversation_row(conversation_id=conversation_id)
            read["conversation"] = None if row is None else mentioned_conversation_data(row)
        if read["conversation"] is None:
            return None
        return {"type": "mention", "note": data, "conversation": read["conversation"]}

    publish_on_commit(note_created)
    for user_id in notify:
        publish_on_commit(mention, group=user_group(user_id))
