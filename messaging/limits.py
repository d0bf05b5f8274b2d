"""The daily SMS limits, against fraud and mistakes: SMS_DAILY_LIMIT_PER_USER (from each
user) and SMS_DAILY_LIMIT (from everyone together, commands and broadcasts included).

A day is a calendar day in TIME_ZONE. Each accepted SMS is counted once, when it is
accepted (a scheduled one on the day it was scheduled; a canceled one stays counted): the
limits bound what the team asks to send, not what Twilio delivers.

The count is a row per user per day (SmsDailyCount), moved by one upsert (one round trip,
its own transaction) that answers the new totals; a total past its limit is taken back at
once and the send refused, so that two sends at the limit never both pass. It runs before
the message is stored, so that the rows stay locked for that one statement and not for a
send's whole transaction (every send writes the day's shared row). If storing then fails,
the SMS is given back (sms_quota_give_back).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from core.errors import TooManyRequests
from messaging.models import SmsDailyCount

# SmsDailyCount.user_key of everyone's count.
EVERYONE = 0


@dataclass(frozen=True)
class QuotaTaken:
    """What sms_quota_take counted, to give back if the send fails after all."""

    day: date
    counts: dict[int, int]


def sms_quota_take(
    *, user: AbstractBaseUser | None, count: int = 1, now: datetime | None = None
) -> QuotaTaken:
    """Count ``count`` SMS from ``user`` (None or anonymous: a command; everyone's limit
    alone) into today's totals. If that would pass either limit nothing is counted and
    TooManyRequests says which limit, and when it resets."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    limits = _limits(user)
    if not limits:
        return QuotaTaken(day, {})
    taken = QuotaTaken(day, dict.fromkeys(limits, count))
    totals = _add(day, taken.counts)
    # The user's own limit first: it is the one they can do something about.
    for key in sorted(limits, reverse=True):
        if totals[key] > limits[key]:
            sms_quota_give_back(taken)
            raise TooManyRequests(
                _refusal(key, limits[key], now), retry_after=_seconds_to_reset(now)
            )
    return taken


def sms_quota_give_back(taken: QuotaTaken) -> None:
    """Take back what sms_quota_take counted for a send that was not stored after all."""
    for key, count in taken.counts.items():
        SmsDailyCount.objects.filter(day=taken.day, user_key=key).update(
            count=Greatest(F("count") - count, 0)
        )


def sms_quota_left(*, user: AbstractBaseUser | None, now: datetime | None = None) -> int | None:
    """How many more SMS ``user`` may send today under both limits; None: no limit."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    limits = _limits(user)
    if not limits:
        return None
    sent = dict(
        SmsDailyCount.objects.filter(day=day, user_key__in=limits).values_list("user_key", "count")
    )
    return max(0, min(limit - sent.get(key, 0) for key, limit in limits.items()))


def _limits(user: AbstractBaseUser | None) -> dict[int, int]:
    """The limits that apply to ``user``'s SMS, by SmsDailyCount.user_key (0: none set)."""
    limits = {EVERYONE: settings.SMS_DAILY_LIMIT}
    if user is not None and user.is_authenticated:
        limits[user.pk] = settings.SMS_DAILY_LIMIT_PER_USER
    return {key: limit for key, limit in limits.items() if limit}


def _add(day: date, counts: dict[int, int]) -> dict[int, int]:
    """Add to the day's rows (created at need) in one statement; answer the new totals.
    Rows in key order, so that two sends lock them in the same order (no deadlock)."""
    table = SmsDailyCount._meta.db_table
    keys = sorted(counts)
    values = ", ".join(["(%s, %s, %s)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (day, user_key, count) VALUES {values} '  # noqa: S608
            f'ON CONFLICT (day, user_key) DO UPDATE SET count = "{table}".count + EXCLUDED.count '
            "RETURNING user_key, count",
            [value for key in keys for value in (day, key, counts[key])],
        )
        return dict(cursor.fetchall())


def _seconds_to_reset(now: datetime) -> int:
    return max(1, int((_next_midnight(now) - now).total_seconds()) + 1)


def _next_midnight(now: datetime) -> datetime:
    local = timezone.localtime(now)
    tomorrow = local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))


def _refusal(key: int, limit: int, now: datetime) -> str:
    reset = _next_midnight(now)
    left = reset - now
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    when = f"at midnight ({settings.TIME_ZONE}, {reset.isoformat()}), in {hours} h {minutes} min"
    if key == EVERYONE:
        return (
            f"Hatch has sent its {limit:,} SMS for today, the team's daily limit "
            f"(SMS_DAILY_LIMIT). It resets {when}; an administrator can raise it."
        )
    return (
        f"You have sent your {limit:,} SMS for today, the daily limit for each teammate "
        f"(SMS_DAILY_LIMIT_PER_USER). It resets {when}; an administrator can raise it."
    )
