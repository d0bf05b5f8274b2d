from django.tasks import task

from broadcasts import services


@task()
def prepare_broadcast(broadcast_id: str) -> str:
    """Create a broadcast's messages (broadcasts.services.broadcast_prepare), handing on
    to a next task when it runs long."""
    return services.broadcast_prepare(broadcast_id=broadcast_id)
