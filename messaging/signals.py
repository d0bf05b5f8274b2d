"""The messaging app's own signal, and its one receiver: how a stored SMS gets sent.

``outbound_message_stored`` is sent by messaging.services.message_send when it has stored an
outbound SMS in the queue, with ``sender=Message``, ``message_id`` and ``run_after`` (when
a scheduled one is due; None to send at once). Its receiver below
enqueues the delivery task once the transaction commits: nothing is enqueued for a
transaction that rolls back, and a worker never looks for a row it cannot see yet. If the
enqueue itself fails, the message stays "queued" and the sweeper enqueues it again.
"""

from django.db import transaction
from django.dispatch import Signal, receiver

from messaging.delivery import sms_outbox
from messaging.models import Message

outbound_message_stored = Signal()


@receiver(outbound_message_stored, sender=Message, dispatch_uid="messaging.enqueue_outbound_sms")
def enqueue_outbound_sms(sender, *, message_id, run_after=None, **kwargs) -> None:
    # A scheduled message's task waits for its time (where the task backend can defer).
    transaction.on_commit(lambda: sms_outbox.enqueue(message_id, run_after=run_after), robust=True)
