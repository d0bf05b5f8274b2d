"""GET /api/reports/failure_reasons: every error code the providers' tables explain, by
channel, so that the inbox can say in words why a message or an email failed.

The tables are each provider package's own (messaging.providers, emails.providers); this
view only puts them side by side. They change with a deploy, not with the data, so the
answer reads no database and needs none of the reports' date range or channel.
"""

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.failures import FailureReason
from emails.providers import failure_tables as email_failure_tables
from messaging.providers import failure_tables as sms_failure_tables
from web.schema import errors


class FailureReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='The code as records store it: "30007", "bounce".')
    title = serializers.CharField(help_text="What happened, in a few plain words.")
    action = serializers.CharField(help_text="What the team can do about it.")
    url = serializers.CharField(help_text='The provider\'s page for the code; "" when none.')
    provider = serializers.CharField(
        help_text='Whose code it is, as people know them ("Twilio", "SendGrid").'
    )


class FailureReasonsSerializer(serializers.Serializer):
    sms = serializers.DictField(
        child=FailureReasonSerializer(),
        help_text="SMS failures by Message.error_code (as text).",
    )
    email = serializers.DictField(
        child=FailureReasonSerializer(),
        help_text="Email failures by Email.error_code.",
    )


def _by_code(tables: list[tuple[str, Mapping[str, FailureReason]]]) -> dict[str, dict]:
    """One channel's tables as one, each reason with its provider's name. The configured
    provider's table comes first (see failure_tables), and its meaning of a code wins."""
    reasons: dict[str, dict] = {}
    for provider, table in tables:
        for code, reason in table.items():
            reasons.setdefault(code, {**reason.as_dict(), "provider": provider})
    return reasons


class FailureReasonsView(APIView):
    @extend_schema(
        summary="Why messages fail: every known error code, in words",
        description=(
            "The providers' tables of error codes, by channel: for each code what happened "
            "(`title`), what to do (`action`) and the provider's page for it (`url`). A "
            "failed message's `error_code` (an email's too) is looked up here; a code that "
            "is missing has no explanation yet. The tables change only with a new version of "
            "Hatch: fetch them once."
        ),
        responses={200: FailureReasonsSerializer, **errors(401, 403)},
        examples=[
            OpenApiExample(
                "Part of the tables",
                response_only=True,
                value={
                    "sms": {
                        "30007": {
                            "code": "30007",
                            "title": "The carrier filtered the message as spam",
                            "action": "Reword it: say who is texting, avoid link shorteners, "
                            "capitals and salesy words.",
                            "url": "https://www.twilio.com/docs/api/errors/30007",
                            "provider": "Twilio",
                        }
                    },
                    "email": {
                        "bounce": {
                            "code": "bounce",
                            "title": "The address does not exist (hard bounce)",
                            "action": "Check the address with the person, or reach them "
                            "another way.",
                            "url": "https://www.twilio.com/docs/sendgrid/ui/sending-email/bounces",
                            "provider": "SendGrid",
                        }
                    },
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "sms": _by_code(sms_failure_tables()),
                "email": _by_code(email_failure_tables()),
            }
        )
