"""The email API: the seed's POST /api/send_email, plus read-only email resources.

The answers are built by emails.representation; the serializers here validate the send
request and describe the answers for the OpenAPI schema (emails/tests/
test_representation.py holds the descriptions and the answers together).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.serialization import row_of
from emails import selectors, services
from emails.models import (
    BODY_MAX_LENGTH,
    RECIPIENTS_MAX,
    SUBJECT_MAX_LENGTH,
    Email,
    EmailEvent,
    EmailStatus,
)
from emails.providers import email_providers
from emails.representation import (
    EMAIL_EVENT_FIELDS,
    EMAIL_FIELDS,
    email_data,
    email_detail_data,
)
from idempotency.keys import idempotent
from web.pagination import KeysetPagination
from web.schema import (
    IDEMPOTENCY_KEY,
    PAGE_PARAMETERS,
    RETRY_AFTER,
    errors,
    id_parameter,
    page_of,
)


class EmailSerializer(serializers.ModelSerializer):
    external_sid = serializers.CharField(
        source="provider_message_id",
        allow_null=True,
        help_text="The provider's id for the email (SendGrid's X-Message-Id), once it "
        "accepted the email.",
    )
    # JSON columns, described as what they hold.
    cc = serializers.ListField(child=serializers.EmailField())
    bcc = serializers.ListField(child=serializers.EmailField())
    attachments = serializers.ListField(
        child=serializers.DictField(),
        help_text="Metadata only (filename, type, size); the API sends no attachments.",
    )
    timestamp = serializers.DateTimeField(source="created_at")

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
            "status",
            "external_sid",
            "error_message",
            "timestamp",
            "sent_at",
            "delivered_at",
            "updated_at",
        ]


class EmailEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailEvent
        fields = ["event", "occurred_at", "recipient"]


class EmailDetailSerializer(EmailSerializer):
    """One email with what SendGrid reported about it, oldest event first."""

    events = EmailEventSerializer(many=True, read_only=True)

    class Meta(EmailSerializer.Meta):
        fields = [*EmailSerializer.Meta.fields, "events"]


class SendEmailSerializer(serializers.Serializer):
    to_email = serializers.CharField(max_length=254)
    subject = serializers.CharField(max_length=SUBJECT_MAX_LENGTH, trim_whitespace=False)
    body = serializers.CharField(max_length=BODY_MAX_LENGTH, trim_whitespace=False)
    from_email = serializers.CharField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )
    html_content = serializers.CharField(
        max_length=BODY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
    )
    cc = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        allow_null=True,
        max_length=RECIPIENTS_MAX,
        help_text=f"At most {RECIPIENTS_MAX} addresses; or one comma-separated string.",
    )
    bcc = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        allow_null=True,
        max_length=RECIPIENTS_MAX,
        help_text=f"At most {RECIPIENTS_MAX} addresses; or one comma-separated string.",
    )
    reply_to = serializers.CharField(
        max_length=254, required=False, allow_blank=True, allow_null=True
    )

    def to_internal_value(self, data):
        # The seed's form sent cc and bcc as one comma-separated string; accept both shapes.
        if isinstance(data, dict):
            data = dict(data)
            for name in ("cc", "bcc"):
                if isinstance(data.get(name), str):
                    data[name] = [part for part in data[name].split(",") if part.strip()]
        return super().to_internal_value(data)


email_pages = KeysetPagination(time_field="created_at", results_key="emails")


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
)
class EmailViewSet(viewsets.GenericViewSet):
    def get_serializer_class(self):
        return SendEmailSerializer if self.action == "send" else EmailSerializer

    def list(self, request):
        emails = selectors.email_list().values(*EMAIL_FIELDS)
        rows, next_url = email_pages.paginate(emails, request)
        return email_pages.response(list(map(email_data, rows)), next_url)

    def retrieve(self, request, pk=None):
        email = selectors.email_get(email_id=pk)
        events = selectors.email_events(email=email).values(*EMAIL_EVENT_FIELDS)
        return Response(email_detail_data(row_of(email, EMAIL_FIELDS), events))

    @extend_schema(
        summary="Send an email",
        description=(
            "Stored `queued` and sent by the worker through the configured email provider "
            "(`method`). Every address is "
            "validated, the subject is one line, and `from_email` must be SENDGRID_FROM_EMAIL "
            "or allowed by SENDGRID_EXTRA_FROM_EMAILS (else a 400 naming the field)."
        ),
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        request=SendEmailSerializer,
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
            **errors(400, 401, 403, 413, 415, 422, 429),
        },
    )
    @idempotent
    def send(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        email = services.email_send(
            to_email=data["to_email"],
            subject=data["subject"],
            body=data["body"],
            from_email=data.get("from_email"),
            html_content=data.get("html_content") or "",
            cc=data.get("cc"),
            bcc=data.get("bcc"),
            reply_to=data.get("reply_to") or "",
            user=request.user,
        )
        return Response(
            {
                "success": True,
                "email_id": str(email.id),
                "status": email.status,
                "message_id": email.provider_message_id,
                "method": email_providers.configured_name(),
                "email": email_data(row_of(email, EMAIL_FIELDS)),
            }
        )
