"""What every outbox record shares: the abstract models of a record's delivery and its attempts.

Each channel's concrete models (messaging.Message, emails.Email) inherit these; the engine
(outbox.engine) reads and writes only the columns defined here.
"""

from django.db import models

from core.models import TimestampedModel


class OutboxRecord(TimestampedModel):
    """A record the outbox delivers. Concrete models add ``status`` (whose values include
    scheduled, queued, sending, sent, failed and canceled), ``provider_message_id``
    (unique, null until sent) and ``error_code`` in their own types."""

    error_message = models.TextField(blank=True)
    # How often a worker claimed it, when it is next due, when it was last claimed.
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The time a scheduled record was asked to go out ("send_at"); null for a send now.
    # next_attempt_at is when it is due, which quiet hours may hold later than this.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # The broadcast it was sent for (broadcasts.Broadcast), if any. A plain id rather than
    # a foreign key: the broadcasts app sits above both channel apps and they never import
    # it. Its records tell open inboxes of their progress together, not one by one.
    broadcast_id = models.UUIDField(null=True, blank=True)

    class Meta:
        abstract = True


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed for good"
    INTERRUPTED = "interrupted", "Interrupted (worker stopped)"


class DeliveryAttempt(models.Model):
    """One call to a provider for one record: when, how long, and what came of it."""

    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.get_outcome_display()} at {self.started_at:%Y-%m-%d %H:%M:%S}"
