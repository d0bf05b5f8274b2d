"""Every read of the reports: from the hourly counts and the first replies alone, never
from the messages themselves (a year of 1M messages is a few hundred thousand buckets at
most, read by an index range on their hour; a year of replies, by one on replied_at).

Days and weeks are TIME_ZONE's: the buckets are UTC hours, turned into local periods in the
database (``hour AT TIME ZONE 'America/New_York'`` on PostgreSQL). A report is a few grouped
queries, whatever the range.
"""

from collections import defaultdict
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, DateField, QuerySet, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, Trunc

from core.failures import FailureReason
from emails import providers as email_providers
from emails.models import EmailStatus
from messaging import providers as sms_providers
from messaging.models import MessageStatus
from reports.expressions import Median
from reports.models import CountDirection, FirstReply, HourlyCount, RefreshState, ReportChannel
from reports.ranges import DELIVERED_CHANNELS, Interval, ReportRange
from team.selectors import display_name

# What each outbound status adds to in the delivery report. Scheduled and canceled records
# were never sent (yet): they count nowhere.
DELIVERY_OUTCOMES = {
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.FAILED: "failed",
    MessageStatus.UNDELIVERED: "failed",
    EmailStatus.BOUNCED: "failed",
    EmailStatus.DROPPED: "failed",
    MessageStatus.QUEUED: "pending",
    MessageStatus.SENDING: "pending",
    MessageStatus.SENT: "pending",
}
FAILED_STATUSES = [status for status, outcome in DELIVERY_OUTCOMES.items() if outcome == "failed"]
# Outbound records that have not gone out (the same words in both channels): the volume
# counts them nowhere, as the delivery report does not.
NOT_SENT = [MessageStatus.SCHEDULED, MessageStatus.CANCELED]
NO_CODE_TITLE = "No error code"


def refreshed_at() -> datetime | None:
    """When the counts were last refreshed; None if never."""
    return RefreshState.objects.filter(id=1).values_list("refreshed_at", flat=True).first()


def report_volume(report: ReportRange) -> dict:
    """Messages in and out per period and channel (every period, zeros included; outbound
    ones scheduled or canceled are not out), and the inbound ones by local weekday (0:
    Monday) and hour. Two queries."""
    channels = report.channels()
    totals: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CountDirection, 0))
    by_period = (
        _buckets(report)
        .exclude(direction=CountDirection.OUTBOUND, status__in=NOT_SENT)
        .annotate(period=_period(report))
        .values("period", "channel", "direction")
        .annotate(total=Sum("count"))
        .order_by()
    )
    for row in by_period:
        totals[_day(row["period"]), row["channel"]][row["direction"]] += row["total"]
    rows = [
        {
            "period": period,
            "channel": channel,
            "inbound": totals[period, channel][CountDirection.INBOUND],
            "outbound": totals[period, channel][CountDirection.OUTBOUND],
        }
        for period in report.periods()
        for channel in channels
    ]
    heatmap = [[0] * 24 for _ in range(7)]
    inbound = (
        _buckets(report)
        .filter(direction=CountDirection.INBOUND)
        .annotate(
            weekday=ExtractIsoWeekDay("hour", tzinfo=report.time_zone),
            local_hour=ExtractHour("hour", tzinfo=report.time_zone),
        )
        .values("weekday", "local_hour")
        .annotate(total=Sum("count"))
        .order_by()
    )
    for row in inbound:
        heatmap[row["weekday"] - 1][row["local_hour"]] += row["total"]
    return {"rows": rows, "heatmap": heatmap}


def report_delivery(report: ReportRange) -> dict:
    """How the outbound SMS and emails of each period fared: delivered, failed, still
    pending (no final answer yet), and the delivery rate (delivered out of those with an
    answer); per period and channel, and in total. One query."""
    channels = report.channels(DELIVERED_CHANNELS)
    outcomes: dict[tuple, dict[str, int]] = defaultdict(
        lambda: {"delivered": 0, "failed": 0, "pending": 0}
    )
    grouped = (
        _buckets(report, channels)
        .filter(direction=CountDirection.OUTBOUND, status__in=list(DELIVERY_OUTCOMES))
        .annotate(period=_period(report))
        .values("period", "channel", "status")
        .annotate(total=Sum("count"))
        .order_by()
    )
    if channels:
        for row in grouped:
            key = _day(row["period"]), row["channel"]
            outcomes[key][DELIVERY_OUTCOMES[row["status"]]] += row["total"]
    rows = [
        {"period": period, "channel": channel, **_delivery(outcomes[period, channel])}
        for period in report.periods()
        for channel in channels
    ]
    total = {"delivered": 0, "failed": 0, "pending": 0}
    for counts in outcomes.values():
        for outcome, count in counts.items():
            total[outcome] += count
    return {"rows": rows, "total": _delivery(total)}


def report_errors(report: ReportRange) -> dict:
    """Failed outbound SMS and emails by channel and error code, most frequent first, each
    with what the code means and what to do (the provider's table). One query."""
    channels = report.channels(DELIVERED_CHANNELS)
    if not channels:
        return {"rows": []}
    grouped = (
        _buckets(report, channels)
        .filter(direction=CountDirection.OUTBOUND, status__in=FAILED_STATUSES)
        .values("channel", "error_code")
        .annotate(total=Sum("count"))
        .order_by("-total", "channel", "error_code")
    )
    return {
        "rows": [
            {
                "channel": row["channel"],
                "code": row["error_code"],
                "count": row["total"],
                **failure_meaning(row["channel"], row["error_code"]),
            }
            for row in grouped
        ]
    }


def failure_meaning(channel: str, code: str) -> dict[str, str]:
    """What an error code of a channel means: title, action and url from the provider's
    table; a generic title for a code it does not know, or for no code at all."""
    if not code:
        return {"title": NO_CODE_TITLE, "action": "", "url": ""}
    reason = _failure_reason(channel, code)
    if reason is None:
        return {"title": f"Error {code}", "action": "", "url": ""}
    return {"title": reason.title, "action": reason.action, "url": reason.url}


def _failure_reason(channel: str, code: str) -> FailureReason | None:
    if channel == ReportChannel.SMS:
        return sms_providers.failure_reason(code)
    return email_providers.failure_reason(code)


# The name shown for the replies of a teammate whose user was deleted since.
FORMER_TEAMMATE = "Former teammate"


def report_response_times(report: ReportRange) -> dict:
    """The median time to first reply (reports.models.FirstReply) of the replies sent in
    the range: overall, per teammate (by name) and per period (every period, null when it
    had none). Four queries; none for the internal channel, which has no replies."""
    periods = report.periods()
    if not report.channels(DELIVERED_CHANNELS):
        return {
            "overall": _median({}),
            "rows": [],
            "by_period": [{"period": period, **_median({})} for period in periods],
        }
    replies = FirstReply.objects.filter(replied_at__gte=report.start, replied_at__lt=report.end)
    if report.channel is not None:
        replies = replies.filter(channel=report.channel)
    medians = {"median_seconds": Median("seconds"), "replies": Count("*")}
    overall = replies.aggregate(**medians)
    agents = list(replies.values("agent_id").annotate(**medians).order_by())
    names = {
        user.pk: display_name(user)
        for user in get_user_model().objects.filter(
            pk__in=[row["agent_id"] for row in agents if row["agent_id"] is not None]
        )
    }
    rows = sorted(
        (
            {
                "agent_id": row["agent_id"],
                "agent_name": names.get(row["agent_id"], FORMER_TEAMMATE),
                **_median(row),
            }
            for row in agents
        ),
        key=lambda row: (row["agent_name"].casefold(), row["agent_id"] or 0),
    )
    by_period = {
        _day(row["period"]): row
        for row in replies.annotate(period=_period(report, field="replied_at"))
        .values("period")
        .annotate(**medians)
        .order_by()
    }
    return {
        "overall": _median(overall),
        "rows": rows,
        "by_period": [
            {"period": period, **_median(by_period.get(period, {}))} for period in periods
        ],
    }


def _median(row: dict) -> dict:
    seconds = row.get("median_seconds")
    return {
        "median_seconds": None if seconds is None else round(seconds, 1),
        "replies": row.get("replies", 0),
    }


def _buckets(report: ReportRange, channels: list[str] | None = None) -> QuerySet:
    """The hourly counts of the range's local days, in its channels."""
    buckets = HourlyCount.objects.filter(hour__gte=report.start, hour__lt=report.end)
    if channels is not None:
        return buckets.filter(channel__in=channels)
    if report.channel is not None:
        return buckets.filter(channel=report.channel)
    return buckets


def _period(report: ReportRange, *, field: str = "hour") -> Trunc:
    """The local day (or Monday) a time falls in, computed by the database."""
    kind = "week" if report.interval == Interval.WEEK else "day"
    return Trunc(field, kind, output_field=DateField(), tzinfo=report.time_zone)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _delivery(counts: dict[str, int]) -> dict:
    answered = counts["delivered"] + counts["failed"]
    return {
        "outbound": answered + counts["pending"],
        **counts,
        "delivery_rate": round(counts["delivered"] / answered, 4) if answered else None,
    }
