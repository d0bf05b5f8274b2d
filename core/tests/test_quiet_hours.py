"""Quiet hours: a message due inside the recipient's nightly window is held until the window
ends on the recipient's clock, across time zones and daylight-saving changes.

Every expected instant is worked out by hand and written in UTC, with the recipient's wall
clock beside it. 2027's changes: New York springs forward on 14 March (02:00 EST -> 03:00
EDT, at 07:00 UTC) and falls back on 7 November (02:00 EDT -> 01:00 EST, at 06:00 UTC);
London on 28 March (01:00 GMT -> 02:00 BST, at 01:00 UTC) and 31 October (02:00 BST ->
01:00 GMT, at 01:00 UTC). In June New York is UTC-4 and London UTC+1.
"""

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.quiet_hours import (
    QuietWindow,
    hold_for,
    parse_quiet_hours,
    recipient_zones,
    release_time,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")

NEW_YORK_NUMBER = "+12125550123"
LOS_ANGELES_NUMBER = "+14155550123"
UK_MOBILE = "+447400123456"
AUSTRALIAN_MOBILE = "+61412345678"  # a mobile: phonenumbers cannot tell which state

NIGHT = QuietWindow(start=time(21), end=time(8))


def utc(year, month, day, hour, minute=0, second=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def names(zones):
    return [zone.key for zone in zones]


# Parsing the setting


def test_a_window_may_cross_midnight():
    window = parse_quiet_hours("21:00-08:00")

    assert window == QuietWindow(start=time(21, 0), end=time(8, 0))
    assert window.crosses_midnight


def test_a_window_may_lie_within_one_day():
    window = parse_quiet_hours("12:00-14:30")

    assert window == QuietWindow(start=time(12, 0), end=time(14, 30))
    assert not window.crosses_midnight


def test_white_space_around_the_times_and_a_one_digit_hour_are_read():
    assert parse_quiet_hours(" 21:30 - 7:05 ") == QuietWindow(start=time(21, 30), end=time(7, 5))


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_value_means_no_quiet_hours(value):
    assert parse_quiet_hours(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "21-08",
        "21:00",
        "21:00-08",
        "21:00-08:00-09:00",
        "9pm-8am",
        "24:00-08:00",
        "21:60-08:00",
        "21:00\u201308:00",  # an en dash
        "\uff12\uff11:00-08:00",  # full-width digits
        "21:00-21:00",  # empty, or the whole day? Neither is meant.
    ],
)
def test_a_malformed_window_is_refused_naming_the_format(value):
    with pytest.raises(ValueError, match=r"two times HH:MM-HH:MM, e\.g\. 21:00-08:00"):
        parse_quiet_hours(value)


# Inside and outside the window (New York, June: UTC-4)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2027, 6, 16, 3), utc(2027, 6, 16, 12)),  # 23:00: held until 08:00
        (utc(2027, 6, 16, 6), utc(2027, 6, 16, 12)),  # 02:00, after midnight
        (utc(2027, 6, 16, 1), utc(2027, 6, 16, 12)),  # exactly 21:00: the start is inside
        (utc(2027, 6, 16, 11, 59, 59), utc(2027, 6, 16, 12)),  # 07:59:59
        (utc(2027, 6, 16, 12), None),  # exactly 08:00: the end is outside
        (utc(2027, 6, 16, 16), None),  # noon
        (utc(2027, 6, 16, 0, 59, 59), None),  # 20:59:59
    ],
)
def test_a_moment_inside_the_window_is_held_until_its_end(moment, expected):
    assert release_time(moment, [NEW_YORK], NIGHT) == expected


def test_the_moment_may_be_given_in_any_zone_and_the_release_is_in_utc():
    moment = datetime(2027, 6, 16, 12, 0, tzinfo=TOKYO)  # 03:00 UTC, 23:00 in New York

    released = release_time(moment, [NEW_YORK], NIGHT)

    assert released == utc(2027, 6, 16, 12)
    assert released.tzinfo is UTC


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        release_time(datetime(2027, 6, 16, 3), [NEW_YORK], NIGHT)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2027, 6, 16, 10, 59), None),  # 11:59 in London
        (utc(2027, 6, 16, 11), utc(2027, 6, 16, 13)),  # 12:00: held until 14:00
        (utc(2027, 6, 16, 12, 30), utc(2027, 6, 16, 13)),  # 13:30
        (utc(2027, 6, 16, 13), None),  # 14:00
        (utc(2027, 6, 16, 22), None),  # 23:00
    ],
)
def test_a_daytime_window_holds_only_within_the_day(moment, expected):
    lunch = QuietWindow(start=time(12), end=time(14))

    assert release_time(moment, [LONDON], lunch) == expected


def test_no_window_holds_nothing():
    assert release_time(utc(2027, 6, 16, 3), [NEW_YORK], None) is None


# Whose clock


def test_a_number_is_read_on_its_regions_clock():
    new_york = recipient_zones(phone=NEW_YORK_NUMBER)
    los_angeles = recipient_zones(phone=LOS_ANGELES_NUMBER)
    moment = utc(2027, 6, 16, 2)  # 22:00 in New York, 19:00 in Los Angeles

    assert names(new_york) == ["America/New_York"]
    assert names(los_angeles) == ["America/Los_Angeles"]
    assert release_time(moment, new_york, NIGHT) == utc(2027, 6, 16, 12)  # 08:00 EDT
    assert release_time(moment, los_angeles, NIGHT) is None


def test_a_uk_number_is_read_on_london_time():
    zones = recipient_zones(phone=UK_MOBILE)

    # phonenumbers lists the Crown Dependencies too; all keep London's clock.
    assert "Europe/London" in names(zones)
    for instant in (utc(2027, 1, 15, 12), utc(2027, 7, 15, 12)):
        assert {zone.utcoffset(instant.astimezone(zone)) for zone in zones} == {
            LONDON.utcoffset(instant.astimezone(LONDON))
        }
    # 22:30 BST: held until 08:00 BST.
    assert release_time(utc(2027, 6, 16, 21, 30), zones, NIGHT) == utc(2027, 6, 17, 7)


def test_the_contacts_own_time_zone_wins_over_the_number():
    zones = recipient_zones(contact_time_zone="Asia/Tokyo", phone=NEW_YORK_NUMBER)

    assert zones == [TOKYO]
    # 23:00 in New York but 12:00 in Tokyo: sent at once.
    assert release_time(utc(2027, 6, 16, 3), zones, NIGHT) is None


@pytest.mark.parametrize("unusable", ["Mars/Olympus_Mons", "../../etc/passwd", "   ", ""])
def test_an_unusable_contact_time_zone_falls_back_to_the_number(unusable):
    assert recipient_zones(contact_time_zone=unusable, phone=NEW_YORK_NUMBER) == [NEW_YORK]


@pytest.mark.parametrize("phone", ["", "not a number", "+15555550123"])
def test_without_a_placeable_number_the_sites_time_zone_is_used(settings, phone):
    # +1 555 555 0123 parses but belongs to no region (phonenumbers: Etc/Unknown).
    settings.TIME_ZONE = "Europe/Dublin"

    assert names(recipient_zones(phone=phone)) == ["Europe/Dublin"]
    assert names(recipient_zones(contact_time_zone="Nowhere/At_All", phone=phone)) == [
        "Europe/Dublin"
    ]


def test_an_email_recipient_is_read_on_the_contacts_zone_else_the_sites(settings):
    settings.TIME_ZONE = "Europe/London"

    assert recipient_zones(contact_time_zone="America/New_York") == [NEW_YORK]
    assert recipient_zones() == [LONDON]


# A number whose region spans several time zones

AUSTRALIAN_ZONES = [
    "Australia/Adelaide",  # UTC+9:30 in June
    "Australia/Brisbane",  # +10
    "Australia/Eucla",  # +8:45
    "Australia/Lord_Howe",  # +10:30
    "Australia/Perth",  # +8
    "Australia/Sydney",  # +10
    "Indian/Christmas",  # +7
    "Indian/Cocos",  # +6:30
]


def test_an_australian_mobile_may_be_in_any_of_several_zones():
    assert sorted(names(recipient_zones(phone=AUSTRALIAN_MOBILE))) == AUSTRALIAN_ZONES


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 15:00 on Lord Howe, 11:30 on Cocos: outside in every zone.
        (utc(2027, 6, 15, 5), None),
        # 10:00 in Sydney, but 06:30 on Cocos: held until 08:00 on Cocos.
        (utc(2027, 6, 15, 0), utc(2027, 6, 15, 1, 30)),
        # 21:30 on Lord Howe, 17:30 on Cocos: held through every zone's night, until
        # Cocos's 08:00 the next day, the last zone to wake.
        (utc(2027, 6, 15, 11), utc(2027, 6, 16, 1, 30)),
    ],
)
def test_a_number_spanning_several_zones_is_held_unless_outside_quiet_hours_in_all(
    moment, expected
):
    zones = recipient_zones(phone=AUSTRALIAN_MOBILE)

    assert release_time(moment, zones, NIGHT) == expected


def test_with_no_moment_free_in_every_zone_the_first_zone_decides():
    # Tokyo (UTC+9) and Sao Paulo (UTC-3) are 12 hours apart, and 20:00-09:00 leaves 11
    # hours free: never both at once.
    long_night = QuietWindow(start=time(20), end=time(9))
    zones = [TOKYO, SAO_PAULO]

    # 21:00 in Tokyo (09:00 in Sao Paulo): held until 09:00 in Tokyo.
    assert release_time(utc(2027, 6, 15, 12), zones, long_night) == utc(2027, 6, 16, 0)
    # 12:00 in Tokyo, though midnight in Sao Paulo: sent.
    assert release_time(utc(2027, 6, 15, 3), zones, long_night) is None


# Daylight saving: window boundaries are wall-clock times


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        # New York, 14 March: held until 02:30, which never happens; the clock jumps from
        # 01:59:59 EST to 03:00 EDT (07:00 UTC), and that is when quiet hours end.
        (NEW_YORK, utc(2027, 3, 14, 6), utc(2027, 3, 14, 7)),  # 01:00 EST
        (NEW_YORK, utc(2027, 3, 14, 6, 59, 59), utc(2027, 3, 14, 7)),  # 01:59:59 EST
        (NEW_YORK, utc(2027, 3, 14, 7), None),  # 03:00 EDT
    ],
)
def test_a_window_ending_in_the_spring_forward_gap_ends_at_the_jump(zone, moment, expected):
    window = QuietWindow(start=time(21), end=time(2, 30))

    assert release_time(moment, [zone], window) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 1)),  # 00:30 GMT: until 02:00 BST
        (utc(2027, 3, 28, 1), None),  # 02:00 BST
    ],
)
def test_london_a_window_ending_in_the_spring_forward_gap_ends_at_the_jump(moment, expected):
    # 01:30 never happens on 28 March in London: 00:59:59 GMT is followed by 02:00 BST.
    window = QuietWindow(start=time(21), end=time(1, 30))

    assert release_time(moment, [LONDON], window) == expected


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        # New York, 7 November: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC
        # (EST). The window ends at the first.
        (NEW_YORK, utc(2027, 11, 7, 5), utc(2027, 11, 7, 5, 30)),  # 01:00 EDT
        (NEW_YORK, utc(2027, 11, 7, 5, 30), None),  # the first 01:30
        (NEW_YORK, utc(2027, 11, 7, 6, 10), None),  # 01:10 EST: the night's window is over
        # London, 31 October: 01:30 happens at 00:30 UTC (BST) and 01:30 UTC (GMT).
        (LONDON, utc(2027, 10, 30, 23, 30), utc(2027, 10, 31, 0, 30)),  # 00:30 BST
        (LONDON, utc(2027, 10, 31, 1, 10), None),  # 01:10 GMT, the second time round
    ],
)
def test_a_window_ending_in_the_fall_back_overlap_ends_at_the_first_occurrence(
    zone, moment, expected
):
    window = QuietWindow(start=time(21), end=time(1, 30))

    assert release_time(moment, [zone], window) == expected


@pytest.mark.parametrize(
    ("window", "moment", "expected"),
    [
        # 02:30-06:00 on 14 March: quiet hours start when the clock jumps past 02:30.
        (QuietWindow(time(2, 30), time(6)), utc(2027, 3, 14, 6, 59, 59), None),  # 01:59:59 EST
        (
            QuietWindow(time(2, 30), time(6)),
            utc(2027, 3, 14, 7),  # 03:00 EDT
            utc(2027, 3, 14, 10),  # 06:00 EDT
        ),
        # 01:30-06:00 on 7 November: quiet hours start at the first 01:30.
        (QuietWindow(time(1, 30), time(6)), utc(2027, 11, 7, 5, 29), None),  # 01:29 EDT
        (
            QuietWindow(time(1, 30), time(6)),
            utc(2027, 11, 7, 5, 30),  # the first 01:30 (EDT)
            utc(2027, 11, 7, 11),  # 06:00 EST
        ),
    ],
)
def test_a_window_starting_in_a_gap_or_overlap_starts_the_first_time_the_clock_reaches_it(
    window, moment, expected
):
    assert release_time(moment, [NEW_YORK], window) == expected


@pytest.mark.parametrize(
    ("zone", "night_before", "released_before", "change_night", "released_after"),
    [
        # 22:00 local each evening; released at 08:00 local the next morning.
        (
            NEW_YORK,  # springs forward: 08:00 EST is 13:00 UTC, 08:00 EDT is 12:00 UTC
            utc(2027, 3, 13, 3),
            utc(2027, 3, 13, 13),
            utc(2027, 3, 14, 3),
            utc(2027, 3, 14, 12),
        ),
        (
            NEW_YORK,  # falls back: 08:00 EDT is 12:00 UTC, 08:00 EST is 13:00 UTC
            utc(2027, 11, 6, 2),
            utc(2027, 11, 6, 12),
            utc(2027, 11, 7, 2),
            utc(2027, 11, 7, 13),
        ),
        (
            LONDON,  # springs forward: 08:00 GMT is 08:00 UTC, 08:00 BST is 07:00 UTC
            utc(2027, 3, 26, 22),
            utc(2027, 3, 27, 8),
            utc(2027, 3, 27, 22),
            utc(2027, 3, 28, 7),
        ),
        (
            LONDON,  # falls back: 08:00 BST is 07:00 UTC, 08:00 GMT is 08:00 UTC
            utc(2027, 10, 29, 21),
            utc(2027, 10, 30, 7),
            utc(2027, 10, 30, 21),
            utc(2027, 10, 31, 8),
        ),
    ],
)
def test_an_ordinary_night_across_a_clock_change_still_ends_at_eight_local(
    zone, night_before, released_before, change_night, released_after
):
    assert release_time(night_before, [zone], NIGHT) == released_before
    assert release_time(change_night, [zone], NIGHT) == released_after
    assert released_after.astimezone(zone).time() == time(8)


# hold_for: the rule with the site's settings


def test_without_quiet_hours_nothing_is_held(settings):
    settings.QUIET_HOURS = ""

    assert hold_for(utc(2027, 6, 16, 3), phone=NEW_YORK_NUMBER) is None


def test_a_scheduled_or_broadcast_message_is_held_on_the_recipients_clock(settings):
    settings.QUIET_HOURS = "21:00-08:00"
    moment = utc(2027, 6, 16, 3)  # 23:00 in New York, 20:00 in Los Angeles

    assert hold_for(moment, phone=NEW_YORK_NUMBER) == utc(2027, 6, 16, 12)
    assert hold_for(moment, phone=LOS_ANGELES_NUMBER) is None
    # Tokyo's noon, whatever the number says.
    assert hold_for(moment, phone=NEW_YORK_NUMBER, contact_time_zone="Asia/Tokyo") is None


def test_an_email_recipient_without_a_zone_is_held_on_the_sites_clock(settings):
    settings.QUIET_HOURS = "21:00-08:00"
    settings.TIME_ZONE = "Europe/London"

    # 22:00 BST: held until 08:00 BST.
    assert hold_for(utc(2027, 6, 16, 21)) == utc(2027, 6, 17, 7)


def test_a_direct_reply_goes_at_once_unless_quiet_hours_are_strict(settings):
    settings.QUIET_HOURS = "21:00-08:00"
    moment = utc(2027, 6, 16, 3)  # 23:00 in New York

    settings.QUIET_HOURS_STRICT = False
    assert hold_for(moment, phone=NEW_YORK_NUMBER, direct_reply=True) is None

    settings.QUIET_HOURS_STRICT = True
    assert hold_for(moment, phone=NEW_YORK_NUMBER, direct_reply=True) == utc(2027, 6, 16, 12)


def test_a_changed_setting_takes_effect(settings):
    moment = utc(2027, 6, 16, 3)  # 23:00 in New York
    settings.QUIET_HOURS = "21:00-08:00"
    assert hold_for(moment, phone=NEW_YORK_NUMBER) == utc(2027, 6, 16, 12)

    settings.QUIET_HOURS = "22:30-06:15"
    assert hold_for(moment, phone=NEW_YORK_NUMBER) == utc(2027, 6, 16, 10, 15)


def test_release_time_reads_the_window_from_settings_by_default(settings):
    settings.QUIET_HOURS = "21:00-08:00"
    assert release_time(utc(2027, 6, 16, 3), [NEW_YORK]) == utc(2027, 6, 16, 12)

    settings.QUIET_HOURS = ""
    assert release_time(utc(2027, 6, 16, 3), [NEW_YORK]) is None


# The settings, at start-up (each case in a fresh interpreter)

PROJECT = Path(__file__).resolve().parents[2]


def load_settings(**environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUIET_")}
    env.update(environment)
    code = (
        "import hatch.test_settings as s; "
        "from hatch import settings as base; "
        "print(repr(s.QUIET_HOURS), s.QUIET_HOURS_STRICT, base.QUIET_HOURS == s.QUIET_HOURS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timedelta(minutes=1).total_seconds(),
    )


def test_by_default_there_are_no_quiet_hours():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'' False True"


def test_quiet_hours_and_strictness_are_read_from_the_environment():
    result = load_settings(QUIET_HOURS="21:00-08:00", QUIET_HOURS_STRICT="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'21:00-08:00' True True"


@pytest.mark.parametrize("value", ["9pm-8am", "21:00-21:00", "21:00"])
def test_malformed_quiet_hours_stop_the_process_at_start_up(value):
    result = load_settings(QUIET_HOURS=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured: QUIET_HOURS must be two times HH:MM-HH:MM" in result.stderr
