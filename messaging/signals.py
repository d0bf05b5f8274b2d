from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from messaging.models import Channel, Direction, Message, MessageStatus


@receiver(post_save, sender=Message, dispatch_uid="messaging.enqueue_outbound_sms")
def enqueue_outbound_sms(sender, instance: Message, created: bool, **kwargs) -> None:
    """A new outbound SMS is queued for delivery once its transaction commits.

    Nothing is enqueued for a transaction that rolls back. If the enqueue itself fails, the
    message stays "queued" and the sweeper enqueues it again.
    """
    if not (
        created
        and instance.channel == Channel.SMS
        and instance.direction == Direction.OUTBOUND
        and instance.status == MessageStatus.QUEUED
    ):
        return
    from messaging.delivery import sms_outbox

    transaction.on_commit(lambda: sms_outbox.enqueue(instance.pk), robust=True)
