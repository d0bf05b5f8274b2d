"""The broadcasts API: create (JSON, or a CSV upload), preview, list, one, pause, resume,
cancel. A broadcast answers with its counts, which change live as it is sent."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import parsers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from broadcasts import selectors, services
from broadcasts.models import NAME_MAX_LENGTH, BroadcastChannel, BroadcastStatus
from broadcasts.recipients import RECIPIENTS_MAX, csv_rows, recipients_resolve
from broadcasts.representation import broadcast_data
from broadcasts.selectors import COUNT_KEYS
from broadcasts.templates import BroadcastText
from core.errors import ValidationError
from idempotency.keys import idempotent
from outbox.api import send_at_field
from web.pagination import KeysetPagination
from web.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, errors, id_parameter, page_of


class RecipientsSerializer(serializers.Serializer):
    contacts = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=RECIPIENTS_MAX
    )
    labels = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=RECIPIENTS_MAX
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=320), required=False, max_length=RECIPIENTS_MAX
    )


class CreateBroadcastSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    channel = serializers.ChoiceField(choices=BroadcastChannel.choices)
    subject = serializers.CharField(
        max_length=998, required=False, allow_blank=True, help_text="Email: required."
    )
    body = serializers.CharField(
        max_length=100_000,
        trim_whitespace=False,
        help_text="The text, with variables: {{contact.first_name}}, {{contact.name}} and a "
        "CSV's own columns as {{contact.<column>}}, each with a default if wanted: "
        '{{contact.first_name|default:"there"}}. Each SMS ends with BROADCAST_SMS_FOOTER.',
    )
    recipients = RecipientsSerializer(
        required=False,
        help_text="Contacts (ids), labels (names: their contacts), numbers (SMS) or emails "
        "(email). Each person is messaged once, at their primary number or address.",
    )
    send_at = send_at_field()


class CreateBroadcastFormSerializer(CreateBroadcastSerializer):
    """A broadcast with a CSV of its recipients, as a browser uploads it."""

    recipients = None
    file = serializers.FileField(
        help_text="A CSV whose first line names its columns: 'phone' (SMS) or 'email', and "
        "any others, each a variable of its row ({{contact.<column>}})."
    )


class BroadcastSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    channel = serializers.ChoiceField(choices=BroadcastChannel.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    status = serializers.ChoiceField(choices=BroadcastStatus.choices)
    pause_reason = serializers.CharField(help_text="Why it is paused; '' otherwise.")
    send_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    created_by = serializers.DictField(allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="By recipient: " + ", ".join(COUNT_KEYS) + ". scheduled includes those "
        "whose message is still being created (preparing); failed includes undelivered "
        "and bounced.",
    )
    expected_finish = serializers.DateTimeField(
        allow_null=True,
        help_text="A paced SMS broadcast (SMS_SENDER_RATE): when its last message is due.",
    )
    warning = serializers.CharField(help_text="E.g. it would outlast Twilio's queue window.")


class PreviewSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Who would be messaged.")
    skipped = serializers.DictField(child=serializers.IntegerField())
    sample = serializers.DictField(help_text="The first recipient's address, subject, text.")
    segments = serializers.IntegerField(help_text="SMS segments of the sample text.")
    total_segments = serializers.IntegerField()
    expected_seconds = serializers.FloatField(
        allow_null=True, help_text="At SMS_SENDER_RATE; null without pacing."
    )
    warning = serializers.CharField()


broadcast_pages = KeysetPagination(time_field="created_at", results_key="broadcasts")
_BROADCAST_ID = id_parameter("broadcast")
_CREATE_REQUEST = {
    "application/json": CreateBroadcastSerializer,
    "multipart/form-data": CreateBroadcastFormSerializer,
}
_EXAMPLE = OpenApiExample(
    "An SMS to a label",
    value={
        "name": "Holiday hours",
        "channel": "sms",
        "body": 'Hi {{contact.first_name|default:"there"}}, we open at 10 on the 24th.',
        "recipients": {"labels": ["VIP"], "numbers": ["+14155550123"]},
    },
    request_only=True,
)


def _state_change(summary: str, description: str) -> dict:
    return extend_schema(
        summary=summary,
        description=description,
        parameters=[_BROADCAST_ID],
        request=None,
        responses={200: BroadcastSerializer, **errors(401, 403, 404, 409)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="List broadcasts, newest first",
        parameters=PAGE_PARAMETERS,
        responses={
            200: page_of("BroadcastPage", "broadcasts", BroadcastSerializer),
            **errors(400, 401, 403),
        },
    ),
    retrieve=extend_schema(
        summary="One broadcast, with its counts",
        parameters=[_BROADCAST_ID],
        responses={200: BroadcastSerializer, **errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Send one text to many people",
        description="Recipients as JSON (`recipients`: contacts, labels, numbers, emails) or "
        "a CSV upload (`file`, a multipart form). Each person is messaged once; those who "
        "opted out, whose number or address is invalid, or who are listed twice are "
        "skipped and counted, never sent. Each message lands in its recipient's "
        "conversation without opening it. SMS are paced at SMS_SENDER_RATE and end with "
        "BROADCAST_SMS_FOOTER; emails carry an unsubscribe link and List-Unsubscribe. "
        "`send_at` starts it later; quiet hours hold each message to its recipient's "
        "morning. A daily SMS limit pauses it (resume it the next day).",
        parameters=[IDEMPOTENCY_KEY],
        request=_CREATE_REQUEST,
        examples=[_EXAMPLE],
        responses={201: BroadcastSerializer, **errors(400, 401, 403, 413, 415, 422)},
    ),
    preview=extend_schema(
        summary="What a broadcast would send, without sending it",
        description="The same body as a create: the number of recipients, the skips, the "
        "first recipient's text, its segments and how long the pacing would take.",
        request=_CREATE_REQUEST,
        responses={200: PreviewSerializer, **errors(400, 401, 403, 413, 415)},
    ),
    pause=_state_change(
        "Pause a broadcast",
        "No more of its messages go until it is resumed (one already on its way still "
        "goes). A 409 unless it is being sent.",
    ),
    resume=_state_change(
        "Resume a paused broadcast",
        "Its waiting messages are paced again from now. A 409 unless it is paused.",
    ),
    cancel=_state_change(
        "Cancel a broadcast",
        "Its messages not yet on their way are canceled. A 409 once it is done.",
    ),
)
class BroadcastViewSet(viewsets.GenericViewSet):
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser]

    def get_serializer_class(self):
        request = getattr(self, "request", None)
        if request is not None and request.content_type.startswith("multipart/"):
            return CreateBroadcastFormSerializer
        if self.action in ("create", "preview"):
            return CreateBroadcastSerializer
        return BroadcastSerializer

    def list(self, request):
        rows, next_url = broadcast_pages.paginate(selectors.broadcast_list(), request)
        return broadcast_pages.response([broadcast_data(row) for row in rows], next_url)

    def retrieve(self, request, pk=None):
        return Response(broadcast_data(selectors.broadcast_get(broadcast_id=pk)))

    @idempotent
    def create(self, request):
        data, recipients = self._read(request)
        broadcast = services.broadcast_create(
            name=data["name"],
            channel=data["channel"],
            subject=data.get("subject", ""),
            body=data["body"],
            recipients=recipients,
            send_at=data.get("send_at"),
            user=request.user,
        )
        return Response(broadcast_data(broadcast), status=201)

    @action(detail=False, methods=["post"])
    def preview(self, request):
        data, recipients = self._read(request)
        channel = data["channel"]
        text = BroadcastText(
            channel=channel,
            body=data["body"],
            subject=data.get("subject", ""),
            recipients=recipients,
        )
        text.check()
        return Response(selectors.broadcast_preview(text, recipients))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def pause(self, request, pk=None):
        broadcast = selectors.broadcast_get(broadcast_id=pk)
        return Response(broadcast_data(services.broadcast_pause(broadcast=broadcast)))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def resume(self, request, pk=None):
        broadcast = selectors.broadcast_get(broadcast_id=pk)
        return Response(broadcast_data(services.broadcast_resume(broadcast=broadcast)))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def cancel(self, request, pk=None):
        broadcast = selectors.broadcast_get(broadcast_id=pk)
        return Response(broadcast_data(services.broadcast_cancel(broadcast=broadcast)))

    def _read(self, request) -> tuple[dict, list]:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        channel = data["channel"]
        if "file" in data:
            upload = data["file"]
            # From its start: an Idempotency-Key's fingerprint has read it once already.
            upload.seek(0)
            rows = csv_rows(upload.read(), channel=channel)
            return data, recipients_resolve(channel=channel, rows=rows)
        given = data.get("recipients") or {}
        takes, wrong = ("numbers", "emails")
        if channel == BroadcastChannel.EMAIL:
            takes, wrong = wrong, takes
        if given.get(wrong):
            raise ValidationError(
                f"An {BroadcastChannel(channel).label} broadcast goes to {takes}, not {wrong}.",
                field="recipients",
            )
        return data, recipients_resolve(
            channel=channel,
            contacts=given.get("contacts", []),
            labels=given.get("labels", []),
            addresses=given.get("numbers" if channel == BroadcastChannel.SMS else "emails", []),
        )
