"""A contact's timeline: everything said with one person, whatever the channel.

The records live in the channel apps (messages in messaging, emails in emails), which sit
above contacts and which contacts must not import. So each channel app registers a
*source* here from its ``AppConfig.ready()``, and the timeline asks every registered
source for its newest records and merges their pages into one.

The contract of a source (``TimelineSource``): called with a contact's id, a cursor
``before`` (a ``(created_at, id)`` pair, or None for the newest page) and a limit, it
answers at most ``limit`` items, newest first on ``(created_at, id)``, each strictly
before the cursor, for every record of that channel in a conversation or thread whose
contact is that one. Ordering and the cursor compare ids as PostgreSQL compares UUIDs
(byte by byte), which is how Python compares them too, so pages of several sources merge
without gaps or repeats.
"""

import heapq
import itertools
import uuid
from datetime import datetime
from typing import Protocol, TypedDict

type Cursor = tuple[datetime, uuid.UUID]


# One record of a contact's timeline, as the API answers it. Declared with the functional
# syntax because one key, "from", is a Python keyword.
TimelineItem = TypedDict(
    "TimelineItem",
    {
        "id": uuid.UUID,
        "channel": str,  # "sms", "internal" or "email"
        "direction": str,  # "inbound" or "outbound"
        "status": str,
        "created_at": datetime,
        "from": str,
        "to": str,
        "subject": str | None,  # an email's; None for messages
        "body": str,  # a preview: one line, shortened
        "conversation_id": uuid.UUID | None,  # an SMS or internal message's conversation
        "thread_id": uuid.UUID | None,  # an email's thread
    },
)


# A timeline item's body is a preview: enough to recognise it, not the whole text.
PREVIEW_LENGTH = 200


class TimelineSource(Protocol):
    def __call__(
        self, *, contact_id: uuid.UUID, before: Cursor | None, limit: int
    ) -> list[TimelineItem]: ...


_sources: dict[str, TimelineSource] = {}


def register(name: str, source: TimelineSource) -> None:
    """Add (or replace: ``ready()`` may run more than once in tests) a channel's source."""
    _sources[name] = source


def registered() -> dict[str, TimelineSource]:
    return dict(_sources)


def preview(text: str) -> str:
    """A record's text as the timeline shows it: one line, at most PREVIEW_LENGTH long."""
    return " ".join(text.split())[:PREVIEW_LENGTH]


def timeline_items(
    *, contact_id: uuid.UUID, before: Cursor | None, limit: int
) -> list[TimelineItem]:
    """The contact's ``limit`` newest items before ``before``, from every source, newest
    first. Each source is asked for ``limit`` items: whatever the mix, the merged page's
    items are among them."""
    pages = [
        source(contact_id=contact_id, before=before, limit=limit) for source in _sources.values()
    ]
    merged = heapq.merge(*pages, key=_sort_key, reverse=True)
    return list(itertools.islice(merged, limit))


def _sort_key(item: TimelineItem) -> Cursor:
    return item["created_at"], item["id"]
