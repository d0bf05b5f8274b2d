"""Inbox events: what services tell every open inbox, always after their commit.

Hatch is a team inbox, so every signed-in user's websocket joins one group. An event is
``{"type": "<kind>", "<kind's object>": {...}}`` in the same shape as the JSON API, so the
page renders pushed and fetched records alike.
"""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from rest_framework.utils.encoders import JSONEncoder

logger = logging.getLogger(__name__)

INBOX_GROUP = "inbox"


def publish_on_commit(build_event) -> None:
    """Publish ``build_event()`` once the current transaction commits (at once outside one).

    The event is built after the commit, from the committed rows. A failure to publish is
    logged and never undoes or fails the write: the page catches up when it reconnects.
    """

    def publish():
        try:
            event = build_event()
            if event is not None:
                # Serializer data still holds UUIDs and the like, which neither the Redis
                # layer (msgpack) nor the socket (json) can carry: send the JSON the API
                # renders, as plain values.
                event = json.loads(json.dumps(event, cls=JSONEncoder))
                async_to_sync(get_channel_layer().group_send)(
                    INBOX_GROUP, {"type": "inbox.event", "event": event}
                )
        except Exception:
            logger.exception("Could not publish an inbox event")

    transaction.on_commit(publish)
