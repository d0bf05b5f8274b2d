"""When a record asked to go out later may go: the rules every channel's "send_at" follows.

A scheduled record is stored with status "scheduled", ``scheduled_for`` the time asked for
and ``next_attempt_at`` the time it is due (later than asked when quiet hours hold it); the
outbox claims it when due exactly as it claims a queued one (outbox.engine), and a cancel
is a compare-and-swap on "scheduled" (Outbox.cancel), so that of a cancel and a claim only
one wins.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.errors import ValidationError
from core.quiet_hours import hold_for, parse_quiet_hours
from outbox.engine import QUEUED, SCHEDULED

# Sooner than this is a send now; a schedule is a decision, not a race with the worker.
SCHEDULE_MIN_LEAD = timedelta(minutes=1)
# When a paused broadcast's waiting records are due: never, until it is resumed
# (broadcasts.services), which gives them their times again.
PAUSED_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)
# Later than this is almost surely a mistake (a year typed wrong), and keeps no promise a
# team could rely on.
SCHEDULE_MAX_LEAD = timedelta(days=365)


def send_at_check(send_at: datetime, *, now: datetime | None = None) -> datetime:
    """``send_at`` if it is a time a record may be scheduled for: aware, at least a minute
    and at most a year ahead. Raises ValidationError naming "send_at" otherwise."""
    now = now or timezone.now()
    if timezone.is_naive(send_at):
        raise ValidationError(
            "'send_at' needs a time zone offset, e.g. 2027-01-31T09:30:00+01:00.",
            field="send_at",
        )
    if send_at < now + SCHEDULE_MIN_LEAD:
        raise ValidationError(
            "'send_at' must be at least a minute from now; leave it out to send at once.",
            field="send_at",
        )
    if send_at > now + SCHEDULE_MAX_LEAD:
        raise ValidationError(
            "'send_at' may be at most a year from now.",
            field="send_at",
        )
    return send_at


@dataclass(frozen=True)
class SendPlan:
    """When a new record goes out, as its columns say it: status, scheduled_for (the time
    asked for, if any) and next_attempt_at (when it is due)."""

    status: str
    scheduled_for: datetime | None
    next_attempt_at: datetime

    @property
    def scheduled(self) -> bool:
        return self.status == SCHEDULED

    def times(self) -> dict:
        """The record's columns that say when it goes."""
        return {"scheduled_for": self.scheduled_for, "next_attempt_at": self.next_attempt_at}


@dataclass(frozen=True)
class BulkSend:
    """A record sent as part of a broadcast: its ``broadcast_id``, and ``due_at``, when the
    broadcast's pacing lets it go (quiet hours may hold it later). Its delivery task is the
    broadcast's to enqueue (one per stretch of time, not one per record), and it tells open
    inboxes of itself through the broadcast's progress."""

    broadcast_id: Any
    due_at: datetime


def bulk_plan(
    bulk: BulkSend,
    *,
    phone: str = "",
    contact_time_zone: Callable[[], str] = str,
    now: datetime | None = None,
) -> SendPlan:
    """The plan of a broadcast's record: due when its pacing says (at once if that has
    passed: queued), or later (scheduled), and held by quiet hours as any scheduled one."""
    now = now or timezone.now()
    due = _held(bulk.due_at, phone, contact_time_zone, direct_reply=False) or bulk.due_at
    if due <= now:
        return SendPlan(QUEUED, None, due)
    return SendPlan(SCHEDULED, bulk.due_at, due)


def send_plan(
    send_at: datetime | None,
    *,
    phone: str = "",
    contact_time_zone: Callable[[], str] = str,
    now: datetime | None = None,
) -> SendPlan:
    """The plan for a record sent now (``send_at`` None) or at ``send_at`` (checked).

    Quiet hours (QUIET_HOURS, in the recipient's time: core.quiet_hours) hold a scheduled
    record to the window's end; a send now goes at once, as a person answering a person
    expects, unless QUIET_HOURS_STRICT holds it too (it is then stored scheduled, for now,
    and may be canceled while it waits). ``contact_time_zone`` looks up the time zone set
    on the recipient's contact: asked only when there are quiet hours.
    """
    now = now or timezone.now()
    if send_at is not None:
        send_at = send_at_check(send_at, now=now)
    asked = send_at or now
    held = _held(asked, phone, contact_time_zone, direct_reply=send_at is None)
    if send_at is None and held is None:
        return SendPlan(QUEUED, None, now)
    return SendPlan(SCHEDULED, asked, held or asked)


def _held(
    moment: datetime, phone: str, contact_time_zone: Callable[[], str], *, direct_reply: bool
) -> datetime | None:
    """core.quiet_hours.hold_for, the contact's time zone looked up only when there are
    quiet hours (a send costs no query for it otherwise)."""
    if not settings.QUIET_HOURS.strip():
        return None
    return hold_for(
        moment, phone=phone, contact_time_zone=contact_time_zone(), direct_reply=direct_reply
    )


def schedule_data(row: dict, *, time=lambda value: value) -> dict:
    """What an answer says of a record's schedule, from its row (status, scheduled_for,
    next_attempt_at): ``scheduled_for``, the time asked for (null for a send now); and,
    while quiet hours hold a scheduled record past it, ``held_until`` and ``held_note``
    (how the inbox says it: quiet hours end at the same time of the recipient's day
    whatever their zone). ``time`` writes a datetime as the answer's other times are."""
    if row["next_attempt_at"] == PAUSED_UNTIL:
        return {
            "scheduled_for": time(row["scheduled_for"]),
            "held_until": None,
            "held_note": "paused with its broadcast",
        }
    held = (
        row["status"] == SCHEDULED
        and row["scheduled_for"] is not None
        and row["next_attempt_at"] is not None
        and row["next_attempt_at"] > row["scheduled_for"]
    )
    window = parse_quiet_hours(settings.QUIET_HOURS) if held else None
    return {
        "scheduled_for": time(row["scheduled_for"]),
        "held_until": time(row["next_attempt_at"]) if held else None,
        "held_note": f"held until {window.end:%H:%M} (recipient's time)" if window else "",
    }
