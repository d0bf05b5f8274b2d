"""What a report is asked for: a range of days in TIME_ZONE, a channel, and its periods."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reports.models import ReportChannel


class Interval:
    DAY = "day"
    WEEK = "week"  # starting on Monday, as PostgreSQL's date_trunc('week') does
    ALL = (DAY, WEEK)


# Every channel in scope when none is asked for, in the order the rows list them.
CHANNELS = (ReportChannel.SMS, ReportChannel.EMAIL, ReportChannel.INTERNAL)
# The channels whose records a provider delivers (the delivery and error reports) and
# those a person waits for a reply on (the response times): internal messages neither.
DELIVERED_CHANNELS = (ReportChannel.SMS, ReportChannel.EMAIL)


@dataclass(frozen=True)
class ReportRange:
    first: date  # "from", inclusive
    last: date  # "to", inclusive
    channel: str | None  # None: every channel
    interval: str
    time_zone: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first day's local midnight (aware)."""
        return datetime.combine(self.first, time.min, tzinfo=self.time_zone)

    @property
    def end(self) -> datetime:
        """The local midnight after the last day (aware, excluded)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=self.time_zone)

    def channels(self, among: tuple[str, ...] = CHANNELS) -> list[str]:
        """The channels of ``among`` in scope, in their order."""
        return [channel for channel in among if self.channel in (None, channel)]

    def period_of(self, day: date) -> date:
        """The first day of the period ``day`` falls in."""
        if self.interval == Interval.WEEK:
            return day - timedelta(days=day.weekday())
        return day

    def periods(self) -> list[date]:
        """Every period of the range, oldest first (a week by its Monday, which may be
        before ``first``: only the range's own days are counted in it)."""
        step = timedelta(days=7 if self.interval == Interval.WEEK else 1)
        period, last = self.period_of(self.first), self.period_of(self.last)
        periods = []
        while period <= last:
            periods.append(period)
            period += step
        return periods
