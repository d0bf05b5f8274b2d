"""The email API: the seed's POST /api/send_email (replies and forwards included), the
read-only email resources, and email threads (list, one thread with its emails, read).

The answers are built by emails.representation; the serializers here validate the send
request and describe the answers for the OpenAPI schema (emails/tests/
test_representation.py holds the descriptions and the answers together).
"""

from django.http import QueryDict
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
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
from attachments.services import EMAIL_POLICY, MEGABYTE
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
from conversations.models import Conversation, ConversationChannel
from conversations.services import conversation_mark_read
from core.errors import ValidationError
from emails import selectors, services
from emails.models import (
    BODY_MAX_LENGTH,
    RECIPIENTS_MAX,
    SUBJECT_MAX_LENGTH,
    Email,
    EmailDirection,
    EmailEvent,
    EmailStatus,
)
from emails.providers import email_providers
from emails.representation import (
    EMAIL_EVENT_FIELDS,
    EMAIL_FIELDS,
    THREAD_EMAIL_FIELDS,
    email_detail_data,
    email_html_safe,
    email_row,
    email_thread_data_for_user,
    email_thread_detail_data,
    emails_data,
)
from idempotency.keys import idempotent
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


class RefusedAttachmentSerializer(serializers.Serializer):
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="As the sender declared it.")
    size = serializers.IntegerField(help_text="Bytes.")
    reason = serializers.CharField(help_text="Why it was not kept.")


class EmailSerializer(ScheduleFieldsMixin, serializers.ModelSerializer):
    external_sid = serializers.CharField(
        source="provider_message_id",
        allow_null=True,
        help_text="The provider's id for the email (SendGrid's X-Message-Id), once it "
        "accepted the email.",
    )
    # JSON columns, described as what they hold.
    cc = serializers.ListField(child=serializers.EmailField())
    bcc = serializers.ListField(child=serializers.EmailField())
    attachments = serializers.SerializerMethodField(
        help_text="Its files, in order: sent with it, or received with it and kept."
    )
    refused_attachments = serializers.ListField(
        child=RefusedAttachmentSerializer(),
        help_text="Files a received email carried that Hatch did not keep, and why.",
    )
    timestamp = serializers.DateTimeField(source="created_at")
    direction = serializers.ChoiceField(
        choices=EmailDirection.choices,
        help_text='outbound: sent by Hatch; inbound: received (status "received").',
    )
    thread_id = serializers.UUIDField(
        allow_null=True, help_text="The email thread it belongs to (/api/email_threads)."
    )
    sent_by = serializers.SerializerMethodField(
        help_text="The teammate who sent it; null for a received email or one sent by a "
        "program with no user (a command)."
    )

    class Meta:
        model = Email
        fields = [
            "id",
            "to_email",
            "from_email",
            "subject",
            "body",
            "html_content",
            "cc",
            "bcc",
            "reply_to",
            "attachments",
            "refused_attachments",
            "status",
            "external_sid",
            "error_code",
            "error_message",
            "timestamp",
            "sent_at",
            "delivered_at",
            "updated_at",
            "direction",
            "thread_id",
            "sent_by",
            *ScheduleFieldsMixin.SCHEDULE_FIELDS,
        ]

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, email: Email) -> list:
        links = email.attachment_links.select_related("attachment").order_by("position")
        return AttachmentSerializer([link.attachment for link in links], many=True).data

    @extend_schema_field(TeammateNameSerializer(allow_null=True))
    def get_sent_by(self, email: Email) -> dict | None:
        user = email.sent_by
        return None if user is None else {"id": user.pk, "name": display_name(user)}


class EmailEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailEvent
        fields = ["event", "occurred_at", "recipient"]


class EmailDetailSerializer(EmailSerializer):
    """One email with what SendGrid reported about it, oldest event first."""

    events = EmailEventSerializer(many=True, read_only=True)

    class Meta(EmailSerializer.Meta):
        fields = [*EmailSerializer.Meta.fields, "events"]


class ThreadEmailSerializer(EmailSerializer):
    """An email in its thread: how it threads, and its HTML made safe to show."""

    message_id = serializers.CharField(
        allow_null=True,
        help_text="Its Message-ID header, without <>: made by Hatch for what it sends.",
    )
    in_reply_to = serializers.CharField(help_text="The Message-ID it answers; blank if none.")
    html_content_safe = serializers.SerializerMethodField(
        help_text="html_content without scripts, forms, styles that escape the email, or "
        "remote images (unless ?images=1): safe to show. html_content is as received."
    )
    remote_images_blocked = serializers.SerializerMethodField(
        help_text="How many remote images html_content_safe leaves out (0 with ?images=1)."
    )

    class Meta(EmailSerializer.Meta):
        fields = [
            *EmailSerializer.Meta.fields,
            "from_name",
            "message_id",
            "in_reply_to",
            "html_content_safe",
            "remote_images_blocked",
        ]

    def _html_safe(self, email: Email) -> tuple[str, int]:
        return email_html_safe(
            email.html_content,
            email.attachment_links.select_related("attachment").order_by("position"),
            allow_remote_images=bool(self.context.get("allow_remote_images")),
        )

    def get_html_content_safe(self, email: Email) -> str:
        return self._html_safe(email)[0]

    def get_remote_images_blocked(self, email: Email) -> int:
        return self._html_safe(email)[1]


class EmailThreadContactSerializer(serializers.Serializer):
    """The person on the other side of a thread: their contact (contacts API)."""

    id = serializers.UUIDField()
    name = serializers.CharField(help_text="Blank until someone names them.")


class EmailThreadSerializer(TeamStateSerializer, serializers.ModelSerializer):
    participants = serializers.SerializerMethodField(
        help_text="Two addresses: the other party's (where a reply goes), then Hatch's own."
    )
    contact = serializers.SerializerMethodField(
        help_text="The other party's contact; null when the thread has none."
    )
    preview = serializers.CharField(
        source="last_message_preview", help_text="One line of the newest email."
    )
    unread_count = serializers.IntegerField(
        help_text="Received emails the requesting user has not read (their own; 0 once "
        "they mark it read)."
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "subject",
            "participants",
            "contact",
            "last_message_at",
            "message_count",
            "preview",
            *TEAM_STATE_KEYS,
            "unread_count",
        ]

    def get_participants(self, thread: Conversation) -> list[str]:
        return [thread.reply_to, thread.own_contact]

    @extend_schema_field(EmailThreadContactSerializer(allow_null=True))
    def get_contact(self, thread: Conversation) -> dict | None:
        if thread.contact_id is None:
            return None
        return {"id": thread.contact_id, "name": thread.contact.name if thread.contact else ""}


class EmailThreadDetailSerializer(EmailThreadSerializer):
    """A thread with every email in it, oldest first."""

    emails = serializers.SerializerMethodField()

    class Meta(EmailThreadSerializer.Meta):
        fields = [*EmailThreadSerializer.Meta.fields, "emails"]

    @extend_schema_field(ThreadEmailSerializer(many=True))
    def get_emails(self, thread: Conversation) -> list[dict]:
        emails = thread.emails.order_by("created_at", "id")
        return ThreadEmailSerializer(emails, many=True, context=self.context).data


_ATTACHMENTS_HELP = (
    f"Files to send with the email: at most {EMAIL_POLICY.max_files}, "
    f"{EMAIL_POLICY.max_total_bytes / MEGABYTE:g} MB in all (413 beyond); "
    f"{EMAIL_POLICY.allowed_description}. Each file's type is read from its bytes."
)


# Addresses are not trimmed: a line break at either end is refused by the service, never
# quietly dropped (it is how a header is injected).
class SendEmailSerializer(serializers.Serializer):
    """A send as JSON: its files, if any, in base64."""

    to_email = serializers.CharField(
        max_length=254,
        required=False,
        trim_whitespace=False,
        help_text="Required, except in a reply: then the parent's sender by default.",
    )
    subject = serializers.CharField(
        max_length=SUBJECT_MAX_LENGTH,
        required=False,
        trim_whitespace=False,
        help_text="Required, except in a reply or a forward: then the parent's, with "
        '"Re: " or "Fwd: " (never doubled).',
    )
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH,
        required=False,
        trim_whitespace=False,
        help_text="Required, except in a forward: the note above the forwarded email.",
    )
    from_email = serializers.CharField(
        max_length=254, required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    html_content = serializers.CharField(
        max_length=BODY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
    )
    cc = serializers.ListField(
        child=serializers.CharField(max_length=254, trim_whitespace=False),
        required=False,
        allow_null=True,
        max_length=RECIPIENTS_MAX,
        help_text=f"At most {RECIPIENTS_MAX} addresses; or one comma-separated string.",
    )
    bcc = serializers.ListField(
        child=serializers.CharField(max_length=254, trim_whitespace=False),
        required=False,
        allow_null=True,
        max_length=RECIPIENTS_MAX,
        help_text=f"At most {RECIPIENTS_MAX} addresses; or one comma-separated string.",
    )
    reply_to = serializers.CharField(
        max_length=254, required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    in_reply_to = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The id of the email this answers: the reply joins its thread and carries "
        "In-Reply-To and References. Not with forward_of.",
    )
    forward_of = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The id of the email this forwards: quoted below body, in its thread. "
        "Not with in_reply_to.",
    )
    attachments = encoded_files_field(help_text=_ATTACHMENTS_HELP)
    send_at = send_at_field()

    def validate(self, attrs):
        # A new email needs all three; a reply or a forward takes them from its parent.
        if not (attrs.get("in_reply_to") or attrs.get("forward_of")):
            missing = [name for name in ("to_email", "subject", "body") if name not in attrs]
            if missing:
                raise serializers.ValidationError(
                    {name: ["This field is required."] for name in missing}
                )
        return attrs

    def to_internal_value(self, data):
        # The seed's form sent cc and bcc as one comma-separated string; accept both shapes.
        if isinstance(data, QueryDict):
            # A multipart form (an email with files): its lists stay lists. Built anew, not
            # copied, since a copy would deep-copy the uploaded files.
            form = QueryDict(mutable=True)
            for name in data:
                values = data.getlist(name)
                if name in ("cc", "bcc") and len(values) == 1 and isinstance(values[0], str):
                    values = [part for part in values[0].split(",") if part.strip()]
                form.setlist(name, values)
            return super().to_internal_value(form)
        if isinstance(data, dict):
            data = dict(data)
            for name in ("cc", "bcc"):
                if isinstance(data.get(name), str):
                    data[name] = [part for part in data[name].split(",") if part.strip()]
        return super().to_internal_value(data)


class SendEmailFormSerializer(SendEmailSerializer):
    """A send as a multipart form, as a browser posts files: `attachments` once per file."""

    attachments = uploaded_files_field(help_text=_ATTACHMENTS_HELP)


class RescheduleEmailSerializer(serializers.Serializer):
    """A change to a scheduled email: its subject, its text, its time."""

    subject = serializers.CharField(
        max_length=SUBJECT_MAX_LENGTH, required=False, trim_whitespace=False
    )
    body = serializers.CharField(
        max_length=BODY_MAX_LENGTH, required=False, allow_blank=True, trim_whitespace=False
    )
    send_at = send_at_field()

    def validate(self, attrs):
        if all(attrs.get(name) is None for name in ("subject", "body", "send_at")):
            raise serializers.ValidationError({"body": ["Give a new subject, body or send_at."]})
        return attrs


email_pages = KeysetPagination(time_field="created_at", results_key="emails")
thread_pages = KeysetPagination(time_field="last_message_at", results_key="email_threads")


@extend_schema_view(
    list=extend_schema(
        summary="List emails, newest first",
        parameters=PAGE_PARAMETERS,
        responses={
            200: page_of("EmailPage", "emails", EmailSerializer),
            **errors(400, 401, 403),
        },
    ),
    retrieve=extend_schema(
        summary="One email, with SendGrid's events",
        parameters=[id_parameter("email")],
        responses={200: EmailDetailSerializer, **errors(401, 403, 404)},
    ),
    cancel=extend_schema(
        summary="Cancel a scheduled email",
        description="It will not be sent: status `canceled`. A 409 once its sending has "
        "begun (or for an email that was never scheduled).",
        parameters=[id_parameter("email")],
        request=None,
        responses={200: EmailSerializer, **errors(401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        summary="Change a scheduled email's subject, text or time",
        description="While it is `scheduled`: a new `subject`, `body` or `send_at` (the "
        "same rules as a send's). A 409 once its sending has begun.",
        parameters=[id_parameter("email")],
        request=RescheduleEmailSerializer,
        responses={200: EmailSerializer, **errors(400, 401, 403, 404, 409, 413)},
    ),
)
class EmailViewSet(viewsets.GenericViewSet):
    # The send takes files as a browser sends them (a multipart form) as well as JSON.
    parser_classes = FILE_PARSER_CLASSES

    def get_serializer_class(self):
        if self.action == "partial_update":
            return RescheduleEmailSerializer
        if self.action != "send":
            return EmailSerializer
        request = getattr(self, "request", None)
        if request is not None and request.content_type.startswith("multipart/"):
            return SendEmailFormSerializer
        return SendEmailSerializer

    def list(self, request):
        emails = selectors.email_list().values(*EMAIL_FIELDS)
        rows, next_url = email_pages.paginate(emails, request)
        return email_pages.response(emails_data(rows), next_url)

    def retrieve(self, request, pk=None):
        email = selectors.email_get(email_id=pk)
        events = selectors.email_events(email=email).values(*EMAIL_EVENT_FIELDS)
        return Response(email_detail_data(email_row(email), events))

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def cancel(self, request, pk=None):
        """Cancel a scheduled email."""
        email = services.email_cancel(email=selectors.email_get(email_id=pk))
        return Response(emails_data([email_row(email)])[0])

    def partial_update(self, request, pk=None):
        """Change a scheduled email's subject, text or time."""
        email = selectors.email_get(email_id=pk)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        email = services.email_reschedule(
            email=email,
            subject=data.get("subject"),
            body=data.get("body"),
            send_at=data.get("send_at"),
        )
        return Response(emails_data([email_row(email)])[0])

    @extend_schema(
        summary="Send an email",
        description=(
            "Stored `queued` and sent by the worker through the configured email provider "
            "(`method`). Every address is "
            "validated, the subject is one line, and `from_email` must be SENDGRID_FROM_EMAIL "
            "or allowed by SENDGRID_EXTRA_FROM_EMAILS (else a 400 naming the field). An "
            "address (to, cc or bcc) that bounced, reported spam or unsubscribed is a 409 "
            "naming the field, the address, the reason and its date; nothing is stored. A "
            "line break in any address or the subject is a 400 naming the field.\n\n"
            "`in_reply_to` (an email's id) sends a reply: to the parent's sender unless "
            "`to_email` is given, subject `Re: ` (once), with `In-Reply-To` and `References`, "
            "in the parent's thread. `forward_of` forwards an email: subject `Fwd: `, the "
            "original quoted below `body`, in its thread. An unknown id, or both, is a 400. "
            "Every email is sent with a Message-ID Hatch makes when it accepts it.\n\n"
            "Files (`attachments`) come as a multipart form, as a browser sends them (the "
            "field repeated once per file; cc and bcc repeated, or one comma-separated "
            "value), or in JSON, base64-encoded. They are checked before anything is "
            "stored: more than 10 files, or a program or script (its type read from its "
            "bytes, whatever its name), is a 400 naming the file; more than 20 MB in all a "
            "413.\n\n"
            "`send_at` sends it later: stored `scheduled` and sent at that time (held to "
            "the end of quiet hours, QUIET_HOURS, in the recipient's time); cancel it "
            "(POST /api/emails/<id>/cancel) or change it (PATCH /api/emails/<id>) until it "
            "goes."
        ),
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        request={
            "application/json": SendEmailSerializer,
            "multipart/form-data": SendEmailFormSerializer,
        },
        responses={
            200: inline_serializer(
                "SendEmailResponse",
                {
                    "success": serializers.BooleanField(),
                    "email_id": serializers.UUIDField(),
                    "status": serializers.ChoiceField(choices=EmailStatus.choices),
                    "message_id": serializers.CharField(
                        allow_null=True,
                        help_text="The provider's id for the email (SendGrid's X-Message-Id): "
                        "null until sent.",
                    ),
                    "method": serializers.ChoiceField(
                        choices=email_providers.names(),
                        help_text="The email provider configured to send it (EMAIL_PROVIDER).",
                    ),
                    "email": EmailSerializer(),
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
        email = services.email_send(
            to_email=data.get("to_email", ""),
            subject=data.get("subject", ""),
            body=data.get("body", ""),
            from_email=data.get("from_email"),
            html_content=data.get("html_content") or "",
            cc=data.get("cc"),
            bcc=data.get("bcc"),
            reply_to=data.get("reply_to") or "",
            user=request.user,
            in_reply_to=data.get("in_reply_to"),
            forward_of=data.get("forward_of"),
            attachments=data.get("attachments") or [],
            send_at=data.get("send_at"),
        )
        return Response(
            {
                "success": True,
                "email_id": str(email.id),
                "status": email.status,
                "message_id": email.provider_message_id,
                "method": email_providers.configured_name(),
                "email": emails_data([email_row(email)])[0],
            }
        )


_THREAD_ID = id_parameter("email thread")
_IMAGES = OpenApiParameter(
    "images",
    str,
    enum=["0", "1"],
    description="1: html_content_safe keeps remote images (loading them tells the sender "
    "the email was read). Default 0: they are left out and counted in remote_images_blocked.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List email threads, newest activity first",
        parameters=[
            OpenApiParameter("q", str, description="Searches subjects, participants and previews."),
            OpenApiParameter(
                "status",
                str,
                enum=["scheduled"],
                description="Only threads with an email scheduled to go later.",
            ),
            *TEAM_FILTER_PARAMETERS,
            *PAGE_PARAMETERS,
        ],
        responses={
            200: page_of("EmailThreadPage", "email_threads", EmailThreadSerializer),
            **errors(400, 401, 403),
        },
    ),
    retrieve=extend_schema(
        summary="One email thread, with its emails oldest first",
        parameters=[_THREAD_ID, _IMAGES],
        responses={200: EmailThreadDetailSerializer, **errors(400, 401, 403, 404)},
    ),
    read=extend_schema(
        summary="Mark an email thread read (for the requesting user)",
        description="Its unread_count goes to 0 for the requesting user alone; their other "
        'pages hear of it live (`{"type": "conversation.read"}`).',
        parameters=[_THREAD_ID],
        request=None,
        responses={200: EmailThreadSerializer, **errors(401, 403, 404)},
    ),
    **team_state_schemas(EmailThreadSerializer, noun="email thread", id_parameter=_THREAD_ID),
)
class EmailThreadViewSet(TeamStateViewSetMixin, NotesMixin, viewsets.GenericViewSet):
    """Email threads: emails sent and received, grouped by Message-ID references and by
    subject (emails.threading). Lists read the threads' summaries only."""

    serializer_class = EmailThreadSerializer
    team_channels = (ConversationChannel.EMAIL,)

    def team_item(self, request, conversation_id) -> dict:
        return email_thread_data_for_user(
            selectors.email_thread_summary_get(thread_id=conversation_id, user=request.user)
        )

    def list(self, request):
        status = request.query_params.get("status", "")
        if status not in ("", "scheduled"):
            raise ValidationError("'status' can only be 'scheduled'.", field="status")
        threads = selectors.email_thread_list(
            user=request.user,
            query=request.query_params.get("q", ""),
            status=status,
            **team_filters(request),
        )
        rows, next_url = thread_pages.paginate(threads, request)
        items = list(map(email_thread_data_for_user, rows))
        return thread_pages.response(items, next_url)

    def retrieve(self, request, pk=None):
        images = request.query_params.get("images", "0")
        if images not in ("0", "1"):
            raise ValidationError("'images' must be 0 or 1.", field="images")
        thread = selectors.email_thread_summary_get(thread_id=pk, user=request.user)
        emails = selectors.email_thread_emails(thread_id=thread["id"]).values(*THREAD_EMAIL_FIELDS)
        return Response(
            email_thread_detail_data(thread, list(emails), allow_remote_images=images == "1")
        )

    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def read(self, request, pk=None):
        """Mark the thread read for the requesting user: their unread count goes to 0
        (everyone else's stays as it was)."""
        thread = self.team_conversation(pk)
        conversation_mark_read(conversation_id=thread.id, user=request.user)
        return Response(self.team_item(request, thread.id))
