"""GET /api/search: one search over messages, emails, contacts and notes."""

from datetime import date, datetime, time

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.search import clean
from emails.models import EmailStatus
from messaging.models import Channel, MessageStatus
from search.selectors import KINDS, SearchFilters, search_newest, search_ranked
from web.pagination import page_cursor, page_url_after
from web.schema import errors, page_of

QUERY_MAX_LENGTH = 500
PAGE_SIZE_MAX = 100
STATUSES = sorted(set(MessageStatus.values) | set(EmailStatus.values))


@extend_schema_field(OpenApiTypes.STR)
class MomentField(serializers.Field):
    """A date (its start, in TIME_ZONE) or an ISO 8601 time with its offset."""

    default_error_messages = {
        "invalid": "Give a date such as 2026-12-01, or a time with its offset such as "
        "2026-12-01T09:30:00Z.",
    }

    def to_internal_value(self, data) -> datetime:
        text = str(data).strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return timezone.make_aware(datetime.combine(day, time()))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail("invalid")
        if timezone.is_naive(moment):
            self.fail("invalid")
        return moment

    def to_representation(self, value):
        return value.isoformat()


class SearchParametersSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=QUERY_MAX_LENGTH,
        trim_whitespace=False,
        error_messages={
            "required": "Type something to search for.",
            "blank": "Type something to search for.",
            "max_length": f"A search is at most {QUERY_MAX_LENGTH} characters: shorten it.",
        },
        help_text='Words, "a phrase", -excluded, or: web-search syntax (never an error: '
        "what it cannot read is taken as plain words). The last word also matches as a "
        "prefix. 3 or more digits find the contacts whose number holds them.",
    )
    type = serializers.ChoiceField(choices=KINDS, required=False, help_text="One kind only.")
    channel = serializers.ChoiceField(choices=[*Channel.values, "email"], required=False)
    direction = serializers.ChoiceField(choices=["inbound", "outbound"], required=False)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    assignee = serializers.CharField(
        required=False, help_text="'me', 'none' or a teammate's id: their conversations."
    )
    label = serializers.CharField(
        required=False, help_text="A label's name: its conversations and contacts."
    )
    after = MomentField(required=False, help_text="From this date or time on.")
    before = MomentField(required=False, help_text="Before this date or time.")
    sort = serializers.ChoiceField(
        choices=["newest", "relevance"],
        required=False,
        default="newest",
        help_text="newest (every match, cursor-paged) or relevance (the best 1,000).",
    )
    page_size = serializers.IntegerField(min_value=1, max_value=PAGE_SIZE_MAX, default=20)
    offset = serializers.IntegerField(
        min_value=0, required=False, default=0, help_text="sort=relevance: from the 'next' link."
    )

    def validate_q(self, value: str) -> str:
        value = clean(value)
        if not value:
            raise serializers.ValidationError("Type something to search for.")
        return value


class SearchResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField(
        allow_null=True, help_text="The conversation or email thread it is in."
    )
    contact_id = serializers.UUIDField(allow_null=True)
    channel = serializers.CharField(allow_null=True)
    direction = serializers.CharField(allow_null=True)
    title = serializers.CharField(
        help_text="A contact's name (or number), an email's subject, 'Note by ...'."
    )
    snippet = serializers.CharField(
        help_text="HTML: the text around the match, escaped, the matched words in <mark>."
    )
    at = serializers.DateTimeField()


SearchPageSerializer = page_of("SearchPage", "results", SearchResultSerializer)


def _parameters(request) -> dict:
    parameters = SearchParametersSerializer(data=request.query_params)
    parameters.is_valid(raise_exception=True)
    return parameters.validated_data


class SearchViewSet(viewsets.ViewSet):
    @extend_schema(
        operation_id="search",
        summary="Search messages, emails, contacts and notes",
        parameters=[SearchParametersSerializer, OpenApiParameter("cursor", str)],
        responses={200: SearchPageSerializer, **errors(400, 401, 403)},
    )
    def list(self, request):
        """Every match, newest first (or by relevance): messages (SMS and internal) by their
        text, emails by subject and text, contacts by part of a name, number or address,
        internal notes by their text. Each result says where it lives (its conversation or
        email thread) and carries a highlighted snippet."""
        data = _parameters(request)
        filters = SearchFilters(
            kinds=(data["type"],) if "type" in data else KINDS,
            channel=data.get("channel", ""),
            direction=data.get("direction", ""),
            status=data.get("status", ""),
            assignee=data.get("assignee", "").strip(),
            label=data.get("label", "").strip(),
            after=data.get("after"),
            before=data.get("before"),
        )
        arguments = {"user": request.user, "query": data["q"], "filters": filters}
        url = request.build_absolute_uri()
        if data["sort"] == "relevance":
            results, offset = search_ranked(
                **arguments, offset=data["offset"], size=data["page_size"]
            )
            following = replace_query_param(url, "offset", offset) if offset else None
        else:
            results, cursor = search_newest(
                **arguments, cursor=page_cursor(request), size=data["page_size"]
            )
            following = page_url_after(request, *cursor) if cursor else None
        return Response({"results": results, "next": following})
