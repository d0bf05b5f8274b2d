"""How a stored outbound email reaches the outbox: the app's own signal and its receiver.

``outbound_email_stored`` is sent by emails.services.email_send, inside the transaction
that stored a new outbound email, as ``send(sender=Email, email_id=<its id>, run_after=<when
a scheduled one is due, or None>)``. Its one receiver below enqueues the email's delivery
task once that transaction commits.
"""

from django.db import transaction
from django.dispatch import Signal, receiver

from emails.delivery import email_outbox
from emails.models import Email

outbound_email_stored = Signal()


@receiver(outbound_email_stored, sender=Email, dispatch_uid="emails.enqueue_outbound_email")
def enqueue_outbound_email(sender, *, email_id, run_after=None, **kwargs) -> None:
    """Queue the email's delivery once its transaction commits (never before, and never
    for one that rolls back); a scheduled one's for its time.

    If the enqueue itself fails, the email stays waiting and the sweeper enqueues it again.
    """
    transaction.on_commit(lambda: email_outbox.enqueue(email_id, run_after=run_after), robust=True)
