"""The team API: teammates and their roles, invitations, labels.

    GET    /api/teammates            everyone on the team (every teammate may read)
    PATCH  /api/teammates/<id>       role, active or not, name (admins)
    POST   /api/teammates/invite     a new teammate and their one-time sign-in link (admins)
    GET    /api/labels               every label (every teammate may read)
    POST   /api/labels               create one (admins)
    PATCH  /api/labels/<id>          rename or recolour it (admins)
    DELETE /api/labels/<id>          delete it (admins)

Answers are built by team.representation; the serializers here validate requests and
describe the answers for the OpenAPI schema.
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from team import selectors, services
from team.models import LABEL_NAME_MAX_LENGTH, Role
from team.permissions import IsTeamAdmin, IsTeamAdminOrReadOnly
from team.representation import label_data, teammate_data
from web.schema import errors

ADMINS_ONLY_NOTE = " Admins only: anyone else gets a 403 saying so."


class TeammateSerializer(serializers.Serializer):
    """A teammate as every answer shows it (team.representation.teammate_data)."""

    id = serializers.IntegerField()
    username = serializers.CharField(help_text="What they sign in with.")
    name = serializers.CharField(help_text="Their full name, or their username without one.")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField(help_text="Blank when none was given.")
    role = serializers.ChoiceField(
        choices=Role.choices,
        help_text="admin: manages teammates, labels and saved replies; agent: the inbox.",
    )
    is_active = serializers.BooleanField(help_text="False: deactivated, cannot sign in.")


class TeammateChangeSerializer(serializers.Serializer):
    """What an admin may change; what is left out stays as it is."""

    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(
        required=False,
        help_text="False deactivates: their sessions and API tokens stop working at once.",
    )
    first_name = serializers.CharField(required=False, allow_blank=True)
    last_name = serializers.CharField(required=False, allow_blank=True)


class InviteSerializer(serializers.Serializer):
    username = serializers.CharField(
        allow_blank=True, help_text="What they will sign in with: letters, digits, @.+-_."
    )
    first_name = serializers.CharField(required=False, allow_blank=True, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, default="")
    email = serializers.CharField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices, required=False, default=Role.AGENT)


class InvitationSerializer(serializers.Serializer):
    teammate = TeammateSerializer()
    sign_in_url = serializers.URLField(
        help_text="Shown this once (only its hash is stored): the invited person opens it, "
        "chooses a password and is signed in. It works once, until expires_at."
    )
    expires_at = serializers.DateTimeField()


class LabelSerializer(serializers.Serializer):
    """A label as every answer shows it (team.representation.label_data)."""

    id = serializers.IntegerField()
    name = serializers.CharField(
        help_text=f"1 to {LABEL_NAME_MAX_LENGTH} characters, unique whatever the case."
    )
    colour = serializers.CharField(help_text="A CSS colour, #rrggbb.")


class LabelCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        allow_blank=True,
        help_text=f"1 to {LABEL_NAME_MAX_LENGTH} characters; no other label may have it, "
        "whatever the case.",
    )
    colour = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="#rrggbb; grey if left out."
    )


class LabelChangeSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True)
    colour = serializers.CharField(required=False, allow_blank=True, help_text="#rrggbb.")


def _id_parameter(noun: str) -> OpenApiParameter:
    return OpenApiParameter(
        name="id",
        type=OpenApiTypes.INT,
        location=OpenApiParameter.PATH,
        description=f"The {noun}'s id (a number).",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List teammates",
        description="Everyone with an account, active ones first, with their role.",
        responses={200: TeammateSerializer(many=True), **errors(401, 403)},
    ),
    partial_update=extend_schema(
        summary="Change a teammate's role, name, or whether they may sign in",
        description="The team always keeps an active admin: demoting or deactivating the "
        "last one is a 409." + ADMINS_ONLY_NOTE,
        parameters=[_id_parameter("teammate")],
        request=TeammateChangeSerializer,
        responses={200: TeammateSerializer, **errors(400, 401, 403, 404, 409, 413, 415)},
    ),
    invite=extend_schema(
        summary="Invite a teammate",
        description="Creates their account (no password yet) and a one-time sign-in link, "
        "valid for 7 days, where they choose their password. Give them the link yourself: "
        "Hatch sends nothing." + ADMINS_ONLY_NOTE,
        request=InviteSerializer,
        responses={201: InvitationSerializer, **errors(400, 401, 403, 413, 415)},
    ),
)
class TeammateViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsTeamAdminOrReadOnly]
    serializer_class = TeammateSerializer

    def list(self, request):
        return Response([teammate_data(user) for user in selectors.teammate_list()])

    def partial_update(self, request, pk=None):
        data = _valid(TeammateChangeSerializer, request.data)
        user = services.teammate_update(actor=request.user, user_id=pk, **data)
        return Response(teammate_data(user))

    @action(
        detail=False,
        methods=["post"],
        serializer_class=InviteSerializer,
        permission_classes=[IsAuthenticated, IsTeamAdmin],
    )
    def invite(self, request):
        data = _valid(InviteSerializer, request.data)
        link = services.teammate_invite(invited_by=request.user, **data)
        url = request.build_absolute_uri(reverse("welcome", kwargs={"token": link.token}))
        answer = {
            "teammate": teammate_data(selectors.teammate_get(user_id=link.user.pk)),
            "sign_in_url": url,
            "expires_at": link.expires_at,
        }
        return Response(answer, status=status.HTTP_201_CREATED)


_LABEL_ID = _id_parameter("label")


@extend_schema_view(
    list=extend_schema(
        summary="List labels",
        description="Every label, by name. Conversations and contacts carry them.",
        responses={200: LabelSerializer(many=True), **errors(401, 403)},
    ),
    create=extend_schema(
        summary="Create a label",
        description=ADMINS_ONLY_NOTE.strip(),
        request=LabelCreateSerializer,
        responses={201: LabelSerializer, **errors(400, 401, 403, 413, 415)},
    ),
    partial_update=extend_schema(
        summary="Rename or recolour a label",
        description="Conversations and contacts keep it under its new name." + ADMINS_ONLY_NOTE,
        parameters=[_LABEL_ID],
        request=LabelChangeSerializer,
        responses={200: LabelSerializer, **errors(400, 401, 403, 404, 413, 415)},
    ),
    destroy=extend_schema(
        summary="Delete a label",
        description="Conversations and contacts that carried it lose it." + ADMINS_ONLY_NOTE,
        parameters=[_LABEL_ID],
        responses={204: None, **errors(401, 403, 404)},
    ),
)
class LabelViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsTeamAdminOrReadOnly]
    serializer_class = LabelSerializer

    def list(self, request):
        return Response([label_data(label) for label in selectors.label_list()])

    def create(self, request):
        data = _valid(LabelCreateSerializer, request.data)
        label = services.label_create(name=data["name"], colour=data["colour"])
        return Response(label_data(label), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = _valid(LabelChangeSerializer, request.data)
        label = services.label_update(label_id=pk, **data)
        return Response(label_data(label))

    def destroy(self, request, pk=None):
        services.label_delete(label_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
