"""The messaging API: the seed's endpoints, plus read-only REST resources.

Seed paths (kept so its clients keep working):
    GET  /api/conversations
    GET  /api/conversation/<id>/messages
    GET  /api/conversation/<id>/new_messages?since=<ISO 8601>
    POST /api/send_message
"""

from django.utils.dateparse import parse_datetime
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from hatch.errors import ValidationError
from hatch.pagination import KeysetPagination
from messaging import selectors, services
from messaging.models import BODY_MAX_LENGTH, Channel, Conversation, Message


class ConversationSerializer(serializers.ModelSerializer):
    conversation_id = serializers.UUIDField(source="id")
    # The seed's display string: the other party, then us.
    participants = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    channel = serializers.CharField()
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
    type = serializers.CharField(source="channel")
    external_sid = serializers.CharField(source="provider_message_id")

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
        rows, next_url = conversation_pages.paginate(conversations, request)
        return conversation_pages.response(self.get_serializer(rows, many=True).data, next_url)

    def retrieve(self, request, pk=None):
        conversation = selectors.conversation_get(conversation_id=pk)
        return Response(self.get_serializer(conversation).data)

    @action(detail=True, serializer_class=MessageSerializer)
    def messages(self, request, pk=None):
        """The newest page of the thread, oldest first within it; "next" leads to older ones."""
        conversation = selectors.conversation_get(conversation_id=pk)
        messages = selectors.conversation_messages(conversation=conversation)
        rows, next_url = message_pages.paginate(messages, request)
        rows.reverse()
        return message_pages.response(MessageSerializer(rows, many=True).data, next_url)

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def read(self, request, pk=None):
        """Mark the conversation read: its unread count goes to 0 for everyone."""
        conversation = selectors.conversation_get(conversation_id=pk)
        services.conversation_mark_read(conversation_id=conversation.id)
        conversation.refresh_from_db()
        return Response(ConversationSerializer(conversation).data)

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
        return Response({"messages": MessageSerializer(messages, many=True).data})


def _parse_iso_datetime(raw: str):
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


class MessageViewSet(viewsets.GenericViewSet):
    serializer_class = MessageSerializer

    def get_serializer_class(self):
        return SendMessageSerializer if self.action == "send" else MessageSerializer

    def list(self, request):
        rows, next_url = message_pages.paginate(selectors.message_list(), request)
        return message_pages.response(self.get_serializer(rows, many=True).data, next_url)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(selectors.message_get(message_id=pk)).data)

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def retry(self, request, pk=None):
        """Send a failed SMS again (not to a recipient who has opted out)."""
        message = services.message_retry(message=selectors.message_get(message_id=pk))
        return Response(MessageSerializer(message).data)

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
                "message_id": str(message.id),
                "conversation_id": str(message.conversation_id),
                "status": message.status,
                "method": "twilio" if message.channel == Channel.SMS else "database",
                "message": MessageSerializer(message).data,
            }
        )
