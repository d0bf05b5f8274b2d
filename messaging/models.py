import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.utils import timezone

from core.contacts import CONTACT_MAX_LENGTH
from core.models import TimestampedModel
from core.statuses import StatusLadder
from outbox.models import DeliveryAttempt, OutboxRecord

BODY_MAX_LENGTH = 1600  # Twilio refuses longer bodies (error 21617)
PREVIEW_LENGTH = 120


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    INTERNAL = "internal", "Internal"


class Direction(models.TextChoices):
    # Twilio's vocabulary, so provider payloads and Hatch records read alike.
    OUTBOUND = "outbound-api", "Outbound"
    INBOUND = "inbound", "Inbound"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"


# Statuses only move up (core.statuses). The three terminal statuses share the top rung:
# the first one to arrive wins.
STATUS_LADDER = StatusLadder(
    {
        MessageStatus.QUEUED: 0,
        MessageStatus.SENDING: 1,
        MessageStatus.SENT: 2,
        MessageStatus.DELIVERED: 3,
        MessageStatus.UNDELIVERED: 3,
        MessageStatus.FAILED: 3,
        MessageStatus.RECEIVED: 3,
    }
)


class Conversation(TimestampedModel):
    """The thread between two contacts, with a summary of it kept on the row.

    The id is derived from the two normalised contacts (core.contacts.conversation_id_for).
    The summary columns are updated in the same transaction as every new message, so the
    conversation list reads this table alone and never aggregates over messages.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    # The two normalised contacts, in sorted order.
    participant_a = models.CharField(max_length=CONTACT_MAX_LENGTH)
    participant_b = models.CharField(max_length=CONTACT_MAX_LENGTH)
    # Seen from Hatch's side as of the latest message: who a reply goes to, and who we are.
    reply_to = models.CharField(max_length=CONTACT_MAX_LENGTH)
    own_contact = models.CharField(max_length=CONTACT_MAX_LENGTH)
    has_phone_numbers = models.BooleanField()
    last_message_at = models.DateTimeField()
    last_message_preview = models.CharField(max_length=PREVIEW_LENGTH, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # Inbound messages nobody has opened yet; shared by the team, like the inbox itself.
    unread_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant_a", "participant_b"], name="conversation_unique_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(message_count__gte=0), name="conversation_count_not_negative"
            ),
        ]
        indexes = [
            # The conversation list: newest activity first, keyset-paginated on (time, id).
            models.Index(fields=["-last_message_at", "-id"], name="conversation_activity_idx"),
        ]

    def __str__(self):
        return f"{self.reply_to} ↔ {self.own_contact}"

    @property
    def channel(self) -> str:
        return Channel.SMS if self.has_phone_numbers else Channel.INTERNAL


class Message(OutboxRecord):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: message_thread_idx starts with it and serves every lookup, and
    # each index is one more write per stored message.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    to_contact = models.CharField(max_length=CONTACT_MAX_LENGTH)
    from_contact = models.CharField(max_length=CONTACT_MAX_LENGTH)
    body = models.TextField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    # Twilio's MessageSid once the provider has accepted the message.
    # Unique through message_provider_id_unique below: a constraint rather than unique=True,
    # which would add a second, pattern-matching index nobody queries. NULL, not "", until
    # sent, so that unsent messages do not collide on that constraint.
    provider_message_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    error_code = models.PositiveIntegerField(null=True, blank=True)
    num_segments = models.PositiveSmallIntegerField(default=1)
    num_media = models.PositiveSmallIntegerField(default=0)
    # Inbound MMS: [{"url": ..., "content_type": ...}, ...] as Twilio sent them.
    media = models.JSONField(default=list, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The Hatch user who sent an outbound message.",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider_message_id"], name="message_provider_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    models.lookups.GreaterThanOrEqual(Length("body"), 1),
                    models.lookups.LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                ),
                name="message_body_length",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="message_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(direction__in=Direction.values),
                name="message_direction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
            # Internal messages never leave the database: they are delivered when stored.
            models.CheckConstraint(
                condition=~models.Q(channel=Channel.INTERNAL)
                | models.Q(status=MessageStatus.DELIVERED),
                name="message_internal_is_delivered",
            ),
            # "received" belongs to inbound messages and only to them.
            models.CheckConstraint(
                condition=models.Q(direction=Direction.INBOUND, status=MessageStatus.RECEIVED)
                | (
                    models.Q(direction=Direction.OUTBOUND)
                    & ~models.Q(status=MessageStatus.RECEIVED)
                ),
                name="message_received_iff_inbound",
            ),
        ]
        indexes = [
            # A thread: the newest messages of one conversation, keyset-paginated on (time, id).
            models.Index(fields=["conversation", "-created_at", "-id"], name="message_thread_idx"),
            # Every message newest first: GET /api/messages and the admin's message list.
            models.Index(fields=["-created_at", "-id"], name="message_recent_idx"),
            # The conversation list's "failed" filter: the few messages that did not arrive.
            models.Index(
                fields=["conversation"],
                condition=models.Q(status__in=["failed", "undelivered"]),
                name="message_failed_idx",
            ),
            # The sweeper: the few messages still waiting for or in a provider call.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="message_outbox_idx",
            ),
        ]

    def __str__(self):
        return f"{self.from_contact} → {self.to_contact}: {self.body[:40]}"


class MessageAttempt(DeliveryAttempt):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")

    class Meta(DeliveryAttempt.Meta):
        pass


class MessageEvent(models.Model):
    """A status callback from Twilio, kept as received (also for unknown messages)."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    provider_message_id = models.CharField(max_length=64, blank=True)
    provider_status = models.CharField(max_length=32)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self):
        return f"{self.provider_message_id}: {self.provider_status}"


class OptOut(TimestampedModel):
    """A phone number that replied STOP (or made Twilio answer 21610): never send to it.

    The row is deleted when the number opts back in with START, YES or UNSTOP.
    """

    phone = models.CharField(max_length=CONTACT_MAX_LENGTH, unique=True)
    reason = models.CharField(max_length=64, help_text='e.g. "keyword STOP" or "Twilio 21610"')

    def __str__(self):
        return self.phone
