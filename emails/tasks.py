from django.tasks import task

from emails.delivery import email_outbox


@task()
def send_email(email_id: str) -> str:
    """Deliver one outbound email (see outbox.engine for the claim/send/record flow)."""
    return email_outbox.deliver(email_id)
