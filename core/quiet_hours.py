"""Quiet hours: when a message may reach a recipient, by the recipient's own clock.

``QUIET_HOURS`` (e.g. ``21:00-08:00``; empty for none) is read on the recipient's wall
clock: the contact's own time zone if set, else the time zones of the number's region
(``phonenumbers``' data), else ``TIME_ZONE``. A scheduled or broadcast message that falls
inside is held until the window ends; an agent's direct reply goes at once unless
``QUIET_HOURS_STRICT``. A number whose region spans several zones is held until the
moment is outside quiet hours in every one of them.

Each night's window is one interval of real time: it starts the first time the
recipient's clock reads the start and ends the first time it reads the end. So an end
that a spring-forward skips (02:30 when clocks jump 02:00->03:00) ends the window at the
jump, and an end that a fall-back repeats (01:30 twice) ends it at the first 01:30: the
recipient's clock has then shown the end of quiet hours, and a held message should not
wait a further hour because the clock is set back.

Nothing here touches the database, and ``hatch.settings`` imports ``parse_quiet_hours``
to validate the setting at start-up: this module imports only the standard library,
``phonenumbers`` and Django's lazy settings object, which it reads inside functions.
"""

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_time_zones

QUIET_HOURS_FORMAT_HELP = (
    "QUIET_HOURS must be two times HH:MM-HH:MM, e.g. 21:00-08:00, or empty for none"
)

# "21:00-08:00", with white space allowed around the dash; ASCII digits only, so that
# no other script's digits pass for a time.
_WINDOW_PATTERN = re.compile(r"^([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})$")

# What phonenumbers answers for a number it cannot place (invalid, or not geographic).
_UNKNOWN_ZONE = "Etc/Unknown"

# Every night's window is shorter than a day, so when the zones share any free time at
# all, some lies within a day or so of any moment. Two days is a generous bound.
_SEARCH_HORIZON = timedelta(hours=48)


@dataclass(frozen=True)
class QuietWindow:
    """The nightly quiet hours, as wall-clock times: from ``start`` (inside) to ``end``
    (outside). ``start`` after ``end`` means the window crosses midnight."""

    start: time
    end: time

    def __post_init__(self):
        if self.start == self.end:
            # Empty or a whole day? Either reading surprises someone; refuse both.
            raise ValueError(f"{QUIET_HOURS_FORMAT_HELP}; start and end may not be equal.")

    @property
    def crosses_midnight(self) -> bool:
        return self.start > self.end


class _FromSettings(Enum):
    QUIET_HOURS = "QUIET_HOURS"


#: ``release_time``'s default window: ``settings.QUIET_HOURS``, read at call time.
FROM_SETTINGS = _FromSettings.QUIET_HOURS


@functools.lru_cache(maxsize=16)
@functools.cache
def parse_quiet_hours(value: str) -> QuietWindow | None:
    """The window ``value`` (``"21:00-08:00"``) names, or None for an empty value.

    Raises ValueError, naming the expected format, for anything else.
    """
    text = value.strip()
    if not text:
        return None
    match = _WINDOW_PATTERN.match(text)
    if match is None:
        raise ValueError(f"{QUIET_HOURS_FORMAT_HELP}; not {value!r}.")
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    if max(start_hour, end_hour) > 23 or max(start_minute, end_minute) > 59:
        raise ValueError(f"{QUIET_HOURS_FORMAT_HELP}; not {value!r}.")
    return QuietWindow(start=time(start_hour, start_minute), end=time(end_hour, end_minute))


def recipient_zones(*, contact_time_zone: str = "", phone: str = "") -> list[ZoneInfo]:
    """The time zones the recipient may be in, from the most specific source known.

    The contact's own zone when it is set and known; else the zones of the E.164 number's
    region (several for a country that spans several, e.g. +61 mobiles); else
    ``settings.TIME_ZONE``. An email recipient has no phone: pass none.
    """
    own_zone = _zone_named(contact_time_zone.strip())
    if own_zone is not None:
        return [own_zone]
    if phone:
        zones = _zones_of_number(phone)
        if zones:
            return list(zones)
    return [ZoneInfo(settings.TIME_ZONE)]


def release_time(
    moment: datetime,
    zones: list[ZoneInfo],
    window: QuietWindow | _FromSettings | None = FROM_SETTINGS,
) -> datetime | None:
    """When a message due at ``moment`` may go: None if now (``moment`` is outside the
    window in every zone), else the earliest later instant outside it in every zone, in UTC.

    When no instant is free in every zone (the zones lie further apart than the hours the
    window leaves free each day), the message is held by the first zone alone: holding it
    for ever would lose it, and no choice suits every zone. Setting the contact's own time
    zone avoids the guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("release_time needs a timezone-aware moment.")
    if not zones:
        raise ValueError("release_time needs at least one time zone.")
    if window is FROM_SETTINGS:
        window = parse_quiet_hours(settings.QUIET_HOURS)
    if window is None:
        return None

    start = moment.astimezone(UTC)
    release = _earliest_free_instant(start, zones, window)
    if release is None:
        release = _earliest_free_instant(start, zones[:1], window)
    return None if release == start else release


def hold_for(
    moment: datetime, *, phone: str = "", contact_time_zone: str = "", direct_reply: bool = False
) -> datetime | None:
    """When a message to this recipient, due at ``moment``, may go under
    ``settings.QUIET_HOURS``: None to send at ``moment``, else the release time in UTC.

    ``direct_reply``: an agent answering in a conversation is not held unless
    ``QUIET_HOURS_STRICT``; scheduled and broadcast messages always are.
    """
    window = parse_quiet_hours(settings.QUIET_HOURS)
    if window is None or (direct_reply and not settings.QUIET_HOURS_STRICT):
        return None
    zones = recipient_zones(contact_time_zone=contact_time_zone, phone=phone)
    return release_time(moment, zones, window)


def _earliest_free_instant(
    start: datetime, zones: list[ZoneInfo], window: QuietWindow
) -> datetime | None:
    # The first instant from ``start`` outside the window in every zone, or None if there
    # is none within the horizon.
    candidate = start
    # Candidates only grow, and each is a window end of some zone; a zone has at most four
    # window ends before the horizon stops the search. So the bound is never what stops it.
    for _ in range(4 * len(zones) + 2):
        ends = [end for zone in zones if (end := _window_end_around(candidate, zone, window))]
        if not ends:
            return candidate
        # Every instant before the latest end is inside some zone's window.
        candidate = max(ends)
        if candidate - start > _SEARCH_HORIZON:
            return None
    return None


def _window_end_around(instant: datetime, zone: ZoneInfo, window: QuietWindow) -> datetime | None:
    # The end (UTC) of the window that holds ``instant`` in ``zone``, or None. A window
    # holding it began on its local date or, crossing midnight, the day before.
    local_date = instant.astimezone(zone).date()
    for start_date in (local_date - timedelta(days=1), local_date):
        end_date = start_date + timedelta(days=1) if window.crosses_midnight else start_date
        end = _first_instant_reading(end_date, window.end, zone)
        if _first_instant_reading(start_date, window.start, zone) <= instant < end:
            return end
    return None


@functools.lru_cache(maxsize=4096)
def _first_instant_reading(day: date, wall_time: time, zone: ZoneInfo) -> datetime:
    # The first instant (UTC) at which ``zone``'s clock reads ``day`` ``wall_time`` or
    # later. Cached: a broadcast asks about the same few nights for every recipient.
    wall = datetime.combine(day, wall_time)
    # fold=0 is the first of the two instants a fall-back repeats.
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # A spring-forward skipped this wall time: the answer is the jump itself. zoneinfo
    # reads a skipped time with the offset before the jump (fold=0) or after it (fold=1);
    # the jump lies between those two readings. Search for it to the second.
    before = int(wall.replace(tzinfo=zone, fold=1).timestamp())
    after = int(instant.timestamp())
    before, after = min(before, after), max(before, after)
    offset_before = datetime.fromtimestamp(before, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return datetime.fromtimestamp(after, UTC)


@functools.lru_cache(maxsize=1024)
def _zone_named(name: str) -> ZoneInfo | None:
    # A contact's zone is checked when saved, but an old or imported one may be stale.
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zones_of_number(phone: str) -> tuple[ZoneInfo, ...]:
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return ()
    return _zones_named(phone_time_zones.time_zones_for_number(number))


@functools.lru_cache(maxsize=1024)
def _zones_named(names: tuple[str, ...]) -> tuple[ZoneInfo, ...]:
    # Few distinct lists exist (one per region prefix): build each list's ZoneInfos once.
    zones = (_zone_named(name) for name in names if name != _UNKNOWN_ZONE)
    return tuple(zone for zone in zones if zone is not None)
