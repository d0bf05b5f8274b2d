from django.tasks import task

from conversations import services


@task()
def end_snoozes() -> int:
    """Open again the conversations whose snooze has ended (conversations.services)."""
    return services.snoozes_end()
