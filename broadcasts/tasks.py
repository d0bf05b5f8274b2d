from django.tasks import task

from broadcasts import services

# Ahead of the delivery tasks already queued (one per API send): each of those drains every
# due record anyway, the broadcast's included, once its messages exist (measured: at 1M
# messages, behind the 2,400 tasks of a busy minute, a broadcast began 31 s late).
PREPARE_PRIORITY = 10


@task(priority=PREPARE_PRIORITY)
def prepare_broadcast(broadcast_id: str) -> str:
    """Create a broadcast's messages (broadcasts.services.broadcast_prepare), handing on
    to a next task when it runs long."""
    return services.broadcast_prepare(broadcast_id=broadcast_id)
