"""What the reports read: hourly counts of messages and emails, and each first reply.

Both are kept by the refresh (reports.services.reports_refresh), never by a send: a row
updated inside every send's transaction would make concurrent sends wait on each other
(a hot row). The refresh counts again the last REPORTS_RECOUNT_HOURS hours, when statuses
still change (delivery receipts, bounces), and records when it ran (RefreshState).
"""

from django.conf import settings
from django.db import models

from conversations.models import Conversation


class ReportChannel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    INTERNAL = "internal", "Internal"


class CountDirection(models.TextChoices):
    # One vocabulary for both channels (an SMS's "outbound-api" is counted as "outbound").
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class HourlyCount(models.Model):
    """How many messages (or emails) were created in one UTC hour with this channel,
    direction, status and error code, as they stood at the last refresh.

    A whole-hour bucket belongs to the local day it starts in: exact for TIME_ZONEs with
    whole-hour offsets; in one with a half-hour offset (India) an hour straddling local
    midnight counts in the day where it starts.
    """

    hour = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=ReportChannel.choices)
    direction = models.CharField(max_length=8, choices=CountDirection.choices)
    # The record's own status word (messaging.MessageStatus or emails.EmailStatus).
    status = models.CharField(max_length=16)
    # The provider's code as stored on the record ("" for none): Twilio's number for an
    # SMS, SendGrid's classification or HTTP status for an email.
    error_code = models.CharField(max_length=32, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also every report's index: a range of hours.
            models.UniqueConstraint(
                fields=["hour", "channel", "direction", "status", "error_code"],
                name="hourly_count_key",
            ),
        ]

    def __str__(self):
        return (
            f"{self.hour:%Y-%m-%d %H}h {self.channel} {self.direction} {self.status}: {self.count}"
        )


class FirstReply(models.Model):
    """A person's first reply to someone waiting: the time to first reply of one wait.

    A wait starts at the first inbound message of a conversation, or the first since it
    was last closed; it ends at the next outbound message a teammate sent (``sent_by``
    set). Each wait has at most one first reply; SMS and email only (an internal
    conversation has nobody waiting outside the team).
    """

    # The reply: a messaging.Message or an emails.Email, by id (the two channel apps'
    # tables; no foreign key to either).
    reply_id = models.UUIDField(unique=True)
    channel = models.CharField(max_length=16, choices=ReportChannel.choices)
    # Also what deletes the conversation's replies with it.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    # Who replied; null once their user is deleted.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    waited_from = models.DateTimeField()
    replied_at = models.DateTimeField()
    seconds = models.FloatField()

    class Meta:
        verbose_name_plural = "first replies"
        indexes = [
            # The response-time report: the replies of a date range.
            models.Index(fields=["replied_at"], name="first_reply_time_idx"),
        ]

    def __str__(self):
        return f"{self.channel} reply {self.reply_id} after {self.seconds:.0f} s"


class RefreshState(models.Model):
    """The one row saying when the counts were last refreshed (the reports' "refreshed_at")
    and when the sweeper last asked for a refresh."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # When the last refresh started: what it counted is what had been stored by then. Also
    # its watermark: the next refresh counts again from REPORTS_RECOUNT_HOURS before it.
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # How long it took, in seconds.
    duration = models.FloatField(null=True, blank=True)
    # When the sweeper last enqueued a refresh: it enqueues none again while one waits.
    enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="refresh_state_singleton"),
        ]

    def __str__(self):
        return f"Refreshed at {self.refreshed_at}" if self.refreshed_at else "Never refreshed"
