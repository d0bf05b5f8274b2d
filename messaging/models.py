import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.utils import timezone

from attachments.models import Attachment

# The conversation lives below both channel apps; messaging's modules read it from here.
from conversations.models import PREVIEW_LENGTH, Conversation  # noqa: F401
from core.contacts import CONTACT_MAX_LENGTH
from core.statuses import StatusLadder
from outbox.models import DeliveryAttempt, OutboxRecord

BODY_MAX_LENGTH = 1600  # Twilio refuses longer bodies (error 21617)
# The body of an inbound MMS that came without text, and the preview of any message that
# carries only media: the conversation list has a line to show.
MEDIA_ONLY_BODY = "(media message)"


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    INTERNAL = "internal", "Internal"


class Direction(models.TextChoices):
    # Twilio's vocabulary, so provider payloads and Hatch records read alike.
    OUTBOUND = "outbound-api", "Outbound"
    INBOUND = "inbound", "Inbound"


class MessageStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"
    CANCELED = "canceled", "Canceled"


class MediaStatus(models.TextChoices):
    """Where an inbound MMS's media stand. Twilio keeps them behind its credentials and
    deletes them in time, so the worker downloads each into Hatch's storage
    (messaging.services.message_media_download); the inbox shows only those copies."""

    NONE = "", "Nothing to download"
    PENDING = "pending", "Downloading"
    DOWNLOADED = "downloaded", "Downloaded"
    # Some could not be downloaded (gone, refused, or still failing after the last
    # attempt): error_message says which and why; the others are stored.
    FAILED = "failed", "Not all downloaded"


# Statuses only move up (core.statuses). The terminal statuses share the top rung: the
# first one to arrive wins. A scheduled message is claimed straight to "sending" when due.
STATUS_LADDER = StatusLadder(
    {
        MessageStatus.SCHEDULED: 0,
        MessageStatus.QUEUED: 1,
        MessageStatus.SENDING: 2,
        MessageStatus.SENT: 3,
        MessageStatus.DELIVERED: 4,
        MessageStatus.UNDELIVERED: 4,
        MessageStatus.FAILED: 4,
        MessageStatus.RECEIVED: 4,
        MessageStatus.CANCELED: 4,
    }
)


# What the full-text index of messages reads (message_text_idx, migration 0011): searches
# pass exactly this to core.search, or PostgreSQL cannot use the index.
SEARCHED_TEXT = ("body",)


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
    # Inbound MMS: [{"url": ..., "content_type": ...}, ...] as Twilio sent them. The inbox
    # never shows these URLs (they need Twilio's credentials): it shows the attachments.
    media = models.JSONField(default=list, blank=True)
    # The message's files, in order (MessageAttachment.position): an outbound MMS's media,
    # sent to Twilio as public URLs at each attempt, or an inbound MMS's media once
    # downloaded, each at the index Twilio gave it.
    attachments = models.ManyToManyField(
        Attachment, through="MessageAttachment", related_name="+", blank=True
    )
    # Inbound MMS only. The download's attempts use the outbox's columns, which an inbound
    # message has no other use for: attempt_count counts them, next_attempt_at is when the
    # next is due (while one runs: when the sweeper may take it for lost).
    media_status = models.CharField(
        max_length=16,
        choices=MediaStatus.choices,
        default=MediaStatus.NONE,
        db_default=MediaStatus.NONE,  # seed_demo's COPY leaves the column out
        blank=True,
    )
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
            # Text, or media (an MMS may carry only pictures), and never more than Twilio takes.
            models.CheckConstraint(
                condition=models.Q(models.lookups.LessThanOrEqual(Length("body"), BODY_MAX_LENGTH))
                & (
                    models.Q(models.lookups.GreaterThanOrEqual(Length("body"), 1))
                    | models.Q(num_media__gt=0)
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
        # Besides these, in the database only (core.search.add_search_index, PostgreSQL):
        # message_text_idx, GIN over to_tsvector(SEARCHED_TEXT): /api/search's messages and
        # the conversation list's ?q=.
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
            # The claim and the sweeper: the few messages still waiting for or in a provider
            # call, scheduled ones included.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["scheduled", "queued", "sending"]),
                name="message_outbox_idx",
            ),
            # The claim: the waiting records, oldest due first (Outbox.claim_due).
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["scheduled", "queued"]),
                name="message_due_idx",
            ),
            # A broadcast's messages by status: its counts (broadcasts.selectors).
            models.Index(
                fields=["broadcast_id", "status"],
                condition=models.Q(broadcast_id__isnull=False),
                name="message_broadcast_idx",
            ),
            # The conversation list's "scheduled" filter.
            models.Index(
                fields=["conversation"],
                condition=models.Q(status="scheduled"),
                name="message_scheduled_idx",
            ),
            # The sweeper: the few inbound MMS whose media are still to be downloaded.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(media_status="pending"),
                name="message_media_pending_idx",
            ),
        ]

    def __str__(self):
        return f"{self.from_contact} → {self.to_contact}: {self.body[:40]}"


class MessageAttachment(models.Model):
    """One file of a message, in its place (``position``, from 0): an outbound MMS's media
    in the order they were attached, an inbound MMS's at its index in ``Message.media``."""

    # No index of its own: message_attachment_position_unique starts with it.
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachment_links", db_index=False
    )
    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["message", "position"]
        constraints = [
            # Also what keeps a media item from being stored twice by two downloads at once.
            models.UniqueConstraint(
                fields=["message", "position"], name="message_attachment_position_unique"
            ),
        ]

    def __str__(self):
        return f"{self.message_id} #{self.position}: {self.attachment_id}"


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


class SmsDailyCount(models.Model):
    """How many SMS Hatch accepted on one day (in TIME_ZONE): from one user (``user_key``
    their id), or from everyone together (``user_key`` 0). Kept for the daily limits
    (messaging.limits); a row per user per day, written by one upsert per send."""

    day = models.DateField()
    user_key = models.BigIntegerField(help_text="The user's id; 0: everyone together.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "user_key"], name="sms_daily_count_unique"),
        ]

    def __str__(self):
        return f"{self.day}: {self.count} ({self.user_key or 'everyone'})"
