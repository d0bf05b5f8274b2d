from django.tasks import task

from emails.delivery import email_outbox


@task()
def send_email(email_id: str) -> dict[str, int]:
    """Deliver an outbound email, and every other one due (outbox.engine.Outbox.drain: the
    claim/send/record flow, many calls at once). Answers how many ended how."""
    return email_outbox.drain()
