"""The reports API: volume, delivery, errors and response times for a range of days, as
JSON (what the Reports page draws) or CSV (``?format=csv``). The numbers come from the
hourly counts and first replies the refresh keeps (reports.services), never from the
messages themselves; each answer says when they were last refreshed."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.errors import ValidationError
from reports import selectors
from reports.ranges import CHANNELS, Interval, ReportRange
from reports.renderers import CsvRenderer
from web.renderers import FastJSONRenderer
from web.schema import errors

DEFAULT_DAYS = 30
FORMATS = ("json", "csv")
# Dates a report may cover: far enough apart for any history, near enough that every
# local midnight of the range is a time Python and the database can hold.
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)
CHANNEL_CHOICES = ", ".join(f"'{channel}'" for channel in CHANNELS)


def report_range(params: QueryDict) -> ReportRange:
    """The report asked for by a request's query parameters, or a ValidationError (400)
    naming the parameter and what to send instead. An empty value is an absent one."""
    zone = ZoneInfo(settings.TIME_ZONE)
    last = _date(params, "to") or datetime.now(zone).date()
    first = _date(params, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise ValidationError(
            f"'to' ({last}) is before 'from' ({first}): the range runs from 'from' to 'to', "
            "both included.",
            field="to",
        )
    if last >= _years_after(first, 2):
        raise ValidationError(
            f"The range {first} to {last} is longer than 2 years: ask for at most 2 years "
            "at a time.",
            field="to",
        )
    channel = params.get("channel") or None
    if channel not in (None, *CHANNELS):
        raise ValidationError(
            f"'channel' must be {CHANNEL_CHOICES}, or left out for every channel.",
            field="channel",
        )
    interval = params.get("interval") or Interval.DAY
    if interval not in Interval.ALL:
        raise ValidationError("'interval' must be 'day' or 'week'.", field="interval")
    return ReportRange(first=first, last=last, channel=channel, interval=interval, time_zone=zone)


def _date(params: QueryDict, name: str) -> date | None:
    raw = params.get(name) or ""
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:  # well formed, but no such day (2026-02-30)
        value = None
    if value is None:
        raise ValidationError(
            f"'{name}' is not a date: {raw[:40]!r}. Send YYYY-MM-DD, e.g. 2026-12-01.",
            field=name,
        )
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(
            f"'{name}' must be a date from {EARLIEST} to {LATEST}, not {value}.", field=name
        )
    return value


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year + years, day=28) + timedelta(days=1)


class ReportNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with a 400 for a ``format`` other than json or csv (DRF's own
    answer would be a 404, as for a missing page)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        requested = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) or ""
        if requested and requested not in FORMATS:
            raise ValidationError("'format' must be 'json' or 'csv'.", field="format")
        return super().select_renderer(request, renderers, format_suffix)


# ------------------------------------------------------------------------------ schema


class _ReportHeader(serializers.Serializer):
    """What every report answers besides its numbers."""

    # "from" is a Python keyword: the field is renamed below.
    from_ = serializers.DateField(help_text="The first day, in TIME_ZONE.")
    to = serializers.DateField(help_text="The last day (included).")
    channel = serializers.CharField(
        allow_null=True, help_text="sms, email or internal; null for every channel."
    )
    interval = serializers.CharField(help_text="day or week (weeks start on Monday).")
    time_zone = serializers.CharField(help_text="TIME_ZONE: the days' and hours' zone.")
    refreshed_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the counts were last refreshed (every REPORTS_REFRESH_SECONDS); "
        "null if never.",
    )

    def get_fields(self):
        fields = super().get_fields()
        return {"from": fields.pop("from_"), **fields}


def _period_field():
    return serializers.DateField(help_text="The period's first day (a week's Monday).")


def _channel_field():
    return serializers.CharField(help_text="sms, email or internal.")


class VolumeRowSerializer(serializers.Serializer):
    period = _period_field()
    channel = _channel_field()
    inbound = serializers.IntegerField()
    outbound = serializers.IntegerField(
        help_text="Sent or on their way: scheduled and canceled ones are not counted."
    )


class VolumeSerializer(_ReportHeader):
    rows = VolumeRowSerializer(
        many=True, help_text="Every period of the range for each channel, oldest first."
    )
    heatmap = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=24, max_length=24),
        min_length=7,
        max_length=7,
        help_text="Inbound messages by weekday (0 = Monday) and hour, in TIME_ZONE.",
    )


class _DeliveryCountsSerializer(serializers.Serializer):
    outbound = serializers.IntegerField(help_text="delivered + failed + pending.")
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField(
        help_text="SMS failed or undelivered; emails bounced, dropped or failed."
    )
    pending = serializers.IntegerField(help_text="Queued, sending or sent: no answer yet.")
    delivery_rate = serializers.FloatField(
        allow_null=True, help_text="delivered / (delivered + failed); null when both are 0."
    )


class DeliveryRowSerializer(_DeliveryCountsSerializer):
    period = _period_field()
    channel = serializers.CharField(help_text="sms or email.")


class DeliverySerializer(_ReportHeader):
    rows = DeliveryRowSerializer(
        many=True,
        help_text="Every period for each channel a provider delivers (SMS, email), oldest "
        "first; none for the internal channel.",
    )
    total = _DeliveryCountsSerializer()


class ErrorRowSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="sms or email.")
    code = serializers.CharField(help_text="The provider's error code; '' for none.")
    count = serializers.IntegerField()
    title = serializers.CharField(help_text="What happened, in plain words.")
    action = serializers.CharField(help_text="What the team can do; '' when unknown.")
    url = serializers.CharField(help_text="The provider's page for the code, or ''.")


class ErrorsSerializer(_ReportHeader):
    rows = ErrorRowSerializer(many=True, help_text="Most frequent first.")


class _MedianSerializer(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True)
    replies = serializers.IntegerField()


class AgentMedianSerializer(_MedianSerializer):
    agent_id = serializers.IntegerField(allow_null=True, help_text="Null: a deleted user.")
    agent_name = serializers.CharField()


class PeriodMedianSerializer(_MedianSerializer):
    period = _period_field()


class ResponseTimesSerializer(_ReportHeader):
    overall = _MedianSerializer()
    rows = AgentMedianSerializer(many=True, help_text="Per teammate who replied, by name.")
    by_period = PeriodMedianSerializer(many=True, help_text="Every period, oldest first.")


REPORT_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="The first day (YYYY-MM-DD, in TIME_ZONE). Default: 29 days before `to`.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="The last day, included. Default: today. At most 2 years after `from`.",
    ),
    OpenApiParameter(
        "channel", OpenApiTypes.STR, enum=list(CHANNELS), description="Default: every channel."
    ),
    OpenApiParameter(
        "interval",
        OpenApiTypes.STR,
        enum=list(Interval.ALL),
        description="A row per day (default) or per week (from Monday).",
    ),
    OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=list(FORMATS),
        description="csv: the rows as a CSV file (text/csv, an attachment).",
    ),
]


def _report_schema(summary: str, description: str, serializer) -> dict:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=REPORT_PARAMETERS,
        responses={
            (200, "application/json"): serializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **{
                (code, "application/json"): answer for code, answer in errors(400, 401, 403).items()
            },
        },
    )


# ------------------------------------------------------------------------------- views


class ReportView(APIView):
    """One report: the range from the query (report_range), the numbers from ``select``
    (a selector), in JSON, or its rows as CSV under ``csv_columns``."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CsvRenderer]
    content_negotiation_class = ReportNegotiation
    name: str
    csv_columns: tuple[str, ...]

    @staticmethod
    def select(report: ReportRange) -> dict:
        raise NotImplementedError

    def get(self, request):
        report = report_range(request.query_params)
        data = {
            "from": report.first,
            "to": report.last,
            "channel": report.channel,
            "interval": report.interval,
            "time_zone": settings.TIME_ZONE,
            "refreshed_at": selectors.refreshed_at(),
            **self.select(report),
        }
        response = Response(data)
        if request.accepted_renderer.format == CsvRenderer.format:
            channel = f"-{report.channel}" if report.channel else ""
            filename = f"{self.name}{channel}-{report.first}-to-{report.last}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is answered in the API's one JSON shape, CSV asked for or not.
        if response.status_code >= 400 and isinstance(
            getattr(request, "accepted_renderer", None), CsvRenderer
        ):
            request.accepted_renderer = FastJSONRenderer()
            request.accepted_media_type = FastJSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


@_report_schema(
    "Messages in and out, per period and channel",
    "Every period of the range for each channel (zeros included), and a heatmap of inbound "
    "messages by weekday and hour in TIME_ZONE.",
    VolumeSerializer,
)
class VolumeReportView(ReportView):
    name = "volume"
    csv_columns = ("period", "channel", "inbound", "outbound")
    select = staticmethod(selectors.report_volume)


@_report_schema(
    "How outbound SMS and emails fared",
    "Delivered, failed and pending outbound records per period and channel, and the "
    "delivery rate. Scheduled and canceled records are not counted.",
    DeliverySerializer,
)
class DeliveryReportView(ReportView):
    name = "delivery"
    csv_columns = (
        "period", "channel", "outbound", "delivered", "failed", "pending", "delivery_rate",
    )  # fmt: skip
    select = staticmethod(selectors.report_delivery)


@_report_schema(
    "Why outbound SMS and emails failed",
    "Failed records by channel and error code, most frequent first, each with what the "
    "code means and what to do (from the providers' tables, as GET "
    "/api/reports/failure_reasons lists them).",
    ErrorsSerializer,
)
class ErrorsReportView(ReportView):
    name = "errors"
    csv_columns = ("channel", "code", "count", "title", "action", "url")
    select = staticmethod(selectors.report_errors)


@_report_schema(
    "Median time to first reply",
    "From the first inbound message of a conversation (or the first since it was last "
    "closed) to the next outbound message a teammate sent, counted in the period of the "
    "reply: overall, per teammate and per period. SMS and email; the CSV holds the "
    "per-teammate rows.",
    ResponseTimesSerializer,
)
class ResponseTimesReportView(ReportView):
    name = "response_times"
    csv_columns = ("agent_id", "agent_name", "median_seconds", "replies")
    select = staticmethod(selectors.report_response_times)
