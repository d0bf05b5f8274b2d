from django.tasks import task


@task()
def send_message(message_id: str) -> str:
    """Deliver one outbound SMS (see hatch.delivery for the claim/send/record flow)."""
    from messaging.services import message_deliver

    return message_deliver(message_id=message_id)
