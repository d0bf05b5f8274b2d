from django.tasks import task


@task()
def send_email(email_id: str) -> str:
    """Deliver one outbound email (see hatch.delivery for the claim/send/record flow)."""
    from emails.services import email_deliver

    return email_deliver(email_id=email_id)
