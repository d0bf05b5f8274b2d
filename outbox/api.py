"""What both channels' APIs say of a scheduled record: the fields of a send that schedules
it, of a change to it, and of an answer that shows it."""

from datetime import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serialization import row_of
from outbox.scheduling import SCHEDULE_MAX_LEAD, schedule_data


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must carry its offset: "09:30" alone could be anyone's."""

    default_error_messages = {
        "naive": "Give the time with its offset, e.g. 2027-01-31T09:30:00+01:00 or "
        "2027-01-31T08:30:00Z.",
    }

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


def send_at_field() -> AwareDateTimeField:
    return AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="Send later: ISO 8601 with an offset, at least a minute and at most "
        f"{SCHEDULE_MAX_LEAD.days} days ahead. Stored `scheduled`; cancel it with "
        "POST .../cancel or change it with PATCH while it waits. Quiet hours "
        "(QUIET_HOURS) hold it to their end, in the recipient's time.",
    )


class ScheduleFieldsMixin(serializers.Serializer):
    """The answer's schedule fields (outbox.scheduling.schedule_data) for a model record."""

    scheduled_for = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="The time it was scheduled for (send_at); null for a send now.",
    )
    held_until = serializers.SerializerMethodField(
        help_text="While quiet hours hold a scheduled record past its time: when it goes."
    )
    held_note = serializers.SerializerMethodField(
        help_text='Why it waits, in words: e.g. "held until 08:00 (recipient\'s time)"; '
        '"" when it does not.'
    )
    SCHEDULE_FIELDS = ("scheduled_for", "held_until", "held_note")

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_held_until(self, record) -> datetime | None:
        return self._schedule(record)["held_until"]

    def get_held_note(self, record) -> str:
        return self._schedule(record)["held_note"]

    def _schedule(self, record) -> dict:
        return schedule_data(row_of(record, ("status", "scheduled_for", "next_attempt_at")))
