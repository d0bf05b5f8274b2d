"""The API of what the team does with a conversation, written once for both channels.

messaging's ConversationViewSet (/api/conversations) and emails' EmailThreadViewSet
(/api/email_threads) take ``TeamStateViewSetMixin``, which gives each

    PATCH /api/<list>/<id>            state, snoozed_until, assignee, labels
    GET   /api/<list>/<id>/activity   the activity lines, oldest first

and describe them with ``team_state_schemas`` (the answer is each channel's own list
item). The serializers here describe the team-state keys both list items carry.
"""

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from conversations import saved_replies, selectors, services
from conversations.models import (
    NOTE_MAX_LENGTH,
    SAVED_REPLY_BODY_MAX_LENGTH,
    SAVED_REPLY_TITLE_MAX_LENGTH,
    ActivityKind,
    Conversation,
    ConversationState,
    SavedReply,
)
from conversations.representation import activity_data, note_data
from core.errors import ValidationError
from team.models import LABEL_NAME_MAX_LENGTH
from team.permissions import IsTeamAdminOrReadOnly
from team.selectors import display_name
from web.pagination import KeysetPagination
from web.schema import PAGE_PARAMETERS, errors, id_parameter, page_of

LABELS_MAX = 100


class TeammateNameSerializer(serializers.Serializer):
    """A teammate as a conversation names them: who it is assigned to, who did something."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Their full name, else their username.")


class ConversationLabelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text='A CSS colour, "#rrggbb".')


class TeamStateSerializer(serializers.Serializer):
    """The keys both conversation lists' items carry for what the team does with them.

    The channel apps' item serializers inherit these fields; their Meta lists them
    (TEAM_STATE_KEYS) among their own.
    """

    state = serializers.ChoiceField(
        choices=ConversationState.choices,
        help_text="open until someone closes or snoozes it; a new message, or the snooze's "
        "end, opens it again.",
    )
    snoozed_until = serializers.DateTimeField(
        allow_null=True, help_text="When a snoozed conversation opens again; null otherwise."
    )
    assignee = serializers.SerializerMethodField(help_text="Who it is assigned to; null: nobody.")
    labels = serializers.SerializerMethodField(help_text="Its labels, by name.")
    inbound_count = serializers.IntegerField(
        help_text="How many inbound messages it has had. Live events carry this (never "
        "unread_count): a page keeps inbound_count - unread_count from its last fetch as "
        "what its user had read."
    )
    unread_count = serializers.IntegerField(
        help_text="The requesting user's own: inbound messages they have not read (0 once "
        "they mark it read)."
    )

    @extend_schema_field(TeammateNameSerializer(allow_null=True))
    def get_assignee(self, conversation: Conversation) -> dict | None:
        user = conversation.assignee
        if user is None:
            return None
        return {"id": user.pk, "name": display_name(user)}

    @extend_schema_field(ConversationLabelSerializer(many=True))
    def get_labels(self, conversation: Conversation) -> list[dict]:
        labels = conversation.labels.all()
        return [
            {"id": label.id, "name": label.name, "colour": label.colour}
            for label in sorted(labels, key=lambda label: (label.name.lower(), label.id))
        ]


# In the order the list items write them, the requesting user's unread count last.
TEAM_STATE_KEYS = ["state", "snoozed_until", "assignee", "labels", "inbound_count"]


class ConversationChangeSerializer(serializers.Serializer):
    """A change to a conversation's team state: only what is sent changes."""

    state = serializers.ChoiceField(
        choices=ConversationState.choices,
        required=False,
        help_text="snoozed needs snoozed_until; open and closed clear it.",
    )
    snoozed_until = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When it opens again: in the future, at most a year ahead. Sent alone, it "
        "snoozes the conversation.",
    )
    assignee = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=selectors.USER_ID_MAX,
        help_text="An active teammate's id (/api/teammates); null: nobody.",
    )
    labels = serializers.ListField(
        child=serializers.CharField(max_length=LABEL_NAME_MAX_LENGTH),
        required=False,
        max_length=LABELS_MAX,
        help_text="The names of existing labels (/api/labels), in any case: they replace "
        "the conversation's labels ([] removes them all).",
    )


class ActivitySerializer(serializers.Serializer):
    """One change to a conversation's team state."""

    id = serializers.IntegerField()
    conversation_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    actor = TeammateNameSerializer(
        allow_null=True,
        help_text="Who did it; null when Hatch did (a new message or a snooze's end reopened "
        "it: detail.reason says which).",
    )
    detail = serializers.DictField(
        help_text="What the line names, as it was then: assignee (and previous) {id, name}, "
        "label {id, name, colour}, snoozed_until (ISO 8601), reason."
    )
    text = serializers.CharField(help_text='The line as a person reads it: "Ada closed this".')
    created_at = serializers.DateTimeField()


# The team-state filters both lists take (conversations.selectors.team_filtered).
TEAM_FILTER_PARAMETERS = [
    OpenApiParameter(
        "state", str, enum=ConversationState.values, description="Only those in this state."
    ),
    OpenApiParameter(
        "assignee",
        str,
        description='"me": assigned to the requesting user; "none": to nobody; or a '
        "teammate's id.",
    ),
    OpenApiParameter("label", str, description="Only those with the label of this name."),
]


def team_filters(request: Request) -> dict[str, str]:
    """The team-state filters of a list request, as team_filtered takes them."""
    return {name: request.query_params.get(name, "") for name in ("state", "assignee", "label")}


def team_state_schemas(item_serializer: type, *, noun: str, id_parameter) -> dict[str, Any]:
    """The OpenAPI description of the mixin's operations, for a channel's
    ``@extend_schema_view`` (``item_serializer``: its list item)."""
    return {
        "partial_update": extend_schema(
            summary=f"Change an {noun}'s state, assignee or labels"
            if noun[0] in "aeiou"
            else f"Change a {noun}'s state, assignee or labels",
            description=(
                "Only the fields sent change. Each change is recorded in the activity and "
                "goes live to every inbox. An unknown field, a past or too distant "
                "`snoozed_until`, an assignee who is not an active teammate or a label that "
                "does not exist is a 400 naming the field; nothing changes then."
            ),
            parameters=[id_parameter],
            request=ConversationChangeSerializer,
            responses={200: item_serializer, **errors(400, 401, 403, 404, 413, 415)},
        ),
        "activity": extend_schema(
            summary=f"The activity of the {noun}, oldest first",
            parameters=[id_parameter],
            responses={200: ActivitySerializer(many=True), **errors(401, 403, 404)},
        ),
    }


class TeamStateViewSetMixin:
    """PATCH and activity for a channel's conversation viewset.

    The viewset says which conversations are its own (``team_channels``) and answers one as
    its list item for the requesting user (``team_item``).
    """

    team_channels: tuple[str, ...] = ()

    def team_item(self, request: Request, conversation_id) -> dict[str, Any]:
        raise NotImplementedError

    def team_conversation(self, pk) -> Conversation:
        return selectors.conversation_get(conversation_id=pk, channels=self.team_channels)

    def partial_update(self, request: Request, pk=None):
        conversation = self.team_conversation(pk)
        change = _valid_change(request.data)
        services.conversation_change(conversation, actor=request.user, **change)
        return Response(self.team_item(request, conversation.id))

    @action(detail=True, methods=["get"], serializer_class=ActivitySerializer)
    def activity(self, request: Request, pk=None):
        conversation = self.team_conversation(pk)
        rows = selectors.conversation_activity(conversation_id=conversation.id)
        return Response([activity_data(row) for row in rows])

    # Notes (GET|POST <id>/notes): NotesMixin, below.


def _valid_change(data) -> dict[str, Any]:
    serializer = ConversationChangeSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    unknown = sorted(set(data) - set(serializer.fields)) if isinstance(data, dict) else []
    if unknown:
        raise ValidationError(
            f"Unknown field {unknown[0]!r}: a conversation takes {', '.join(serializer.fields)}.",
            field=unknown[0],
        )
    return dict(serializer.validated_data)


# --------------------------------------------------------------------------------- notes


class NoteMentionSerializer(TeammateNameSerializer):
    username = serializers.CharField(help_text="As it was written after the @.")


class NoteSerializer(serializers.Serializer):
    """An internal note: seen by the team, never sent to anyone."""

    id = serializers.UUIDField()
    conversation_id = serializers.UUIDField()
    author = TeammateNameSerializer(
        allow_null=True, help_text="Who wrote it; null once their account is deleted."
    )
    body = serializers.CharField()
    mentions = NoteMentionSerializer(
        many=True, help_text="The teammates it @mentions by username, who were notified."
    )
    created_at = serializers.DateTimeField()


class NoteCreateSerializer(serializers.Serializer):
    # Blank, too long or not text: the service's sentences say so (conversations.services).
    body = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"1 to {NOTE_MAX_LENGTH:,} characters. @username mentions an active "
        "teammate: they are notified.",
    )


note_pages = KeysetPagination(time_field="created_at", results_key="notes")


class NotesMixin:
    """GET|POST <id>/notes for a channel's conversation viewset: the internal notes of one
    of its conversations (``team_channels``, as TeamStateViewSetMixin reads them)."""

    team_channels: tuple[str, ...] = ()

    @extend_schema(
        methods=["GET"],
        summary="The notes of a conversation",
        description="The newest page, oldest first within it; `next` leads to older notes. "
        "Notes are the team's own: never among the messages, never sent.",
        parameters=[id_parameter("conversation"), *PAGE_PARAMETERS],
        request=None,
        responses={200: page_of("NotePage", "notes", NoteSerializer), **errors(400, 401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a note to a conversation",
        description="Every inbox sees it at once (`note.created`); each teammate it "
        "@mentions by username is notified (`mention`). A blank note, or one over "
        f"{NOTE_MAX_LENGTH:,} characters, is a 400.",
        parameters=[id_parameter("conversation")],
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, **errors(400, 401, 403, 404, 413, 415)},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=NoteSerializer)
    def notes(self, request: Request, pk=None):
        conversation = selectors.conversation_get(conversation_id=pk, channels=self.team_channels)
        if request.method == "POST":
            serializer = NoteCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            note = services.note_create(
                conversation=conversation,
                author=request.user,
                body=serializer.validated_data["body"],
            )
            return Response(
                note_data(selectors.note_row(note_id=note.pk)), status=status.HTTP_201_CREATED
            )
        notes = selectors.conversation_notes(conversation_id=conversation.id)
        rows, next_url = note_pages.paginate(notes, request)
        rows.reverse()
        return note_pages.response(
            [note_data(row) for row in selectors.rows_with_mentions(rows)], next_url
        )


# ------------------------------------------------------------------------- saved replies

_TEXT_HELP = (
    "With ?conversation=<id> only: the body filled in for that conversation's contact and "
    "for you, as plain text."
)


class SavedReplySerializer(serializers.ModelSerializer):
    text = serializers.CharField(required=False, help_text=_TEXT_HELP)

    class Meta:
        model = SavedReply
        fields = ["id", "title", "body", "text"]


class SavedReplyCreateSerializer(serializers.Serializer):
    # Blank or too long: the service's sentences say so (conversations.services).
    title = serializers.CharField(
        allow_blank=True,
        help_text=f"1 to {SAVED_REPLY_TITLE_MAX_LENGTH} characters, unique whatever its case.",
    )
    body = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"At most {SAVED_REPLY_BODY_MAX_LENGTH:,} characters. Variables: "
        + ", ".join("{{" + name + "}}" for name in saved_replies.VARIABLES)
        + ', each with an optional default: {{contact.first_name|default:"there"}}.',
    )


class SavedReplyChangeSerializer(SavedReplyCreateSerializer):
    title = serializers.CharField(allow_blank=True, required=False)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, required=False)


_ADMINS_ONLY = " Team admins only (403 for anyone else)."
_SAVED_REPLY_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Its id.")


@extend_schema_view(
    list=extend_schema(
        summary="List saved replies",
        description="Every saved reply, by title. With `conversation`, each also has "
        "`text`: its body filled in for that conversation's contact and for you.",
        parameters=[
            OpenApiParameter(
                "conversation",
                str,
                description="A conversation's or email thread's id: adds `text`.",
            )
        ],
        responses={200: SavedReplySerializer(many=True), **errors(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Save a reply",
        description="An unknown variable or a brace that opens or closes none is a 400 "
        "naming it, as is a title another saved reply has." + _ADMINS_ONLY,
        request=SavedReplyCreateSerializer,
        responses={201: SavedReplySerializer, **errors(400, 401, 403, 413, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a saved reply",
        description="Only what is sent changes, under the rules of a new one." + _ADMINS_ONLY,
        parameters=[_SAVED_REPLY_ID],
        request=SavedReplyChangeSerializer,
        responses={200: SavedReplySerializer, **errors(400, 401, 403, 404, 413, 415)},
    ),
    destroy=extend_schema(
        summary="Delete a saved reply",
        description=_ADMINS_ONLY.strip(),
        parameters=[_SAVED_REPLY_ID],
        responses={204: None, **errors(401, 403, 404)},
    ),
)
class SavedReplyViewSet(viewsets.GenericViewSet):
    """Replies the team reuses: everyone reads them, admins write them."""

    permission_classes = [IsAuthenticated, IsTeamAdminOrReadOnly]
    serializer_class = SavedReplySerializer

    def list(self, request: Request):
        replies = [_saved_reply_data(reply) for reply in selectors.saved_reply_list()]
        conversation_id = request.query_params.get("conversation")
        if conversation_id is not None:
            values = selectors.saved_reply_values(
                conversation_id=conversation_id, user=request.user
            )
            for reply in replies:
                reply["text"] = _filled(reply["body"], values)
        return Response(replies)

    def create(self, request: Request):
        serializer = SavedReplyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = services.saved_reply_create(**serializer.validated_data, created_by=request.user)
        return Response(_saved_reply_data(reply), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None):
        serializer = SavedReplyChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = services.saved_reply_update(saved_reply_id=pk, **serializer.validated_data)
        return Response(_saved_reply_data(reply))

    def destroy(self, request: Request, pk=None):
        services.saved_reply_delete(saved_reply_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _saved_reply_data(reply: SavedReply) -> dict[str, Any]:
    return {"id": reply.id, "title": reply.title, "body": reply.body}


def _filled(body: str, values: dict[str, str]) -> str:
    try:
        return saved_replies.fill(body, values)
    except ValidationError:
        # Saved before its body was checked (by hand in the database): shown as written
        # rather than failing the whole list.
        return body
