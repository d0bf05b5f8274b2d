from django.tasks import task

from messaging import services
from messaging.delivery import sms_outbox


@task()
def send_message(message_id: str) -> dict[str, int]:
    """Deliver an outbound SMS, and every other one due (outbox.engine.Outbox.drain: the
    claim/send/record flow, many calls at once). Answers how many ended how."""
    return sms_outbox.drain()


@task()
def download_message_media(message_id: str) -> str:
    """Download one inbound MMS's media into Hatch's storage (retried with a backoff by the
    service itself; see messaging.services.message_media_download)."""
    return services.message_media_download(message_id=message_id)
