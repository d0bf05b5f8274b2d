"""The exports API: every message as CSV, streamed, or written by a worker when it is too
large to stream within a request, then downloaded.

    GET /api/export/messages.csv?from=&to=&channel=&background=
    GET /api/export/jobs/<id>             the job: status, progress, its download link
    GET /api/export/jobs/<id>/download    the file, once done
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.errors import ApplicationError, Conflict, ValidationError
from exports import selectors, services
from exports.models import ExportChannel, ExportStatus
from exports.ranges import export_range_parse
from exports.representation import export_job_data
from exports.selectors import COLUMNS, message_export_count, message_export_rows
from exports.writing import csv_blocks
from web.schema import ErrorSerializer, errors, id_parameter

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
_YES = ("1", "true", "yes")
_NO = ("", "0", "false", "no")


class ExportExpired(ApplicationError):
    """The job is known, its file is not any more (deleted a day after it was written)."""

    status_code = 410


class ExportJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    channel = serializers.ChoiceField(
        choices=ExportChannel.choices, allow_null=True, help_text="null: every channel."
    )
    # "from" is a Python keyword, so it cannot be declared here: get_fields adds it.
    to = serializers.DateField(allow_null=True, help_text="The last day, as asked.")
    window_start = serializers.DateTimeField(
        allow_null=True, help_text="The first instant exported (null: from the first message)."
    )
    window_end = serializers.DateTimeField(
        help_text="The end (excluded): the end of 'to' in TIME_ZONE, or when it was asked for."
    )
    row_count = serializers.IntegerField(
        allow_null=True, help_text="Rows to write; null until a worker has counted them."
    )
    rows_written = serializers.IntegerField()
    progress = serializers.FloatField(help_text="From 0 to 1.")
    error = serializers.CharField(help_text="Why it failed; '' otherwise.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When its file will be deleted (a day after it was written)."
    )
    url = serializers.URLField(help_text="This job, to follow its progress.")
    download_url = serializers.URLField(allow_null=True, help_text="The file, once done.")

    class Meta:
        ref_name = "ExportJob"

    def get_fields(self):
        fields = super().get_fields()
        first = serializers.DateField(allow_null=True, help_text="The first day, as asked.")
        return {
            "id": fields.pop("id"),
            "status": fields.pop("status"),
            "channel": fields.pop("channel"),
            "from": first,
            **fields,
        }


_DAY_HELP = "A day, YYYY-MM-DD, in the server's TIME_ZONE, included."
_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, required=False, description=f"{_DAY_HELP} Default: the first."
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, required=False, description=f"{_DAY_HELP} Default: today."
    ),
    OpenApiParameter(
        "channel",
        OpenApiTypes.STR,
        enum=ExportChannel.values,
        required=False,
        description="sms, internal or email; every channel when left out.",
    ),
    OpenApiParameter(
        "background",
        OpenApiTypes.STR,
        enum=["1", "0", "true", "false", "yes", "no"],
        required=False,
        description="1: always as a background job, whatever its size.",
    ),
]
_COLUMNS_DESCRIPTION = """Every message of the range, SMS, internal and email, oldest first
(by `created_at`, then `id`), as CSV (UTF-8 with a byte order mark, for Excel; CRLF line
ends; a header row). The columns:

- `id`: the message's or email's id;
- `created_at`: when Hatch stored it, ISO 8601 in UTC;
- `channel`: `sms`, `internal` or `email`;
- `direction`: `outbound` or `inbound`;
- `status`: the channel's status (`queued`, `sent`, `delivered`, `failed`, `bounced`, ...);
- `conversation_id`: its conversation (an email: its thread);
- `contact_id`, `contact_name`: the person on the other side, if known;
- `from`, `to`: phone numbers (E.164), names (internal) or addresses (email: the To
  address; Cc and Bcc are not exported);
- `subject`: an email's subject, blank for SMS and internal messages;
- `body`: the text (an email's plain-text part);
- `error_code`, `error_message`: the provider's error code and Hatch's description,
  if it failed;
- `sent_by`: the teammate who sent it (full name, else username), blank for inbound
  messages and automated sends;
- `sent_at`, `delivered_at`: when the provider accepted it, and when it reported it
  delivered, ISO 8601 in UTC, blank until then.

A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
or a line break) starts with a single quote (OWASP's CSV injection advice); a phone number
(`+` and digits) is written as it is.

An export of more than EXPORT_STREAM_MAX_ROWS rows (%(max_rows)s here), or any export with
`background=1`, is written by a worker instead: the answer is 202 with the job and its
`Location`; follow the job until its status is `done`, then download its file (kept a day).
"""


def _messages_description() -> str:
    return _COLUMNS_DESCRIPTION % {"max_rows": f"{settings.EXPORT_STREAM_MAX_ROWS:,}"}


class ExportViewSet(viewsets.ViewSet):
    """Exports. Errors are JSON whatever the client accepts: the CSV answer is not a
    rendered Response, so content negotiation only chooses how errors are written."""

    def perform_content_negotiation(self, request, force=False):
        # "Accept: text/csv" must not be a 406: fall back to the first renderer (JSON).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="export_messages_csv",
        summary="Export messages as CSV",
        description=_messages_description(),
        parameters=_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="The CSV, streamed: columns " + ", ".join(COLUMNS) + ".",
            ),
            (202, "application/json"): OpenApiResponse(
                response=ExportJobSerializer,
                description="Too large to stream (or background=1): a job; see Location.",
            ),
            **errors(400, 401, 403),
        },
    )
    def messages(self, request):
        params = request.query_params
        export_range = export_range_parse(
            date_from=params.get("from"),
            date_to=params.get("to"),
            channel=params.get("channel"),
            now=timezone.now(),
        )
        background = _flag(params.get("background"), "background")
        if background or (
            message_export_count(export_range, up_to=settings.EXPORT_STREAM_MAX_ROWS + 1)
            > settings.EXPORT_STREAM_MAX_ROWS
        ):
            job = services.export_job_create(user=request.user, export_range=export_range)
            data = export_job_data(job, absolute_uri=request.build_absolute_uri)
            return Response(data, status=202, headers={"Location": data["url"]})
        blocks = (text for text, _ in csv_blocks(message_export_rows(export_range)))
        response = StreamingHttpResponse(
            _async_blocks(blocks) if isinstance(request._request, ASGIRequest) else blocks,
            content_type=CSV_CONTENT_TYPE,
        )
        response["Content-Disposition"] = content_disposition_header(True, export_range.filename)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ExportJobViewSet(viewsets.ViewSet):
    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="An export job: its status and progress",
        description="Only for the person who asked for it, and team admins (404 for "
        "anyone else). `download_url` is set once the status is `done`.",
        parameters=[id_parameter("export job")],
        responses={200: ExportJobSerializer, **errors(401, 403, 404)},
    )
    def retrieve(self, request, pk=None):
        job = selectors.export_job_get(job_id=pk, user=request.user)
        return Response(export_job_data(job, absolute_uri=request.build_absolute_uri))

    @extend_schema(
        summary="Download an export job's CSV",
        description="The file of a `done` job (the same CSV as the streamed export), for "
        "the person who asked for it and team admins (404 for anyone else). 409 while it "
        "is not done yet or failed; 410 once its file was deleted, a day after it was "
        "written.",
        parameters=[id_parameter("export job")],
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="The CSV."),
            **errors(401, 403, 404, 409),
            410: OpenApiResponse(
                response=ErrorSerializer,
                description="The file was deleted a day after it was written: export again.",
            ),
        },
    )
    def download(self, request, pk=None):
        job = selectors.export_job_get(job_id=pk, user=request.user)
        if job.status == ExportStatus.EXPIRED:
            raise ExportExpired(
                "This export's file was deleted a day after it was written; ask for the "
                "export again."
            )
        if job.status == ExportStatus.FAILED:
            raise Conflict(f"This export failed: {job.error_message}")
        if job.status != ExportStatus.DONE:
            raise Conflict(
                f"This export is still {job.get_status_display().lower()} "
                f"({job.rows_written:,} rows written): download it once its status is done."
            )
        return FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=services.export_job_range(job).filename,
            content_type=CSV_CONTENT_TYPE,
            headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
        )


def _flag(raw: str | None, name: str) -> bool:
    value = (raw or "").strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValidationError(f"'{name}' must be 1 or 0 (true or false), not {raw[:40]!r}.", field=name)


async def _async_blocks(blocks):
    """The blocks for an ASGI server (daphne, as `make run` serves): Django would otherwise
    read a synchronous iterator whole into memory before sending any of it. Each block is
    made in the request's thread, where its queries run."""
    next_block = sync_to_async(next, thread_sensitive=True)
    while (block := await next_block(blocks, None)) is not None:
        yield block
