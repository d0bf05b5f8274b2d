"""A broadcast: one text sent to many people, each in their own conversation.

Its recipients are listed when it is created (BroadcastRecipient), each one's address
normalised, and those who may not be messaged (opted out, invalid, listed twice) marked
skipped then and counted; a task then creates each remaining recipient's message through
its channel's own send (broadcasts.services.broadcast_prepare), and the outbox delivers
them as any other. Its counts come from its recipients and its records (records carry its
id: outbox.models.OutboxRecord.broadcast_id).
"""

import uuid

from django.conf import settings
from django.db import models

from contacts.models import Contact
from core.models import TimestampedModel

NAME_MAX_LENGTH = 200


class BroadcastChannel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class BroadcastStatus(models.TextChoices):
    PREPARING = "preparing", "Preparing"  # its messages are being created
    SENDING = "sending", "Sending"  # all created; the outbox is sending them
    PAUSED = "paused", "Paused"
    DONE = "done", "Done"
    CANCELED = "canceled", "Canceled"


class Broadcast(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    channel = models.CharField(max_length=8, choices=BroadcastChannel.choices)
    subject = models.CharField(max_length=998, blank=True)
    # The text as written, with its variables ({{contact.first_name}}); the SMS footer is
    # added to each message, not here.
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=BroadcastStatus.choices, default=BroadcastStatus.PREPARING
    )
    send_at = models.DateTimeField(null=True, blank=True)
    # Pacing (SMS_SENDER_RATE): each message is due when the segments before it have had
    # their time, counted from pace_start (send_at, now, or when it was resumed).
    pace_start = models.DateTimeField()
    paced_segments = models.PositiveIntegerField(default=0)
    # Why it is paused, in words (a daily limit reached, or who paused it).
    pause_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="broadcast_recent_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=BroadcastChannel.values),
                name="broadcast_channel_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=BroadcastStatus.values),
                name="broadcast_status_valid",
            ),
        ]

    def __str__(self):
        return self.name


class RecipientOutcome(models.TextChoices):
    PENDING = "pending", "Waiting for its message"
    CREATED = "created", "Message created"
    SKIPPED_OPTED_OUT = "skipped_opted_out", "Skipped: opted out"
    SKIPPED_INVALID = "skipped_invalid", "Skipped: invalid"
    SKIPPED_DUPLICATE = "skipped_duplicate", "Skipped: listed twice"
    CANCELED = "canceled", "Canceled with the broadcast"


class BroadcastRecipient(models.Model):
    """One person a broadcast was addressed to, in the order given."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="recipients")
    position = models.PositiveIntegerField()
    # E.164 or a lower-cased address; as given when it could not be read.
    address = models.CharField(max_length=320)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The variables of its row (a CSV upload), by name: {{contact.<name>}}.
    variables = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(
        max_length=24, choices=RecipientOutcome.choices, default=RecipientOutcome.PENDING
    )
    detail = models.TextField(blank=True, help_text="Why it was skipped.")
    # The message or email created for it.
    record_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["broadcast", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "position"], name="broadcast_recipient_position_unique"
            ),
            # Each person is messaged once: no address twice among those it messages.
            models.UniqueConstraint(
                fields=["broadcast", "address"],
                condition=models.Q(outcome__in=["pending", "created"]),
                name="broadcast_recipient_once",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=RecipientOutcome.values),
                name="broadcast_recipient_outcome_valid",
            ),
        ]
        indexes = [
            # What preparation takes next, and the counts of each outcome.
            models.Index(fields=["broadcast", "outcome", "position"], name="broadcast_outcome_idx"),
        ]

    def __str__(self):
        return f"{self.address} ({self.get_outcome_display()})"
