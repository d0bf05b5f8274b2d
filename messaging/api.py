"""The messaging API: the seed's endpoints, plus read-only REST resources.

Seed paths (kept so its clients keep working):
    GET  /api/conversations
    GET  /api/conversation/<id>/messages
    GET  /api/conversation/<id>/new_messages?since=<ISO 8601>
    POST /api/send_message
"""

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import ValidationError
from core.serialization import row_of
from idempotency.keys import idempotent
from messaging import selectors, services
from messaging.models import BODY_MAX_LENGTH, Channel, Conversation, Message, MessageStatus
from messaging.providers import sms_providers
from messaging.representation import (
    CONVERSATION_FIELDS,
    DELIVERED_STATUSES,
    MESSAGE_FIELDS,
    conversation_data,
    message_data,
)
from web.pagination import KeysetPagination
from web.schema import (
    IDEMPOTENCY_KEY,
    PAGE_PARAMETERS,
    RETRY_AFTER,
    errors,
    id_parameter,
    page_of,
)


class ConversationSerializer(serializers.ModelSerializer):
    conversation_id = serializers.UUIDField(source="id")
    # The seed's display string: the other party, then us.
    participants = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    last_message_date = serializers.DateTimeField(source="last_message_at")
    preview = serializers.CharField(source="last_message_preview")

    class Meta:
        model = Conversation
        fields = [
            "conversation_id",
            "participants",
            "reply_to",
            "own_contact",
            "contacts",
            "has_phone_numbers",
            "channel",
            "last_message_date",
            "message_count",
            "unread_count",
            "preview",
        ]

    def get_participants(self, conversation: Conversation) -> str:
        return f"{conversation.reply_to}->{conversation.own_contact}"

    def get_contacts(self, conversation: Conversation) -> list[str]:
        return [conversation.participant_a, conversation.participant_b]


class MessageSerializer(serializers.ModelSerializer):
    timestamp = serializers.DateTimeField(source="created_at")
    type = serializers.ChoiceField(source="channel", choices=Channel.choices)
    external_sid = serializers.CharField(
        source="provider_message_id",
        allow_null=True,
        help_text="The provider's id of the message (Twilio's MessageSid), once sent.",
    )
    is_delivered = serializers.SerializerMethodField(
        help_text="Whether the message has arrived: delivered, or received."
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation_id",
            "to_contact",
            "from_contact",
            "body",
            "timestamp",
            "status",
            "direction",
            "type",
            "external_sid",
            "error_code",
            "error_message",
            "is_delivered",
            "num_segments",
            "num_media",
            "media",
            "sent_at",
            "delivered_at",
            "updated_at",
        ]

    def get_is_delivered(self, message: Message) -> bool:
        return message.status in DELIVERED_STATUSES


class SendMessageSerializer(serializers.Serializer):
    to = serializers.CharField(help_text="A phone number (sent as SMS) or a contact name.")
    body = serializers.CharField(max_length=BODY_MAX_LENGTH, trim_whitespace=False)

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.CharField(
            required=False,
            allow_blank=True,
            allow_null=True,
            help_text="Optional sender: one of Hatch's numbers for SMS, a name otherwise.",
        )
        return fields


conversation_pages = KeysetPagination(time_field="last_message_at", results_key="conversations")
message_pages = KeysetPagination(time_field="created_at", results_key="messages")


# The send answer's "method" for an internal message: stored, never sent anywhere.
INTERNAL_METHOD = "database"
_CONVERSATION_ID = id_parameter("conversation")
_MESSAGE_ID = id_parameter("message")
_MESSAGE_PAGE = page_of("MessagePage", "messages", MessageSerializer)


@extend_schema_view(
    list=extend_schema(
        summary="List conversations, newest activity first",
        parameters=[
            OpenApiParameter("q", str, description="Searches contacts and message text."),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter(
                "status",
                str,
                enum=["failed"],
                description="Only conversations with a message that failed or was undelivered.",
            ),
            *PAGE_PARAMETERS,
        ],
        responses={
            200: page_of("ConversationPage", "conversations", ConversationSerializer),
            **errors(400, 401, 403),
        },
    ),
    retrieve=extend_schema(
        summary="One conversation",
        parameters=[_CONVERSATION_ID],
        responses={200: ConversationSerializer, **errors(401, 403, 404)},
    ),
    messages=extend_schema(
        summary="A conversation's messages",
        parameters=[_CONVERSATION_ID, *PAGE_PARAMETERS],
        responses={200: _MESSAGE_PAGE, **errors(400, 401, 403, 404)},
    ),
    new_messages=extend_schema(
        summary="A conversation's messages newer than a time",
        parameters=[
            _CONVERSATION_ID,
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                required=True,
                description="ISO 8601 with an offset, e.g. 2026-01-31T09:30:00+00:00.",
            ),
        ],
        responses={
            200: inline_serializer("NewMessages", {"messages": MessageSerializer(many=True)}),
            **errors(400, 401, 403, 404),
        },
    ),
    read=extend_schema(
        summary="Mark a conversation read",
        parameters=[_CONVERSATION_ID],
        request=None,
        responses={200: ConversationSerializer, **errors(401, 403, 404)},
    ),
)
class ConversationViewSet(viewsets.GenericViewSet):
    serializer_class = ConversationSerializer

    def list(self, request):
        """Newest activity first. ``q`` searches contacts and text; ``channel`` is "sms" or
        "internal"; ``status=failed`` keeps conversations with a message that did not arrive."""
        params = request.query_params
        channel = params.get("channel", "")
        if channel not in ("", *Channel.values):
            raise ValidationError("'channel' must be 'sms' or 'internal'.", field="channel")
        status = params.get("status", "")
        if status not in ("", "failed"):
            raise ValidationError("'status' can only be 'failed'.", field="status")
        conversations = selectors.conversation_list(
            query=params.get("q", ""), channel=channel, failed_only=status == "failed"
        )
        rows, next_url = conversation_pages.paginate(
            conversations.values(*CONVERSATION_FIELDS), request
        )
        return conversation_pages.response(list(map(conversation_data, rows)), next_url)

    def retrieve(self, request, pk=None):
        conversation = selectors.conversation_get(conversation_id=pk)
        return Response(conversation_data(row_of(conversation, CONVERSATION_FIELDS)))

    @action(detail=True, serializer_class=MessageSerializer)
    def messages(self, request, pk=None):
        """The newest page of the thread, oldest first within it; "next" leads to older ones."""
        messages = selectors.conversation_messages(conversation_id=pk)
        rows, next_url = message_pages.paginate(messages.values(*MESSAGE_FIELDS), request)
        if not rows:
            selectors.conversation_get(conversation_id=pk)  # 404 for an unknown conversation
        rows.reverse()
        return message_pages.response(list(map(message_data, rows)), next_url)

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def read(self, request, pk=None):
        """Mark the conversation read: its unread count goes to 0 for everyone."""
        conversation = selectors.conversation_get(conversation_id=pk)
        services.conversation_mark_read(conversation_id=conversation.id)
        conversation.refresh_from_db()
        return Response(conversation_data(row_of(conversation, CONVERSATION_FIELDS)))

    @action(detail=True, serializer_class=MessageSerializer)
    def new_messages(self, request, pk=None):
        """Messages newer than ``since`` (ISO 8601 with offset), oldest first."""
        conversation = selectors.conversation_get(conversation_id=pk)
        raw_since = request.query_params.get("since", "")
        if not raw_since:
            raise ValidationError("'since' is required: an ISO 8601 time.", field="since")
        # A "+" in a query string arrives as a space when the client did not encode it.
        since = _parse_iso_datetime(raw_since.replace(" ", "+"))
        if since is None:
            raise ValidationError(
                f"'since' is not an ISO 8601 time with an offset: {raw_since!r}. "
                "Example: 2026-01-31T09:30:00+00:00.",
                field="since",
            )
        messages = selectors.conversation_messages_since(conversation=conversation, since=since)
        return Response({"messages": list(map(message_data, messages.values(*MESSAGE_FIELDS)))})


def _parse_iso_datetime(raw: str):
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


@extend_schema_view(
    list=extend_schema(
        summary="List messages, newest first",
        parameters=PAGE_PARAMETERS,
        responses={200: _MESSAGE_PAGE, **errors(400, 401, 403)},
    ),
    retrieve=extend_schema(
        summary="One message",
        parameters=[_MESSAGE_ID],
        responses={200: MessageSerializer, **errors(401, 403, 404)},
    ),
    retry=extend_schema(
        summary="Send a failed SMS again",
        parameters=[_MESSAGE_ID],
        request=None,
        responses={
            200: MessageSerializer,
            **errors(401, 403, 404, 409),
        },
    ),
)
class MessageViewSet(viewsets.GenericViewSet):
    serializer_class = MessageSerializer

    def get_serializer_class(self):
        return SendMessageSerializer if self.action == "send" else MessageSerializer

    def list(self, request):
        messages = selectors.message_list().values(*MESSAGE_FIELDS)
        rows, next_url = message_pages.paginate(messages, request)
        return message_pages.response(list(map(message_data, rows)), next_url)

    def retrieve(self, request, pk=None):
        message = selectors.message_get(message_id=pk)
        return Response(message_data(row_of(message, MESSAGE_FIELDS)))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def retry(self, request, pk=None):
        """Send a failed SMS again (not to a recipient who has opted out)."""
        message = services.message_retry(message=selectors.message_get(message_id=pk))
        return Response(message_data(row_of(message, MESSAGE_FIELDS)))

    @extend_schema(
        summary="Send an SMS, or an internal message to a contact name",
        description=(
            "`to` is a phone number in any common format (sent as SMS through the configured "
            "provider, `method` its name, e.g. `twilio`; stored `queued`) or a contact name "
            "(an internal message, `method: database`, "
            "stored `delivered`). An invalid number or a `from` that is not one of Hatch's "
            "numbers is a 400 naming the field; a number that replied STOP is a 409."
        ),
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        request=SendMessageSerializer,
        responses={
            200: inline_serializer(
                "SendMessageResponse",
                {
                    "success": serializers.BooleanField(),
                    "message_id": serializers.UUIDField(),
                    "conversation_id": serializers.UUIDField(),
                    "status": serializers.ChoiceField(choices=MessageStatus.choices),
                    "method": serializers.ChoiceField(
                        choices=[*sms_providers.names(), INTERNAL_METHOD],
                        help_text="The SMS provider configured (SMS_PROVIDER) for an SMS, "
                        f"queued; {INTERNAL_METHOD}: an internal message.",
                    ),
                    "message": MessageSerializer(),
                },
            ),
            **errors(400, 401, 403, 409, 413, 415, 422, 429),
        },
    )
    @idempotent
    def send(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        message = services.message_send(
            to=data["to"], body=data["body"], sender=data.get("from"), user=request.user
        )
        return Response(
            {
                "success": True,
                "message_id": message.id,
                "conversation_id": message.conversation_id,
                "status": message.status,
                "method": sms_providers.configured_name()
                if message.channel == Channel.SMS
                else INTERNAL_METHOD,
                "message": message_data(row_of(message, MESSAGE_FIELDS)),
            }
        )
