"""A broadcast as the API, the command and the inbox's events show it."""

from typing import Any

from broadcasts.models import Broadcast
from broadcasts.selectors import broadcast_counts, broadcast_timing
from team.selectors import display_name


def broadcast_data(broadcast: Broadcast) -> dict[str, Any]:
    counts = broadcast_counts(broadcast)
    user = broadcast.created_by
    return {
        "id": broadcast.id,
        "name": broadcast.name,
        "channel": broadcast.channel,
        "subject": broadcast.subject,
        "body": broadcast.body,
        "status": broadcast.status,
        "pause_reason": broadcast.pause_reason,
        "send_at": broadcast.send_at,
        "created_at": broadcast.created_at,
        "updated_at": broadcast.updated_at,
        "created_by": None if user is None else {"id": user.pk, "name": display_name(user)},
        "counts": counts,
        **broadcast_timing(broadcast, counts),
    }
