"""Every write to broadcasts: create, prepare (each recipient's message), pause, resume,
cancel. Views, the command and the tasks call these.

A broadcast is created with its recipients in one transaction; a task then prepares it:
it creates each pending recipient's message through the channel's own send
(messaging.services.message_send, emails.services.email_send, with a BulkSend), so that
every rule of a single send holds for each (consent, country, quiet hours, the daily
limits), a recipient refused by one is skipped alone, and the broadcast pauses at a daily
limit. Recipients are taken a batch at a time with their rows locked (SKIP LOCKED), and
each one's message and outcome are written in one transaction: two preparations never
message a person twice, and one that dies loses nothing (the sweeper enqueues it again).

The outbox then sends the messages as any others. Each is due when the broadcast's pacing
(SMS_SENDER_RATE segments a second) lets it go; their deliveries are enqueued a stretch of
DELIVERY_DRAIN_SECONDS at a time, not one task per message.
"""

import functools
import logging
import time
from datetime import datetime, timedelta
from math import ceil

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from broadcasts.live import publish_broadcast_progress
from broadcasts.models import (
    NAME_MAX_LENGTH,
    Broadcast,
    BroadcastChannel,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientOutcome,
)
from broadcasts.recipients import Recipient
from broadcasts.templates import BroadcastText
from contacts.selectors import contact_time_zones
from core.errors import Conflict, TooManyRequests, ValidationError
from emails import services as email_services
from emails.delivery import email_outbox
from emails.models import Email
from messaging import services as sms_services
from messaging.delivery import sms_outbox
from messaging.models import Message
from messaging.segments import count_segments
from outbox.engine import DRAIN_ON, QUEUED, SCHEDULED, SENDING
from outbox.scheduling import PAUSED_UNTIL, BulkSend, bulk_plan, send_at_check

logger = logging.getLogger(__name__)

# Recipients prepared per transaction: their rows stay locked meanwhile.
PREPARE_BATCH = 50
# A preparation task gives its worker back after this long and enqueues the next.
PREPARE_SECONDS = 20


def outbox_for(channel: str):
    return sms_outbox if channel == BroadcastChannel.SMS else email_outbox


def record_model(channel: str):
    return Message if channel == BroadcastChannel.SMS else Email


def broadcast_create(
    *,
    name: str,
    channel: str,
    body: str,
    recipients: list[Recipient],
    subject: str = "",
    send_at: datetime | None = None,
    user: AbstractBaseUser | None = None,
) -> Broadcast:
    """Store a broadcast and its recipients (recipients_resolve's list, skips marked), and
    enqueue its preparation once this commits. Raises ValidationError naming the field."""
    name = name.strip()
    if not name:
        raise ValidationError(
            "Give the broadcast a name, e.g. 'December opening hours'.", field="name"
        )
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"'name' is at most {NAME_MAX_LENGTH} characters.", field="name")
    if channel not in BroadcastChannel.values:
        raise ValidationError("'channel' must be 'sms' or 'email'.", field="channel")
    text = BroadcastText(channel=channel, body=body, subject=subject, recipients=recipients)
    text.check()
    now = timezone.now()
    if send_at is not None:
        send_at = send_at_check(send_at, now=now)
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            name=name,
            channel=channel,
            subject=subject.strip(),
            body=body,
            send_at=send_at,
            pace_start=send_at or now,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        BroadcastRecipient.objects.bulk_create(
            (
                BroadcastRecipient(
                    broadcast=broadcast,
                    position=position,
                    address=recipient.address,
                    contact_id=recipient.contact_id,
                    variables=recipient.variables,
                    outcome=recipient.outcome,
                    detail=recipient.detail,
                )
                for position, recipient in enumerate(recipients)
            ),
            batch_size=2000,
        )
        transaction.on_commit(lambda: _enqueue_prepare(broadcast.id), robust=True)
    return broadcast


def broadcast_prepare(*, broadcast_id) -> str:
    """Create the messages of a broadcast's pending recipients, for PREPARE_SECONDS at
    most; return "done" (none left: the broadcast is sending), "more" (time is up: the
    next task goes on), "paused" (a daily limit was reached), or "stopped" (paused or
    canceled meanwhile, or no such broadcast)."""
    deadline = time.monotonic() + PREPARE_SECONDS
    while time.monotonic() < deadline:
        outcome, due = _prepare_batch(broadcast_id)
        _enqueue_deliveries(broadcast_id, due)
        if outcome != "more":
            return outcome
    _enqueue_prepare(broadcast_id)
    return "more"


def _prepare_batch(broadcast_id) -> tuple[str, list[datetime]]:
    due: list[datetime] = []
    with transaction.atomic():
        broadcast = (
            Broadcast.objects.select_for_update(of=("self",))
            .filter(id=broadcast_id, status=BroadcastStatus.PREPARING)
            .first()
        )
        if broadcast is None:
            return "stopped", due
        batch = list(
            BroadcastRecipient.objects.select_for_update(skip_locked=True)
            .filter(broadcast=broadcast, outcome=RecipientOutcome.PENDING)
            .order_by("position")[:PREPARE_BATCH]
        )
        if not batch:
            _sending_or_done(broadcast)
            publish_broadcast_progress(broadcast.id, force=True)
            return "done", due
        text = BroadcastText.of(broadcast)
        outcome = "more"
        for done, recipient in enumerate(batch):
            body = text.body_for(recipient.variables)
            segments = count_segments(body).segments if text.is_sms else 0
            due_at = _paced(broadcast, segments)
            try:
                with transaction.atomic():
                    record = _send(broadcast, recipient, body, text, due_at)
            except TooManyRequests as error:
                broadcast.status = BroadcastStatus.PAUSED
                broadcast.pause_reason = error.message
                # This one and those after it stay pending, for when it is resumed.
                batch, outcome = batch[:done], "paused"
                break
            except (ValidationError, Conflict) as error:
                recipient.outcome = (
                    RecipientOutcome.SKIPPED_OPTED_OUT
                    if isinstance(error, Conflict)
                    else RecipientOutcome.SKIPPED_INVALID
                )
                recipient.detail = error.message
            else:
                recipient.outcome = RecipientOutcome.CREATED
                recipient.record_id = record.pk
                broadcast.paced_segments += segments
                due.append(record.next_attempt_at)
        # One statement for the batch's outcomes, not one per recipient.
        BroadcastRecipient.objects.bulk_update(batch, ["outcome", "detail", "record_id"])
        broadcast.save(update_fields=["status", "pause_reason", "paced_segments", "updated_at"])
        publish_broadcast_progress(broadcast.id, force=outcome == "paused")
    return outcome, due


def _send(broadcast: Broadcast, recipient: BroadcastRecipient, body: str, text, due_at):
    bulk = BulkSend(broadcast_id=broadcast.id, due_at=due_at)
    if text.is_sms:
        return sms_services.message_send(
            to=recipient.address, body=body, user=broadcast.created_by, bulk=bulk
        )
    return email_services.email_send(
        to_email=recipient.address,
        subject=text.subject_for(recipient.variables),
        body=body,
        user=broadcast.created_by,
        bulk=bulk,
    )


def _paced(broadcast: Broadcast, segments: int) -> datetime:
    """When a message of ``segments`` may go after those already paced: SMS_SENDER_RATE
    segments a second from pace_start (or pace_start itself without a rate)."""
    rate = settings.SMS_SENDER_RATE
    start = max(broadcast.pace_start, timezone.now())
    if broadcast.channel != BroadcastChannel.SMS or not rate:
        return start
    return broadcast.pace_start + timedelta(seconds=broadcast.paced_segments / rate)


def broadcast_pause(*, broadcast: Broadcast, reason: str = "Paused by hand.") -> Broadcast:
    """Stop sending: no more messages are created, and those waiting wait until it is
    resumed (a message already on its way to the provider still goes). Conflict unless it
    is preparing or sending."""
    with transaction.atomic():
        moved = Broadcast.objects.filter(
            id=broadcast.id, status__in=[BroadcastStatus.PREPARING, BroadcastStatus.SENDING]
        ).update(status=BroadcastStatus.PAUSED, pause_reason=reason, updated_at=timezone.now())
        if not moved:
            broadcast.refresh_from_db()
            raise Conflict(_cannot("paused", "being sent", broadcast))
        record_model(broadcast.channel).objects.filter(
            broadcast_id=broadcast.id, status__in=[SCHEDULED, QUEUED]
        ).update(status=SCHEDULED, next_attempt_at=PAUSED_UNTIL, updated_at=timezone.now())
        publish_broadcast_progress(broadcast.id, force=True)
    broadcast.refresh_from_db()
    return broadcast


def broadcast_resume(*, broadcast: Broadcast) -> Broadcast:
    """Go on from where it stopped: its waiting messages are paced again from now, and
    the recipients still without one get theirs. Conflict unless it is paused."""
    now = timezone.now()
    model = record_model(broadcast.channel)
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(id=broadcast.id)
        if locked.status != BroadcastStatus.PAUSED:
            raise Conflict(_cannot("resumed", "paused", locked))
        waiting = model.objects.filter(broadcast_id=locked.id, next_attempt_at=PAUSED_UNTIL)
        paced = _repace(model, locked.id, now) if waiting.exists() else (0, [])
        pending = locked.recipients.filter(outcome=RecipientOutcome.PENDING).exists()
        locked.status = BroadcastStatus.PREPARING
        locked.pause_reason = ""
        locked.pace_start, locked.paced_segments = now, paced[0]
        locked.save(
            update_fields=["status", "pause_reason", "pace_start", "paced_segments", "updated_at"]
        )
        if not pending:
            _sending_or_done(locked)
        if pending:
            transaction.on_commit(lambda: _enqueue_prepare(locked.id), robust=True)
        transaction.on_commit(lambda: _enqueue_deliveries(locked.id, paced[1]), robust=True)
        publish_broadcast_progress(locked.id, force=True)
    return locked


def _repace(model, broadcast_id, start: datetime) -> tuple[int, list[datetime]]:
    """Give a resumed broadcast's waiting records their times again, paced from
    ``start`` in the order they were created and held by quiet hours as when they were
    made (a broadcast resumed at 22:00 waits for its recipients' morning); return the
    segments paced and the times they are due."""
    sms = model is Message
    rate = settings.SMS_SENDER_RATE if sms else 0
    address = "to_contact" if sms else "to_email"
    waiting = list(
        model.objects.filter(broadcast_id=broadcast_id, next_attempt_at=PAUSED_UNTIL)
        .order_by("created_at", "id")
        .only("id", address, *(["num_segments"] if sms else []))
    )
    zones = contact_time_zones(values=[getattr(record, address) for record in waiting])
    segments = 0
    for record in waiting:
        to = getattr(record, address)
        due_at = start + timedelta(seconds=segments / rate) if rate else start
        plan = bulk_plan(
            BulkSend(broadcast_id=broadcast_id, due_at=due_at),
            phone=to if sms else "",
            contact_time_zone=functools.partial(zones.get, to, ""),
            now=start,
        )
        record.scheduled_for, record.next_attempt_at = plan.scheduled_for, plan.next_attempt_at
        record.updated_at = start
        segments += record.num_segments if sms else 1
    model.objects.bulk_update(
        waiting, ["scheduled_for", "next_attempt_at", "updated_at"], batch_size=1000
    )
    return segments, [record.next_attempt_at for record in waiting]


def broadcast_cancel(*, broadcast: Broadcast) -> Broadcast:
    """Send nothing more: the messages not yet on their way are canceled, and the
    recipients still without one are marked canceled. Conflict once it is done."""
    now = timezone.now()
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(id=broadcast.id)
        if locked.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELED):
            raise Conflict(
                f"This broadcast is {locked.get_status_display().lower()}: nothing is left "
                "to cancel."
            )
        record_model(locked.channel).objects.filter(
            broadcast_id=locked.id, status__in=[SCHEDULED, QUEUED]
        ).update(status="canceled", next_attempt_at=None, updated_at=now)
        locked.recipients.filter(outcome=RecipientOutcome.PENDING).update(
            outcome=RecipientOutcome.CANCELED
        )
        locked.status = BroadcastStatus.CANCELED
        locked.save(update_fields=["status", "updated_at"])
        publish_broadcast_progress(locked.id, force=True)
    return locked


def _sending_or_done(broadcast: Broadcast) -> None:
    """Every recipient has its message (the row is locked): the broadcast is sending, or
    done already if its last message went while the last ones were being created (the
    outbox's progress found it preparing then, and will not come by again)."""
    busy = _still_going(broadcast).exists()
    broadcast.status = BroadcastStatus.SENDING if busy else BroadcastStatus.DONE
    broadcast.save(update_fields=["status", "updated_at"])


def _still_going(broadcast: Broadcast):
    """Its records still waiting or on their way to the provider."""
    return record_model(broadcast.channel).objects.filter(
        broadcast_id=broadcast.id, status__in=[SCHEDULED, QUEUED, SENDING]
    )


def broadcast_finish_if_done(broadcast_id) -> bool:
    """Mark a sending broadcast done once none of its records is still waiting or on its
    way; True if it is now done."""
    broadcast = Broadcast.objects.filter(id=broadcast_id, status=BroadcastStatus.SENDING).first()
    if broadcast is None:
        return False
    if _still_going(broadcast).exists():
        return False
    return bool(
        Broadcast.objects.filter(id=broadcast_id, status=BroadcastStatus.SENDING).update(
            status=BroadcastStatus.DONE, updated_at=timezone.now()
        )
    )


def broadcasts_sweep() -> int:
    """Enqueue again the preparation of broadcasts that have recipients left and no
    progress for a while (its task was lost with a worker). Return how many."""
    stale = timezone.now() - timedelta(
        seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS + PREPARE_SECONDS
    )
    stuck = list(
        Broadcast.objects.filter(
            status=BroadcastStatus.PREPARING, updated_at__lte=stale
        ).values_list("id", flat=True)
    )
    for broadcast_id in stuck:
        _enqueue_prepare(broadcast_id)
    return len(stuck)


def _cannot(action: str, state: str, broadcast: Broadcast) -> str:
    return (
        f"Only a broadcast {state} can be {action}; this one is "
        f"{broadcast.get_status_display().lower()}."
    )


def _enqueue_prepare(broadcast_id) -> None:
    from broadcasts.tasks import prepare_broadcast

    prepare_broadcast.enqueue(str(broadcast_id))


def _enqueue_deliveries(broadcast_id, due: list[datetime]) -> None:
    """One delivery task for each second in which some of these records fall due, not one
    per record: a task drains every record due when it runs, and hands on what it leaves
    (Outbox.drain). Quiet hours and pacing may spread them over hours."""
    if not due:
        return
    broadcast = Broadcast.objects.filter(id=broadcast_id).only("channel").first()
    if broadcast is None:
        return
    outbox = outbox_for(broadcast.channel)
    now = timezone.now()
    for second in sorted({ceil(max((at - now).total_seconds(), 0)) for at in due}):
        outbox.enqueue(DRAIN_ON, run_after=now + timedelta(seconds=second) if second else None)
