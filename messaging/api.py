"""The messaging API: the seed's endpoints, plus read-only REST resources.

Seed paths (kept so its clients keep working):
    GET  /api/conversations
    GET  /api/conversation/<id>/messages
    GET  /api/conversation/<id>/new_messages?since=<ISO 8601>
    POST /api/send_message
"""

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from attachments.api import (
    FILE_PARSER_CLASSES,
    AttachmentSerializer,
    encoded_files_field,
    uploaded_files_field,
)
from attachments.services import MEGABYTE, MMS_POLICY
from conversations.api import (
    TEAM_FILTER_PARAMETERS,
    TEAM_STATE_KEYS,
    NotesMixin,
    TeammateNameSerializer,
    TeamStateSerializer,
    TeamStateViewSetMixin,
    team_filters,
    team_state_schemas,
)
from conversations.services import conversation_mark_read
from core.errors import ValidationError
from idempotency.keys import idempotent
from messaging import selectors, services
from messaging.models import (
    BODY_MAX_LENGTH,
    Channel,
    Conversation,
    MediaStatus,
    Message,
    MessageStatus,
)
from messaging.providers import sms_providers
from messaging.representation import (
    DELIVERED_STATUSES,
    MESSAGE_FIELDS,
    conversation_contact,
    conversation_data_for_user,
    message_row,
    messages_data,
)
from outbox.api import ScheduleFieldsMixin, send_at_field
from team.selectors import display_name
from web.pagination import KeysetPagination
from web.schema import (
    IDEMPOTENCY_KEY,
    PAGE_PARAMETERS,
    RETRY_AFTER,
    errors,
    id_parameter,
    page_of,
)


class ConversationContactSerializer(serializers.Serializer):
    """The person on the other side of a conversation: their contact (contacts API)."""

    id = serializers.UUIDField()
    name = serializers.CharField(help_text="Blank until someone names them.")


class ConversationSerializer(TeamStateSerializer, serializers.ModelSerializer):
    conversation_id = serializers.UUIDField(source="id")
    # The seed's display string: the other party, then us.
    participants = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    has_phone_numbers = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    last_message_date = serializers.DateTimeField(source="last_message_at")
    preview = serializers.CharField(source="last_message_preview")
    contact = ConversationContactSerializer(
        allow_null=True, help_text="The other party's contact; null for internal conversations."
    )

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
            "preview",
            "contact",
            *TEAM_STATE_KEYS,
            "unread_count",
        ]

    def get_participants(self, conversation: Conversation) -> str:
        return f"{conversation.reply_to}->{conversation.own_contact}"

    def get_contacts(self, conversation: Conversation) -> list[str]:
        return [conversation.participant_a, conversation.participant_b]

    def get_has_phone_numbers(self, conversation: Conversation) -> bool:
        return conversation.channel == Channel.SMS


class MessageSerializer(ScheduleFieldsMixin, serializers.ModelSerializer):
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
    media = serializers.ListField(
        child=serializers.DictField(),
        help_text="An inbound MMS's media as Twilio reported them ({url, content_type}); "
        "the URLs need Twilio's credentials. Open `attachments` instead.",
    )
    media_status = serializers.ChoiceField(
        choices=MediaStatus.choices,
        help_text="An inbound MMS's download of its media into Hatch: pending, downloaded, "
        'or failed (error_message says why); "" when there is nothing to download.',
    )
    attachments = serializers.SerializerMethodField(
        help_text="The message's files, in order: an outbound MMS's media, an inbound "
        "one's once downloaded."
    )
    sent_by = serializers.SerializerMethodField(
        help_text="The teammate who sent it; null for a received message or one sent by a "
        "program with no user (a command)."
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
            "media_status",
            "attachments",
            "sent_at",
            "delivered_at",
            "updated_at",
            "sent_by",
            *ScheduleFieldsMixin.SCHEDULE_FIELDS,
        ]

    def get_is_delivered(self, message: Message) -> bool:
        return message.status in DELIVERED_STATUSES

    @extend_schema_field(TeammateNameSerializer(allow_null=True))
    def get_sent_by(self, message: Message) -> dict | None:
        user = message.sent_by
        return None if user is None else {"id": user.pk, "name": display_name(user)}

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, message: Message) -> list:
        links = message.attachment_links.select_related("attachment").order_by("position")
        return AttachmentSerializer([link.attachment for link in links], many=True).data


_MEDIA_HELP = (
    f"Files to send with the message (an MMS to a phone number): at most "
    f"{MMS_POLICY.max_files}, {MMS_POLICY.max_total_bytes / MEGABYTE:g} MB in all (413 "
    f"beyond); {MMS_POLICY.allowed_description}. Each file's type is read from its bytes."
)


# The example is what Swagger UI's "Try it out" sends: a plain internal message, rather
# than one generated from the fields (a file whose "content" is the word "string").
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "An internal message",
            value={"to": "Front desk", "body": "Table 4 is ready"},
            request_only=True,
        )
    ]
)
class SendMessageSerializer(serializers.Serializer):
    """A send as JSON: its files, if any, in base64."""

    to = serializers.CharField(help_text="A phone number (sent as SMS) or a contact name.")
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH,
        trim_whitespace=False,
        required=False,
        allow_blank=True,
        default="",
        help_text=f"1 to {BODY_MAX_LENGTH} characters; may be empty or left out when the "
        "message carries media.",
    )
    media = encoded_files_field(help_text=_MEDIA_HELP)
    send_at = send_at_field()

    def validate_body(self, body: str) -> str:
        # Text or files: without either there is nothing to send.
        if not body.strip() and not self.initial_data.get("media"):
            raise serializers.ValidationError("This field may not be blank unless media are sent.")
        return body

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


class SendMessageFormSerializer(SendMessageSerializer):
    """A send as a multipart form, as a browser posts files: `media` once per file."""

    media = uploaded_files_field(help_text=_MEDIA_HELP)


class RescheduleMessageSerializer(serializers.Serializer):
    """A change to a scheduled SMS: its text, its time, or both."""

    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH, trim_whitespace=False, required=False, allow_blank=True
    )
    send_at = send_at_field()

    def validate(self, attrs):
        if attrs.get("body") is None and attrs.get("send_at") is None:
            raise serializers.ValidationError(
                {"body": ["Give a new body, a new send_at, or both."]}
            )
        return attrs


conversation_pages = KeysetPagination(time_field="last_message_at", results_key="conversations")
message_pages = KeysetPagination(time_field="created_at", results_key="messages")


# The send answer's "method" for an internal message: stored, never sent anywhere.
INTERNAL_METHOD = "database"
_CONVERSATION_ID = id_parameter("conversation")
_MESSAGE_ID = id_parameter("message")
_MESSAGE_PAGE = page_of("MessagePage", "messages", MessageSerializer)
# A thread's page says who the conversation is with, as the conversation list does.
_THREAD_PAGE = inline_serializer(
    "ThreadPage",
    {
        "messages": MessageSerializer(many=True),
        "next": serializers.URLField(
            allow_null=True, help_text="The next (older) page; null on the last one."
        ),
        "contact": ConversationContactSerializer(
            allow_null=True, help_text="The other party's contact; null for internal ones."
        ),
    },
)
# The thread's rows carry the conversation's contact, joined in by the same query.
_THREAD_CONTACT_FIELDS = ("conversation__contact_id", "conversation__contact_name")


@extend_schema_view(
    list=extend_schema(
        summary="List conversations, newest activity first",
        parameters=[
            OpenApiParameter("q", str, description="Searches contacts and message text."),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter(
                "status",
                str,
                enum=["failed", "scheduled"],
                description="failed: only conversations with a message that failed or was "
                "undelivered; scheduled: only those with a message scheduled to go later.",
            ),
            *TEAM_FILTER_PARAMETERS,
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
        responses={200: _THREAD_PAGE, **errors(400, 401, 403, 404)},
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
        summary="Mark a conversation read (for the requesting user)",
        description="Its unread_count goes to 0 for the requesting user alone; their other "
        'pages hear of it live (`{"type": "conversation.read"}`).',
        parameters=[_CONVERSATION_ID],
        request=None,
        responses={200: ConversationSerializer, **errors(401, 403, 404)},
    ),
    **team_state_schemas(
        ConversationSerializer, noun="conversation", id_parameter=_CONVERSATION_ID
    ),
)
class ConversationViewSet(TeamStateViewSetMixin, NotesMixin, viewsets.GenericViewSet):
    serializer_class = ConversationSerializer
    team_channels = (Channel.SMS, Channel.INTERNAL)

    def team_item(self, request, conversation_id) -> dict:
        return conversation_data_for_user(
            selectors.conversation_summary_get(conversation_id=conversation_id, user=request.user)
        )

    def list(self, request):
        """Newest activity first. ``q`` searches contacts and text; ``channel`` is "sms" or
        "internal"; ``status=failed`` keeps conversations with a message that did not arrive,
        ``status=scheduled`` those with one waiting to go;
        ``state``, ``assignee`` and ``label`` filter by what the team does with them."""
        params = request.query_params
        channel = params.get("channel", "")
        if channel not in ("", *Channel.values):
            raise ValidationError("'channel' must be 'sms' or 'internal'.", field="channel")
        status = params.get("status", "")
        if status not in ("", "failed", "scheduled"):
            raise ValidationError("'status' must be 'failed' or 'scheduled'.", field="status")
        conversations = selectors.conversation_list(
            user=request.user,
            query=params.get("q", ""),
            channel=channel,
            status=status,
            **team_filters(request),
        )
        rows, next_url = conversation_pages.paginate(conversations, request)
        items = list(map(conversation_data_for_user, rows))
        return conversation_pages.response(items, next_url)

    def retrieve(self, request, pk=None):
        return Response(self.team_item(request, pk))

    @action(detail=True, serializer_class=MessageSerializer)
    def messages(self, request, pk=None):
        """The newest page of the thread, oldest first within it; "next" leads to older ones."""
        messages = selectors.conversation_messages(conversation_id=pk)
        rows, next_url = message_pages.paginate(
            messages.values(*MESSAGE_FIELDS, *_THREAD_CONTACT_FIELDS), request
        )
        if rows:
            contact_id, name = (rows[0][field] for field in _THREAD_CONTACT_FIELDS)
            contact = conversation_contact({"contact_id": contact_id, "contact_name": name})
        else:
            # 404 for an unknown conversation
            summary = selectors.conversation_summary_get(conversation_id=pk, user=request.user)
            contact = conversation_contact(summary)
        rows.reverse()
        response = message_pages.response(messages_data(rows), next_url)
        response.data["contact"] = contact
        return response

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def read(self, request, pk=None):
        """Mark the conversation read for the requesting user: their unread count goes to 0
        (everyone else's stays as it was)."""
        conversation = self.team_conversation(pk)
        conversation_mark_read(conversation_id=conversation.id, user=request.user)
        return Response(self.team_item(request, conversation.id))

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
        return Response({"messages": messages_data(messages.values(*MESSAGE_FIELDS))})


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
    cancel=extend_schema(
        summary="Cancel a scheduled SMS",
        description="It will not be sent: status `canceled`. A 409 once its sending has "
        "begun (or for a message that was never scheduled).",
        parameters=[_MESSAGE_ID],
        request=None,
        responses={200: MessageSerializer, **errors(401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        summary="Change a scheduled SMS's text or time",
        description="While it is `scheduled`: a new `body`, a new `send_at` (the same rules "
        "as a send's), or both. A 409 once its sending has begun.",
        parameters=[_MESSAGE_ID],
        request=RescheduleMessageSerializer,
        responses={200: MessageSerializer, **errors(400, 401, 403, 404, 409, 413)},
    ),
)
class MessageViewSet(viewsets.GenericViewSet):
    serializer_class = MessageSerializer
    # The send takes files as a browser sends them (a multipart form) as well as JSON; the
    # other POST (retry) has no body.
    parser_classes = FILE_PARSER_CLASSES

    def get_serializer_class(self):
        if self.action == "partial_update":
            return RescheduleMessageSerializer
        if self.action != "send":
            return MessageSerializer
        request = getattr(self, "request", None)
        if request is not None and request.content_type.startswith("multipart/"):
            return SendMessageFormSerializer
        return SendMessageSerializer

    def list(self, request):
        messages = selectors.message_list().values(*MESSAGE_FIELDS)
        rows, next_url = message_pages.paginate(messages, request)
        return message_pages.response(messages_data(rows), next_url)

    def retrieve(self, request, pk=None):
        return Response(_message_answer(selectors.message_get(message_id=pk)))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def retry(self, request, pk=None):
        """Send a failed SMS again (not to a recipient who has opted out)."""
        message = services.message_retry(message=selectors.message_get(message_id=pk))
        return Response(_message_answer(message))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def cancel(self, request, pk=None):
        """Cancel a scheduled SMS."""
        message = services.message_cancel(message=selectors.message_get(message_id=pk))
        return Response(_message_answer(message))

    def partial_update(self, request, pk=None):
        """Change a scheduled SMS's text or time."""
        message = selectors.message_get(message_id=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.message_reschedule(
            message=message,
            body=serializer.validated_data.get("body"),
            send_at=serializer.validated_data.get("send_at"),
        )
        return Response(_message_answer(message))

    @extend_schema(
        summary="Send an SMS, or an internal message to a contact name",
        description=(
            "`to` is a phone number in any common format (sent as SMS through the configured "
            "provider, `method` its name, e.g. `twilio`; stored `queued`) or a contact name "
            "(an internal message, `method: database`, "
            "stored `delivered`). An invalid number or a `from` that is not one of Hatch's "
            "numbers is a 400 naming the field; a number that replied STOP is a 409. An "
            "internal message goes out under your own name (the default), or a shared one "
            "(Front desk): a `from` that is another teammate's name is a 403.\n\n"
            "Files (`media`) come as a multipart form, as a browser sends them (the field "
            "repeated once per file), or in JSON, base64-encoded. Their number and types "
            "are checked before anything is stored: too many files or a type an MMS cannot "
            "carry is a 400 naming the file, more bytes in all than an MMS takes a 413. "
            "Twilio fetches each from a signed address of Hatch's that expires.\n\n"
            "`send_at` sends an SMS later: it is stored `scheduled` and sent at that time "
            "(held to the end of quiet hours, QUIET_HOURS, in the recipient's time), and "
            "can be canceled (POST /api/messages/<id>/cancel) or changed (PATCH "
            "/api/messages/<id>) until it goes.\n\n"
            "Past a daily SMS limit (SMS_DAILY_LIMIT_PER_USER for each teammate, "
            "SMS_DAILY_LIMIT for the team) an SMS is a 429 naming the limit and when it "
            "resets (midnight in TIME_ZONE), with Retry-After; nothing is stored."
        ),
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        request={
            "application/json": SendMessageSerializer,
            "multipart/form-data": SendMessageFormSerializer,
        },
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
            to=data["to"],
            body=data["body"],
            sender=data.get("from"),
            user=request.user,
            media=data.get("media") or [],
            send_at=data.get("send_at"),
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
                "message": _message_answer(message),
            }
        )


def _message_answer(message: Message) -> dict:
    """One message as the API answers it, its files included."""
    return messages_data([message_row(message)])[0]
