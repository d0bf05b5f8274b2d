import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.statuses import StatusLadder
from outbox.models import DeliveryAttempt, OutboxRecord

# RFC 5322 caps a header line at 998 characters; a subject must fit on one.
SUBJECT_MAX_LENGTH = 998
BODY_MAX_LENGTH = 100_000
RECIPIENTS_MAX = 50  # per cc and per bcc list


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    DROPPED = "dropped", "Dropped"
    FAILED = "failed", "Failed"


# Statuses only move up (core.statuses); the outcomes share the top rung.
STATUS_LADDER = StatusLadder(
    {
        EmailStatus.QUEUED: 0,
        EmailStatus.SENDING: 1,
        EmailStatus.SENT: 2,
        EmailStatus.DELIVERED: 3,
        EmailStatus.BOUNCED: 3,
        EmailStatus.DROPPED: 3,
        EmailStatus.FAILED: 3,
    }
)


class Email(OutboxRecord):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    to_email = models.EmailField()
    from_email = models.EmailField()
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField(help_text="The plain-text part.")
    html_content = models.TextField(blank=True, help_text="The optional HTML part.")
    # Lists of addresses. JSON rather than a Postgres array so the development SQLite
    # fallback runs the same migrations.
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    reply_to = models.EmailField(blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="Metadata only: filename, type and size."
    )
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    # SendGrid's X-Message-Id once SendGrid has accepted the email.
    provider_message_id = models.CharField(max_length=128, unique=True, null=True, blank=True)
    provider_response = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=EmailStatus.values), name="email_status_valid"
            ),
            # A line break in a subject would let a caller inject headers.
            models.CheckConstraint(
                condition=~models.Q(subject__contains="\n") & ~models.Q(subject__contains="\r"),
                name="email_subject_single_line",
            ),
            models.CheckConstraint(condition=~models.Q(subject=""), name="email_subject_not_empty"),
        ]
        indexes = [
            # The email list: newest first, keyset-paginated on (time, id).
            models.Index(fields=["-created_at", "-id"], name="email_recent_idx"),
            # The sweeper: the few emails still waiting for or in a provider call.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="email_outbox_idx",
            ),
        ]

    def __str__(self):
        return f"{self.to_email}: {self.subject[:60]}"


class EmailAttempt(DeliveryAttempt):
    email = models.ForeignKey(Email, on_delete=models.CASCADE, related_name="attempts")

    class Meta(DeliveryAttempt.Meta):
        pass


class EmailEvent(models.Model):
    """One event from SendGrid's Event Webhook, kept with its raw payload.

    Providers deliver events at least once, and SendGrid's event id may change between
    retries, so an event is also recognised by its natural key (the message id as reported,
    event, time and recipient).
    """

    email = models.ForeignKey(
        Email, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    event = models.CharField(max_length=32)
    provider_event_id = models.CharField(max_length=128, unique=True, null=True, blank=True)
    provider_message_id = models.CharField(max_length=256, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider_message_id", "event", "occurred_at", "recipient"],
                name="email_event_natural_key",
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.recipient}"
