"""The inbox event of a broadcast's progress: about once a second while it is sent, not
one per message (its messages tell the inbox nothing of themselves: outbox.engine)."""

import threading
import time

from core.realtime import publish_on_commit

# At most one progress event a second per broadcast from each process (forced ones, when
# it starts, pauses, resumes, ends, always go).
PROGRESS_INTERVAL_SECONDS = 1.0
_last_published: dict = {}
_lock = threading.Lock()


def publish_broadcast_progress(broadcast_id, *, force: bool = False) -> None:
    """Tell open inboxes how the broadcast stands, after the commit, unless this process
    told them less than a second ago."""
    now = time.monotonic()
    with _lock:
        if not force and now - _last_published.get(broadcast_id, 0.0) < PROGRESS_INTERVAL_SECONDS:
            return
        _last_published[broadcast_id] = now

    def build():
        from broadcasts.representation import broadcast_data
        from broadcasts.selectors import broadcast_get

        return {
            "type": "broadcast.progress",
            "broadcast": broadcast_data(broadcast_get(broadcast_id=broadcast_id)),
        }

    publish_on_commit(build)
