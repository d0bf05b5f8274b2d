"""The email API: the seed's POST /api/send_email, plus read-only email resources."""

from rest_framework import serializers, viewsets
from rest_framework.response import Response

from emails import selectors, services
from emails.models import BODY_MAX_LENGTH, RECIPIENTS_MAX, SUBJECT_MAX_LENGTH, Email, EmailEvent
from hatch.pagination import KeysetPagination


class EmailSerializer(serializers.ModelSerializer):
    external_sid = serializers.CharField(source="provider_message_id")
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
    )
    bcc = serializers.ListField(
        child=serializers.CharField(max_length=254),
        required=False,
        allow_null=True,
        max_length=RECIPIENTS_MAX,
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


class EmailViewSet(viewsets.GenericViewSet):
    def get_serializer_class(self):
        return SendEmailSerializer if self.action == "send" else EmailSerializer

    def list(self, request):
        rows, next_url = email_pages.paginate(selectors.email_list(), request)
        return email_pages.response(self.get_serializer(rows, many=True).data, next_url)

    def retrieve(self, request, pk=None):
        email = selectors.email_get(email_id=pk)
        return Response(EmailDetailSerializer(email).data)

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
                "method": "sendgrid",
                "email": EmailSerializer(email).data,
            }
        )
