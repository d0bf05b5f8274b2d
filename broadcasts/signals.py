"""The broadcasts app's receiver: the outbox's progress on a broadcast's records."""

from django.dispatch import receiver

from broadcasts.live import publish_broadcast_progress
from broadcasts.services import broadcast_finish_if_done
from outbox.engine import records_progressed


@receiver(records_progressed, dispatch_uid="broadcasts.progress")
def broadcast_records_progressed(sender, *, broadcast_ids, **kwargs) -> None:
    """Some of these broadcasts' records changed status: mark a broadcast done when its
    last one went, and tell open inboxes (at most once a second, and always at the end)."""
    for broadcast_id in broadcast_ids:
        finished = broadcast_finish_if_done(broadcast_id)
        publish_broadcast_progress(broadcast_id, force=finished)
