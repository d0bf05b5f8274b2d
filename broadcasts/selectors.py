"""Every read of broadcasts: one, a list, and how each stands (its counts)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, QuerySet

from broadcasts.models import Broadcast, BroadcastChannel, RecipientOutcome
from broadcasts.templates import BroadcastText
from core.queries import get_by_uuid
from emails.models import Email
from messaging.models import Message
from messaging.segments import count_segments

# Twilio fails an SMS that waited in its own queue longer than about this (errors 30001,
# 21611): a paced broadcast that would outlast it is warned about.
PROVIDER_QUEUE_WINDOW = timedelta(hours=10)

# Each record status, by the count it adds to.
_STATUS_COUNTS = {
    "scheduled": "scheduled",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "bounced": "failed",
    "dropped": "failed",
    "canceled": "canceled",
}
COUNT_KEYS = (
    "total",
    "scheduled",
    "queued",
    "sent",
    "delivered",
    "failed",
    "canceled",
    # Of "scheduled": the recipients whose message is still to be created.
    "preparing",
    "skipped_opted_out",
    "skipped_invalid",
    "skipped_duplicate",
)


def broadcast_list() -> QuerySet[Broadcast]:
    """Newest first, for keyset pagination on (created_at, id)."""
    return Broadcast.objects.select_related("created_by").order_by("-created_at", "-id")


def broadcast_get(*, broadcast_id: object) -> Broadcast:
    return get_by_uuid(
        Broadcast.objects.select_related("created_by"), broadcast_id, noun="broadcast"
    )


def broadcast_counts(broadcast: Broadcast) -> dict[str, int]:
    """How many of its recipients stand where: two grouped queries (its recipients by
    outcome, its records by status), each through its index."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    outcomes = broadcast.recipients.values_list("outcome").annotate(n=Count("id")).order_by()
    for outcome, n in outcomes:
        counts["total"] += n
        if outcome == RecipientOutcome.PENDING:
            counts["scheduled"] += n
            counts["preparing"] += n
        elif outcome == RecipientOutcome.CANCELED:
            counts["canceled"] += n
        elif outcome != RecipientOutcome.CREATED:
            counts[outcome] += n
    model = Message if broadcast.channel == BroadcastChannel.SMS else Email
    statuses = (
        model.objects.filter(broadcast_id=broadcast.id)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, n in statuses:
        counts[_STATUS_COUNTS.get(status, "queued")] += n
    return counts


def broadcast_timing(broadcast: Broadcast, counts: dict[str, int]) -> dict:
    """When a paced SMS broadcast is expected to have handed its last message to Twilio,
    and a warning when that is past the provider's queue window."""
    rate = settings.SMS_SENDER_RATE
    if broadcast.channel != BroadcastChannel.SMS or not rate:
        return {"expected_finish": None, "warning": ""}
    pending = counts["scheduled"] + counts["queued"]
    if not pending:
        return {"expected_finish": None, "warning": ""}
    # What is paced already, and the recipients still to prepare at that average.
    prepared = max(counts["total"] - counts["preparing"], 1)
    average = max(broadcast.paced_segments / prepared, 1)
    segments = broadcast.paced_segments + average * counts["preparing"]
    seconds = segments / rate
    return {
        "expected_finish": broadcast.pace_start + timedelta(seconds=seconds),
        "warning": queue_window_warning(seconds),
    }


def queue_window_warning(seconds: float) -> str:
    """A warning when pacing spreads a broadcast past the provider's queue window."""
    window = PROVIDER_QUEUE_WINDOW.total_seconds()
    if seconds <= window:
        return ""
    return (
        f"At {settings.SMS_SENDER_RATE:g} segments a second (SMS_SENDER_RATE) this "
        f"broadcast takes {seconds / 3600:.1f} hours; Twilio fails what waits in its queue "
        f"longer than about {window / 3600:.0f}. Send it to fewer people at a time, or add "
        "senders."
    )


def broadcast_preview(text: BroadcastText, recipients: list) -> dict:
    """What a broadcast of ``text`` to ``recipients`` would send (nothing is stored)."""
    sending = [r for r in recipients if r.outcome == RecipientOutcome.PENDING]
    skipped = {
        key: sum(1 for r in recipients if r.outcome == key)
        for key in ("skipped_opted_out", "skipped_invalid", "skipped_duplicate")
    }
    sample = sending[0] if sending else None
    body = text.body_for(sample.variables) if sample else text.body_for({})
    segments = count_segments(body).segments if text.is_sms else 0
    total = (
        sum(count_segments(text.body_for(r.variables)).segments for r in sending)
        if text.is_sms
        else 0
    )
    rate = settings.SMS_SENDER_RATE if text.is_sms else 0
    seconds = total / rate if rate else None
    return {
        "recipients": len(sending),
        "skipped": skipped,
        "sample": {
            "address": sample.address if sample else "",
            "subject": text.subject_for(sample.variables if sample else {}),
            "body": body,
        },
        "segments": segments,
        "total_segments": total,
        "expected_seconds": seconds,
        "warning": queue_window_warning(seconds) if seconds else "",
    }
