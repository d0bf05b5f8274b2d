from django.db import models
from django.utils import timezone


class TimestampedModel(models.Model):
    """Creation and last-change times, timezone-aware, for every Hatch record."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

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
