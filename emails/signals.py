from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from emails.models import Email, EmailStatus


@receiver(post_save, sender=Email, dispatch_uid="emails.enqueue_outbound_email")
def enqueue_outbound_email(sender, instance: Email, created: bool, **kwargs) -> None:
    """A new email is queued for delivery once its transaction commits (never before).

    If the enqueue itself fails, the email stays "queued" and the sweeper enqueues it again.
    """
    if not (created and instance.status == EmailStatus.QUEUED):
        return
    from emails.delivery import email_outbox

    transaction.on_commit(lambda: email_outbox.enqueue(instance.pk), robust=True)
