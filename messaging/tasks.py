from django.tasks import task

from messaging.delivery import sms_outbox


@task()
def send_message(message_id: str) -> str:
    """Deliver one outbound SMS (see outbox.engine for the claim/send/record flow)."""
    return sms_outbox.deliver(message_id)
