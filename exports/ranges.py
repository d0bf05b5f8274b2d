"""Which messages an export holds: a range of days in TIME_ZONE and a channel, as the API's
query (``?from=&to=&channel=``) and ``manage.py export_messages`` ask for them."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from core.errors import ValidationError
from exports.models import ExportChannel

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ExportRange:
    """The messages of ``start`` (inclusive; None: from the first) to ``end`` (exclusive)
    on ``channel`` ("": every channel). ``date_from`` and ``date_to`` are the days asked
    for (None: not given), which name the file."""

    start: datetime | None
    end: datetime
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @property
    def filename(self) -> str:
        """``messages-2026-03-01-to-2026-03-31.csv``, ``messages-sms-all-to-2026-04-02.csv``."""
        first = self.date_from.isoformat() if self.date_from else "all"
        last = (
            self.date_to or timezone.localdate(self.end, timezone.get_default_timezone())
        ).isoformat()
        channel = f"{self.channel}-" if self.channel else ""
        return f"messages-{channel}{first}-to-{last}.csv"


def export_range_parse(
    *, date_from: str | None, date_to: str | None, channel: str | None, now: datetime
) -> ExportRange:
    """The range asked for, or a ValidationError naming the parameter and what it takes.

    ``date_from`` and ``date_to`` are days (YYYY-MM-DD) in TIME_ZONE, both included; either
    may be left out (from the first message; until now). The range never reaches past
    ``now``, the moment of the request: an export holds what existed when it was asked
    for, however long it takes (a background job included), and its count says so.
    """
    first = _day(date_from, "from")
    last = _day(date_to, "to")
    if first and last and first > last:
        raise ValidationError(
            f"'from' ({first}) is after 'to' ({last}): give the earlier day as 'from'.",
            field="from",
        )
    channel = (channel or "").strip()
    if channel and channel not in ExportChannel.values:
        raise ValidationError(
            f"'channel' must be one of {', '.join(ExportChannel.values)} (or left out for "
            f"every channel), not {channel[:40]!r}.",
            field="channel",
        )
    end = _day_start(last + timedelta(days=1)) if last and last < date.max else None
    return ExportRange(
        start=_day_start(first) if first else None,
        end=min(end, now) if end else now,
        channel=channel,
        date_from=first,
        date_to=last,
    )


def _day(raw: str | None, name: str) -> date | None:
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        today = timezone.localdate(timezone=timezone.get_default_timezone())
        raise ValidationError(
            f"'{name}' must be a day as YYYY-MM-DD (in {settings.TIME_ZONE}, "
            f"included), e.g. {today}; not {raw[:40]!r}.",
            field=name,
        ) from None


def _day_start(day: date) -> datetime | None:
    """The instant ``day`` begins in TIME_ZONE; None past datetime's range (year 1 east
    of UTC), where the range is open anyway."""
    try:
        return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone()).astimezone(
            UTC
        )
    except OverflowError:
        return None
