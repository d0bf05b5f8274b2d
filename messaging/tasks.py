from django.tasks import task

from messaging import services
from messaging.delivery import sms_outbox


@task()
def send_message(message_id: str) -> str:
    """Deliver one outbound SMS (see outbox.engine for the claim/send/record flow)."""
    return sms_outbox.deliver(message_id)


@task()
def download_message_media(message_id: str) -> str:
    """Download one inbound MMS's media into Hatch's storage (retried with a backoff by the
    service itself; see messaging.services.message_media_download)."""
    return services.message_media_download(message_id=message_id)
